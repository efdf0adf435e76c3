// The futex keys a loader thread builds per chunk (replay/chunk_futex_keys.h),
// and the models fed with them: they must number and count exactly as
// without keys.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/chunk_futex_keys.h"
#include "replay/futex_model.h"
#include "replay/timeline_model.h"

namespace fxs {
namespace {

fxs_futex_rec call(uint32_t tgid, uint32_t tid, uint64_t uaddr, uint8_t opi, uint64_t enter) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.enter_ns = enter;
  r.exit_ns = enter + 100 + tid;
  r.tgid = tgid;
  r.tid = tid;
  r.uaddr = uaddr;
  r.opi = opi;
  r.ustack_id = -1;
  return r;
}

struct Chunk {
  std::vector<uint8_t> bytes;
  void add(const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
  }
  void add(const fxs_futex_rec& r) { add(&r, sizeof r); }
  // futex_waitv on `uaddrs`, woken by entry `woken`.
  void add_waitv(uint32_t tgid, uint32_t tid, const std::vector<uint64_t>& uaddrs, int woken, uint64_t enter) {
    fxs_futex_rec r = call(tgid, tid, uaddrs[0], FXS_OP_FUTEX2_WAITV, enter);
    r.hdr.size = static_cast<uint16_t>(sizeof(r) + uaddrs.size() * 8);
    r.nr_uaddrs = static_cast<uint8_t>(uaddrs.size());
    r.ret = woken;
    add(&r, sizeof r);
    add(uaddrs.data(), uaddrs.size() * 8);
  }
};

// Futexes of two processes, one address in both, a waitv, a requeue, a task record in between.
Chunk mixed_chunk(uint64_t t0) {
  Chunk c;
  c.add(call(1, 11, 0x1000, FXS_OP_FUTEX_WAIT, t0));
  c.add(call(2, 21, 0x1000, FXS_OP_FUTEX_WAIT, t0 + 10));  // same address, other process: another futex
  c.add(call(1, 12, 0x2000, FXS_OP_FUTEX_WAKE, t0 + 20));
  c.add_waitv(1, 13, {0x3000, 0x1000, 0x4000}, 1, t0 + 30);
  fxs_task_rec task{};
  task.hdr = {FXS_REC_TASK, sizeof(task), 0};
  task.tgid = 1;
  task.tid = 11;
  c.add(&task, sizeof task);
  fxs_futex_rec rq = call(1, 12, 0x5000, FXS_OP_FUTEX_CMP_REQUEUE, t0 + 40);
  rq.uaddr2 = 0x6000;
  c.add(rq);
  c.add(call(1, 11, 0x2000, FXS_OP_FUTEX_WAIT, t0 + 50));
  c.add(call(1, 11, 0x1000, FXS_OP_FUTEX_WAIT, t0 + 60));
  return c;
}

TEST(ChunkFutexKeys, EachFutexCallGetsItsFutexsPlaceInFirstSeenOrder) {
  Chunk c = mixed_chunk(1000);
  ChunkFutexKeys keys;
  keys.build(c.bytes.data(), c.bytes.size());
  const uint32_t none = ChunkFutexKeys::kNone;
  // Calls in order: (1,0x1000) (2,0x1000) (1,0x2000) waitv (1,0x5000) (1,0x2000) (1,0x1000).
  std::vector<uint32_t> ids;
  for (size_t n = 0; n < 7; n++) ids.push_back(keys.id(n));
  EXPECT_EQ(ids, (std::vector<uint32_t>{0, 1, 2, none, 3, 2, 0}));
  EXPECT_EQ(keys.id(7), none) << "past the chunk's calls";
  ASSERT_EQ(keys.keys().size(), 4u);
  EXPECT_EQ(keys.keys()[1].tgid, 2u);
  EXPECT_EQ(keys.keys()[1].uaddr, 0x1000u);
  EXPECT_EQ(keys.keys()[3].uaddr, 0x5000u);
  EXPECT_TRUE(keys.built_for(c.bytes.data(), c.bytes.size()));
  EXPECT_FALSE(keys.built_for(c.bytes.data(), c.bytes.size() - 1));

  // Built again for another chunk: ids start over.
  Chunk other;
  other.add(call(1, 11, 0x2000, FXS_OP_FUTEX_WAIT, 5000));
  keys.build(other.bytes.data(), other.bytes.size());
  EXPECT_EQ(keys.id(0), 0u);
  ASSERT_EQ(keys.keys().size(), 1u);
  EXPECT_EQ(keys.keys()[0].uaddr, 0x2000u);
}

// Models fed chunk by chunk with and without keys, the second chunk naming
// futexes of the first in another order and new ones between them.
TEST(ChunkFutexKeys, ModelsGivenKeysNumberAndCountAsWithout) {
  Chunk a = mixed_chunk(1000);
  Chunk b;
  b.add(call(1, 14, 0x7000, FXS_OP_FUTEX_WAIT, 3000));
  b.add(call(1, 11, 0x1000, FXS_OP_FUTEX_WAIT, 3010));
  b.add_waitv(1, 13, {0x8000, 0x2000}, 0, 3020);
  b.add(call(2, 21, 0x9000, FXS_OP_FUTEX_WAKE, 3030));
  b.add(call(1, 12, 0x5000, FXS_OP_FUTEX_WAKE, 3040));

  TimelineModel tl_plain, tl_keys;
  FutexModel fm_plain, fm_keys;
  ChunkFutexKeys keys;
  for (const Chunk* c : {&a, &b}) {
    const uint8_t* d = c->bytes.data();
    const size_t n = c->bytes.size();
    tl_plain.add_records(d, n);
    fm_plain.add_records(d, n);
    keys.build(d, n);
    tl_keys.add_records(d, n, &keys);
    fm_keys.start_chunk(&keys, d, n);
    size_t futex_records = 0;
    for_each_chunk_record(d, n, [&](const uint8_t* p, const fxs_rec_hdr& h) {
      auto* rec = reinterpret_cast<const fxs_rec_hdr*>(p);
      fm_keys.add(rec, h.type == FXS_REC_FUTEX ? keys.id(futex_records++) : ChunkFutexKeys::kNone);
    });
    fm_keys.end_chunk();
  }

  ASSERT_EQ(tl_keys.futexes().size(), tl_plain.futexes().size());
  for (size_t i = 0; i < tl_plain.futexes().size(); i++) {
    EXPECT_EQ(tl_keys.futexes()[i].tgid, tl_plain.futexes()[i].tgid) << i;
    EXPECT_EQ(tl_keys.futexes()[i].uaddr, tl_plain.futexes()[i].uaddr) << i;
  }
  ASSERT_EQ(tl_keys.lanes().size(), tl_plain.lanes().size());
  for (size_t l = 0; l < tl_plain.lanes().size(); l++) {
    ASSERT_EQ(tl_keys.lanes()[l].calls.size(), tl_plain.lanes()[l].calls.size());
    for (size_t i = 0; i < tl_plain.lanes()[l].calls.size(); i++)
      EXPECT_EQ(tl_keys.lanes()[l].calls[i].futex, tl_plain.lanes()[l].calls[i].futex) << l << "/" << i;
  }

  std::vector<FutexStats> want = fm_plain.finish(), got = fm_keys.finish();
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(want.size(), 10u) << "every address of both chunks, waitv entries and requeue targets included";
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(got[i].tgid, want[i].tgid) << i;
    EXPECT_EQ(got[i].uaddr, want[i].uaddr) << i;
    EXPECT_EQ(got[i].ops, want[i].ops) << i;
    EXPECT_EQ(got[i].waits, want[i].waits) << i;
    EXPECT_EQ(got[i].threads, want[i].threads) << i;
  }
}

// Keys built from other bytes are not used: the model looks up on its own.
TEST(ChunkFutexKeys, KeysOfAnotherChunkAreIgnored) {
  Chunk a, b;
  a.add(call(1, 11, 0x1000, FXS_OP_FUTEX_WAIT, 1000));  // one futex: both calls get id 0
  a.add(call(1, 11, 0x1000, FXS_OP_FUTEX_WAIT, 1010));
  b.add(call(1, 11, 0x2000, FXS_OP_FUTEX_WAIT, 2000));
  b.add(call(1, 11, 0x1000, FXS_OP_FUTEX_WAIT, 2010));
  ChunkFutexKeys keys_of_a;
  keys_of_a.build(a.bytes.data(), a.bytes.size());
  TimelineModel tl;
  tl.add_records(b.bytes.data(), b.bytes.size(), &keys_of_a);
  ASSERT_EQ(tl.futexes().size(), 2u);
  EXPECT_EQ(tl.futexes()[0].uaddr, 0x2000u) << "b's own first-seen order, not a's";
  ASSERT_EQ(tl.lanes().size(), 1u);
  EXPECT_EQ(tl.lanes()[0].calls[0].futex, 0u);
  EXPECT_EQ(tl.lanes()[0].calls[1].futex, 1u);
}

}  // namespace
}  // namespace fxs
