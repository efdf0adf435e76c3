// collector/stack_sample_weights.h: what a sampled stack stands for, written
// as FXS_REC_STACK_WEIGHT records, read back through the replay's StackModel.
#include "collector/stack_sample_weights.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bpf/trace_abi.h"
#include "common/temp_dir.h"
#include "replay/stack_model.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

constexpr uint64_t kMinWait = 1000000;  // --stack-min-wait 1ms

// A FUTEX_WAIT of `ns` that returned `ret`, with stack `stack` (-1: none);
// a futex_waitv on `vector` when it is not empty.
std::vector<uint8_t> wait(uint32_t tid, uint64_t uaddr, uint64_t at, uint64_t ns, int32_t ret, int32_t stack,
                          const std::vector<uint64_t>& vector = {}) {
  std::vector<uint8_t> b(sizeof(fxs_futex_rec) + vector.size() * 8);
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, uint16_t(b.size()), 0};
  r.tgid = 100;
  r.tid = tid;
  r.enter_ns = at;
  r.exit_ns = at + ns;
  r.ret = ret;
  r.ustack_id = stack;
  r.syscall = vector.empty() ? FXS_SC_FUTEX : FXS_SC_FUTEX_WAITV;
  r.opi = vector.empty() ? FXS_OP_FUTEX_WAIT : FXS_OP_FUTEX2_WAITV;
  r.uaddr = vector.empty() ? uaddr : vector[0];
  r.nr_uaddrs = uint8_t(vector.size());
  std::memcpy(b.data(), &r, sizeof r);
  if (!vector.empty()) std::memcpy(b.data() + sizeof r, vector.data(), vector.size() * 8);
  return b;
}

// A wake-type call of thread `tid` on `uaddr` that returned `ret`, with stack `stack` (-1: none).
std::vector<uint8_t> wake(uint32_t tid, uint64_t uaddr, uint64_t at, uint8_t opi, int32_t ret, int32_t stack) {
  std::vector<uint8_t> b(sizeof(fxs_futex_rec));
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, uint16_t(b.size()), 0};
  r.tgid = 100;
  r.tid = tid;
  r.enter_ns = at;
  r.exit_ns = at + 100;
  r.ret = ret;
  r.val = 8;  // FUTEX_WAKE's most: ret is what it woke
  r.ustack_id = stack;
  r.syscall = FXS_SC_FUTEX;
  r.opi = opi;
  r.uaddr = uaddr;
  std::memcpy(b.data(), &r, sizeof r);
  return b;
}

struct Weighed {
  StackModel stacks;
  uint64_t written = 0;
};

// Feeds the records to the weights (and the trace), flushes, and reads the trace into a StackModel.
void weigh(const std::vector<std::vector<uint8_t>>& records, Weighed& out) {
  test::TempDir dir;
  const std::string path = dir.path("w.fxs");
  {
    auto w = TraceWriter::create(path, TraceHeader{});
    ASSERT_TRUE(w.ok()) << w.message();
    StackSampleWeights weights(kMinWait);
    for (const auto& r : records) {
      ASSERT_TRUE(w->append(r.data(), r.size()).ok());
      ASSERT_TRUE(weights.on_record(r.data(), r.size(), *w).ok());
    }
    ASSERT_TRUE(weights.flush(*w).ok());
    out.written = weights.weights_written();
    ASSERT_TRUE(w->close().ok());
  }
  auto reader = TraceReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.message();
  ASSERT_TRUE(reader->for_each_record([&](const fxs_rec_hdr* h) { out.stacks.add(h); }).ok());
}

TEST(StackSampleWeights, ASampleStandsForTheWaitsBeforeItAndTheLastForTheTail) {
  std::vector<std::vector<uint8_t>> recs;
  uint64_t t = 1000;
  // Thread 1 on futex 0x10: a sampled wait (stack 7), 3 short waits, a
  // sampled one (stack 8), 2 short waits, a timed-out short one: the tail.
  recs.push_back(wait(1, 0x10, t += 10000, 100, 0, 7));
  for (int i = 0; i < 3; i++) recs.push_back(wait(1, 0x10, t += 10000, 200, 0, -1));
  recs.push_back(wait(1, 0x10, t += 10000, 100, 0, 8));
  for (int i = 0; i < 2; i++) recs.push_back(wait(1, 0x10, t += 10000, 300, 0, -1));
  recs.push_back(wait(1, 0x10, t += 10000, 400, -110, -1));
  // EAGAIN never queued: no stack stands for it, nor need one.
  recs.push_back(wait(1, 0x10, t += 10000, 50, -11, -1));
  // Thread 2 on futex 0x20: short waits and never a stack: uncovered.
  for (int i = 0; i < 4; i++) recs.push_back(wait(2, 0x20, t += 10000, 100, 0, -1));
  Weighed w;
  weigh(recs, w);
  const StackWait c = w.stacks.coverage(100, 0x10);
  EXPECT_EQ(c.waits, 8u);  // all of its 8 waits that queued
  EXPECT_EQ(c.wait_ns, 100u + 3 * 200 + 100 + 2 * 300 + 400);
  EXPECT_EQ(w.stacks.sampled_waits(100, 0x10), 6u);
  EXPECT_EQ(w.stacks.coverage(100, 0x20).waits, 0u);
  EXPECT_EQ(w.written, 2u);  // one when stack 8 came, one at the flush
}

TEST(StackSampleWeights, AWaitvSampleStandsOnEveryAddressOfItsVector) {
  const std::vector<uint64_t> v = {0x100, 0x108, 0x110};
  std::vector<std::vector<uint8_t>> recs;
  uint64_t t = 1000;
  for (int i = 0; i < 2; i++) recs.push_back(wait(3, 0, t += 10000, 100, 1, -1, v));
  recs.push_back(wait(3, 0, t += 10000, 100, 2, 9, v));
  recs.push_back(wait(3, 0, t += 10000, 100, 0, -1, v));
  Weighed w;
  weigh(recs, w);
  for (uint64_t a : v) EXPECT_EQ(w.stacks.coverage(100, a).waits, 4u) << a;
}

// Waker stacks the same way: a sampled wake call stands for its thread's
// wakes on the futex without a stack before it, the last one for the tail;
// wakes that woke nobody are nobody's.
TEST(StackSampleWeights, ASampledWakerStandsForItsThreadsWakesWithoutAStack) {
  std::vector<std::vector<uint8_t>> recs;
  uint64_t t = 1000;
  recs.push_back(wake(1, 0x10, t += 1000, FXS_OP_FUTEX_WAKE, 1, 5));   // sampled
  recs.push_back(wake(1, 0x10, t += 1000, FXS_OP_FUTEX_WAKE, 1, -1));
  recs.push_back(wake(1, 0x10, t += 1000, FXS_OP_FUTEX_WAKE, 3, -1));  // a herd of 3
  recs.push_back(wake(1, 0x10, t += 1000, FXS_OP_FUTEX_WAKE, 0, -1));  // woke nobody
  recs.push_back(wake(1, 0x10, t += 1000, FXS_OP_FUTEX_WAKE, 1, 6));   // sampled: stands for the 4 before
  recs.push_back(wake(1, 0x10, t += 1000, FXS_OP_FUTEX_WAKE, 2, -1));  // tail: to stack 6
  // Another thread's wakes are not stack 6's: it never had a waker stack here.
  recs.push_back(wake(2, 0x10, t += 1000, FXS_OP_FUTEX_WAKE, 1, -1));
  // A PI unlock that returned 0 handed the lock to one waiter.
  recs.push_back(wake(3, 0x20, t += 1000, FXS_OP_FUTEX_UNLOCK_PI, 0, -1));
  recs.push_back(wake(3, 0x20, t += 1000, FXS_OP_FUTEX_UNLOCK_PI, 0, 9));
  Weighed w;
  weigh(recs, w);
  std::vector<StackWake> s = w.stacks.top_waker_stacks(100, 0x10, 0);
  ASSERT_EQ(s.size(), 2u);
  // By wakes: stack 6 (its own 1, the 4 before it, the tail's 2), then stack 5.
  EXPECT_EQ(s[0].wakes, 7u);
  EXPECT_EQ(s[0].calls, 4u);  // itself, two that woke before it, the tail; not the one that woke nobody
  EXPECT_EQ(s[0].sampled_wakes, 6u);
  EXPECT_EQ(s[1].wakes, 1u);
  EXPECT_EQ(s[1].calls, 1u);
  EXPECT_EQ(s[1].sampled_wakes, 0u);
  std::vector<StackWake> pi = w.stacks.top_waker_stacks(100, 0x20, 0);
  ASSERT_EQ(pi.size(), 1u);
  EXPECT_EQ(pi[0].wakes, 2u);
  EXPECT_EQ(pi[0].sampled_wakes, 1u);
  EXPECT_EQ(w.written, 3u);  // when stack 6 came, when stack 9 came, the tail at the flush
}

}  // namespace
}  // namespace fxs
