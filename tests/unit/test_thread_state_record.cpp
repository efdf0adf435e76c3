#include "replay/thread_state_record.h"

#include <gtest/gtest.h>

#include <cstring>

namespace fxs {
namespace {

ThreadSnapshot blocked_thread() {
  ThreadSnapshot t;
  t.pid = 10;
  t.tid = 11;
  t.comm = "worker";
  t.state = 'S';
  t.syscall = 202;
  t.in_futex = true;
  t.op = "FUTEX_WAIT";
  t.uaddrs = {0x5000};
  t.expected = 2;
  t.owner_tid = 12;
  t.owner_source = "glibc mutex __owner";
  t.stack = {"[k] futex_do_wait+0x46", "__lll_lock_wait+0x2b", "main+0x10"};
  return t;
}

TEST(ThreadStateRecord, RoundTrips) {
  std::vector<uint8_t> rec = encode_thread_state(blocked_thread(), FXS_SNAPSHOT_END, 99);
  ASSERT_EQ(rec.size() % 8, 0u);
  auto d = decode_thread_state(reinterpret_cast<const fxs_rec_hdr*>(rec.data()));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->when, FXS_SNAPSHOT_END);
  EXPECT_EQ(d->ts_ns, 99u);
  const ThreadSnapshot want = blocked_thread();
  EXPECT_EQ(d->thread.tid, want.tid);
  EXPECT_EQ(d->thread.comm, want.comm);
  EXPECT_EQ(d->thread.op, want.op);
  EXPECT_EQ(d->thread.uaddrs, want.uaddrs);
  EXPECT_EQ(d->thread.owner_tid, want.owner_tid);
  EXPECT_EQ(d->thread.owner_source, want.owner_source);
  EXPECT_EQ(d->thread.stack, want.stack);
  EXPECT_TRUE(d->thread.in_futex);
}

TEST(ThreadStateRecord, LengthsBeyondTheRecordAreRefused) {
  std::vector<uint8_t> rec = encode_thread_state(blocked_thread(), FXS_SNAPSHOT_END, 1);
  fxs_thread_state_rec r;
  std::memcpy(&r, rec.data(), sizeof(r));
  r.stack_len = 60000;
  std::memcpy(rec.data(), &r, sizeof(r));
  EXPECT_FALSE(decode_thread_state(reinterpret_cast<const fxs_rec_hdr*>(rec.data())));
  r.stack_len = 0;
  r.nr_uaddrs = 1u << 30;
  std::memcpy(rec.data(), &r, sizeof(r));
  EXPECT_FALSE(decode_thread_state(reinterpret_cast<const fxs_rec_hdr*>(rec.data())));
}

TEST(ThreadStateRecord, HugeStacksAreCutToFitTheRecord) {
  ThreadSnapshot t = blocked_thread();
  t.stack.assign(5000, std::string(40, 'f'));
  std::vector<uint8_t> rec = encode_thread_state(t, FXS_SNAPSHOT_END, 1);
  EXPECT_LE(rec.size(), 65535u);
  auto d = decode_thread_state(reinterpret_cast<const fxs_rec_hdr*>(rec.data()));
  ASSERT_TRUE(d);
  EXPECT_GT(d->thread.stack.size(), 1000u);
}

}  // namespace
}  // namespace fxs
