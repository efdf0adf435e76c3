// Op decoding, names and classification (replay/futex_ops.h).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "replay/futex_ops.h"

namespace fxs {
namespace {

TEST(FutexOps, NamesByIndex) {
  const char* expected[] = {
      "FUTEX_WAIT",        "FUTEX_WAKE",        "FUTEX_FD",
      "FUTEX_REQUEUE",     "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
      "FUTEX_LOCK_PI",     "FUTEX_UNLOCK_PI",   "FUTEX_TRYLOCK_PI",
      "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
      "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2", "futex_waitv",
      "futex_wait",        "futex_wake",        "futex_requeue",
      "FUTEX_UNKNOWN"};
  ASSERT_EQ(std::size(expected), size_t{kNumOps});
  for (unsigned i = 0; i < kNumOps; i++) {
    EXPECT_STREQ(op_name(i), expected[i]) << i;
    EXPECT_EQ(op_from_name(expected[i]), i) << expected[i];
  }
  EXPECT_STREQ(op_name(19), "FUTEX_UNKNOWN");
  EXPECT_STREQ(op_name(255), "FUTEX_UNKNOWN");
  EXPECT_FALSE(op_from_name("FUTEX_WAIT_PRIVATE").has_value());
  EXPECT_FALSE(op_from_name("").has_value());
}

TEST(FutexOps, DecodesCommandAndFlags) {
  FutexOpWord w = decode_futex_op(0);  // FUTEX_WAIT, shared, monotonic
  EXPECT_EQ(w.cmd, 0u);
  EXPECT_EQ(w.opi, FXS_OP_FUTEX_WAIT);
  EXPECT_FALSE(w.private_flag);
  EXPECT_FALSE(w.clock_realtime);
  EXPECT_EQ(w.other_flags, 0u);

  w = decode_futex_op(128 | 1);  // FUTEX_WAKE_PRIVATE
  EXPECT_EQ(w.cmd, 1u);
  EXPECT_EQ(w.opi, FXS_OP_FUTEX_WAKE);
  EXPECT_TRUE(w.private_flag);
  EXPECT_FALSE(w.clock_realtime);

  w = decode_futex_op(256 | 128 | 9);  // glibc condvar wait: WAIT_BITSET|PRIVATE|CLOCK_REALTIME
  EXPECT_EQ(w.cmd, 9u);
  EXPECT_EQ(w.opi, FXS_OP_FUTEX_WAIT_BITSET);
  EXPECT_TRUE(w.private_flag);
  EXPECT_TRUE(w.clock_realtime);
  EXPECT_EQ(w.other_flags, 0u);

  w = decode_futex_op(256 | 13);
  EXPECT_EQ(w.opi, FXS_OP_FUTEX_LOCK_PI2);
  EXPECT_FALSE(w.private_flag);
  EXPECT_TRUE(w.clock_realtime);

  w = decode_futex_op(14);  // first command this tool does not know
  EXPECT_EQ(w.cmd, 14u);
  EXPECT_EQ(w.opi, FXS_OP_UNKNOWN);
  w = decode_futex_op(0x7f | 128);
  EXPECT_EQ(w.cmd, 0x7fu);
  EXPECT_EQ(w.opi, FXS_OP_UNKNOWN);
  EXPECT_TRUE(w.private_flag);

  w = decode_futex_op(512 | 128 | 4);  // a newer flag bit above CLOCK_REALTIME
  EXPECT_EQ(w.opi, FXS_OP_FUTEX_CMP_REQUEUE);
  EXPECT_EQ(w.other_flags, 512u);
}

TEST(FutexOps, OpIndexBySyscall) {
  EXPECT_EQ(op_index(FXS_SC_FUTEX, 128 | 5), FXS_OP_FUTEX_WAKE_OP);
  EXPECT_EQ(op_index(FXS_SC_FUTEX, 20), FXS_OP_UNKNOWN);
  // futex2 calls: the op word is futex2 flags, it does not change the index.
  EXPECT_EQ(op_index(FXS_SC_FUTEX_WAITV, 0), FXS_OP_FUTEX2_WAITV);
  EXPECT_EQ(op_index(FXS_SC_FUTEX_WAIT, 0x82), FXS_OP_FUTEX2_WAIT);
  EXPECT_EQ(op_index(FXS_SC_FUTEX_WAKE, 0x82), FXS_OP_FUTEX2_WAKE);
  EXPECT_EQ(op_index(FXS_SC_FUTEX_REQUEUE, 0x82), FXS_OP_FUTEX2_REQUEUE);
  EXPECT_EQ(op_index(9, 0), FXS_OP_UNKNOWN);
}

// Every op index against the exact set it must (not) belong to.
std::set<unsigned> members(bool (*pred)(unsigned)) {
  std::set<unsigned> s;
  for (unsigned i = 0; i < kNumOps + 5; i++)
    if (pred(i)) s.insert(i);
  return s;
}

TEST(FutexOps, Classification) {
  EXPECT_EQ(members([](unsigned i) { return is_wait_op(i); }),
            (std::set<unsigned>{FXS_OP_FUTEX_WAIT, FXS_OP_FUTEX_LOCK_PI, FXS_OP_FUTEX_WAIT_BITSET,
                                FXS_OP_FUTEX_WAIT_REQUEUE_PI, FXS_OP_FUTEX_LOCK_PI2,
                                FXS_OP_FUTEX2_WAITV, FXS_OP_FUTEX2_WAIT}));
  EXPECT_EQ(members([](unsigned i) { return is_wake_op(i); }),
            (std::set<unsigned>{FXS_OP_FUTEX_WAKE, FXS_OP_FUTEX_WAKE_OP, FXS_OP_FUTEX_WAKE_BITSET,
                                FXS_OP_FUTEX2_WAKE}));
  EXPECT_EQ(members([](unsigned i) { return is_requeue_op(i); }),
            (std::set<unsigned>{FXS_OP_FUTEX_REQUEUE, FXS_OP_FUTEX_CMP_REQUEUE,
                                FXS_OP_FUTEX_CMP_REQUEUE_PI, FXS_OP_FUTEX2_REQUEUE}));
  EXPECT_EQ(members([](unsigned i) { return has_uaddr2(i); }),
            (std::set<unsigned>{FXS_OP_FUTEX_REQUEUE, FXS_OP_FUTEX_CMP_REQUEUE,
                                FXS_OP_FUTEX_WAKE_OP, FXS_OP_FUTEX_WAIT_REQUEUE_PI,
                                FXS_OP_FUTEX_CMP_REQUEUE_PI, FXS_OP_FUTEX2_REQUEUE}));
  EXPECT_EQ(members([](unsigned i) { return is_pi_lock_op(i); }),
            (std::set<unsigned>{FXS_OP_FUTEX_LOCK_PI, FXS_OP_FUTEX_UNLOCK_PI,
                                FXS_OP_FUTEX_TRYLOCK_PI, FXS_OP_FUTEX_LOCK_PI2}));
  // The sets are disjoint except where an op is both (none are): a call is
  // counted by at most one rule.
  for (unsigned i = 0; i < kNumOps; i++)
    EXPECT_LE(int(is_wait_op(i)) + int(is_wake_op(i)) + int(is_requeue_op(i)), 1) << op_name(i);
}

TEST(FutexOps, InterruptedCodes) {
  std::set<int32_t> got;
  for (int32_t r = -600; r <= 10; r++)
    if (is_interrupted(r)) got.insert(r);
  EXPECT_EQ(got, (std::set<int32_t>{-4, -512, -513, -514, -516}));
}

TEST(FutexOps, WaitOutcome) {
  EXPECT_EQ(wait_outcome(0), WaitOutcome::kOk);
  EXPECT_EQ(wait_outcome(3), WaitOutcome::kOk);  // futex_waitv: index 3 woke
  EXPECT_EQ(wait_outcome(-11), WaitOutcome::kEagain);
  EXPECT_EQ(wait_outcome(-110), WaitOutcome::kTimedOut);
  EXPECT_EQ(wait_outcome(-4), WaitOutcome::kInterrupted);
  EXPECT_EQ(wait_outcome(-516), WaitOutcome::kInterrupted);
  EXPECT_EQ(wait_outcome(-22), WaitOutcome::kNotCounted);   // EINVAL
  EXPECT_EQ(wait_outcome(-14), WaitOutcome::kNotCounted);   // EFAULT
  EXPECT_EQ(wait_outcome(-35), WaitOutcome::kNotCounted);   // EDEADLK (LOCK_PI)
  EXPECT_EQ(wait_outcome(-515), WaitOutcome::kNotCounted);  // not a restart code we count
  EXPECT_TRUE(queued(WaitOutcome::kOk));
  EXPECT_TRUE(queued(WaitOutcome::kTimedOut));
  EXPECT_TRUE(queued(WaitOutcome::kInterrupted));
  EXPECT_FALSE(queued(WaitOutcome::kEagain));
  EXPECT_FALSE(queued(WaitOutcome::kNotCounted));
}

TEST(FutexOps, Log2BucketMatchesKernel) {
  // The kernel's loop, verbatim in spirit: shift until < 2, at most 39 times.
  auto kernel = [](uint64_t v) {
    unsigned b = 0;
    for (int i = 0; i < FXS_HIST_BUCKETS - 1; i++) {
      if (v < 2) break;
      v >>= 1;
      b++;
    }
    return b;
  };
  EXPECT_EQ(log2_bucket(0), 0u);
  EXPECT_EQ(log2_bucket(1), 0u);
  EXPECT_EQ(log2_bucket(2), 1u);
  EXPECT_EQ(log2_bucket(3), 1u);
  EXPECT_EQ(log2_bucket(1023), 9u);
  EXPECT_EQ(log2_bucket(1024), 10u);
  EXPECT_EQ(log2_bucket(uint64_t{1} << 39), 39u);
  EXPECT_EQ(log2_bucket(uint64_t{1} << 45), 39u);
  EXPECT_EQ(log2_bucket(UINT64_MAX), 39u);
  for (uint64_t v : {uint64_t{5}, uint64_t{999}, uint64_t{123456789}, uint64_t{1} << 38,
                     (uint64_t{1} << 39) - 1, uint64_t{1} << 63})
    EXPECT_EQ(log2_bucket(v), kernel(v)) << v;
  for (unsigned b = 1; b < 64; b++) {
    uint64_t v = uint64_t{1} << b;
    EXPECT_EQ(log2_bucket(v), kernel(v)) << v;
    EXPECT_EQ(log2_bucket(v - 1), kernel(v - 1)) << v - 1;
  }
}

}  // namespace
}  // namespace fxs
