#include "replay/wait_for_graph.h"

#include <gtest/gtest.h>

namespace fxs {
namespace {

ThreadSnapshot waiting(uint32_t tid, uint64_t uaddr, uint32_t owner) {
  ThreadSnapshot t;
  t.pid = 100;
  t.tid = tid;
  t.state = 'S';
  t.syscall = 202;
  t.in_futex = true;
  t.op = "FUTEX_WAIT";
  t.uaddrs = {uaddr};
  t.owner_tid = owner;
  return t;
}

ThreadSnapshot doing(uint32_t tid, char state, int64_t syscall) {
  ThreadSnapshot t;
  t.pid = 100;
  t.tid = tid;
  t.state = state;
  t.syscall = syscall;
  return t;
}

TEST(WaitForGraph, AbbaIsOneDeadlockInCycleOrderFromTheLowestTid) {
  // 102 holds A (0xa0) and waits on B (0xb0), held by 101, which waits on A.
  auto g = analyze_wait_for({doing(100, 'S', 34), waiting(102, 0xb0, 101), waiting(101, 0xa0, 102)});
  ASSERT_EQ(g.deadlocks.size(), 1u);
  EXPECT_EQ(g.deadlocks[0].threads, (std::vector<uint32_t>{101, 102}));
  EXPECT_EQ(g.deadlocks[0].futexes, (std::vector<uint64_t>{0xa0, 0xb0}));
  EXPECT_TRUE(g.chains.empty());
}

TEST(WaitForGraph, ThreeThreadCycleAndAThreadWaitingOnIt) {
  auto g = analyze_wait_for({waiting(13, 0x3, 11), waiting(11, 0x1, 12), waiting(12, 0x2, 13),
                             waiting(14, 0x1, 12)});
  ASSERT_EQ(g.deadlocks.size(), 1u);
  EXPECT_EQ(g.deadlocks[0].threads, (std::vector<uint32_t>{11, 12, 13}));
  EXPECT_EQ(g.deadlocks[0].futexes, (std::vector<uint64_t>{0x1, 0x2, 0x3}));
  ASSERT_EQ(g.chains.size(), 1u);  // 14 is stuck behind the cycle, not in it
  EXPECT_EQ(g.chains[0].tid, 14u);
  EXPECT_EQ(g.chains[0].holders, (std::vector<uint32_t>{12}));
  EXPECT_EQ(g.chains[0].end, "deadlocked");
}

TEST(WaitForGraph, TwoSeparateCycles) {
  auto g = analyze_wait_for({waiting(5, 0x50, 6), waiting(6, 0x60, 5), waiting(2, 0x20, 3), waiting(3, 0x30, 2)});
  ASSERT_EQ(g.deadlocks.size(), 2u);
  EXPECT_EQ(g.deadlocks[0].threads, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(g.deadlocks[1].threads, (std::vector<uint32_t>{5, 6}));
}

TEST(WaitForGraph, HolderBlockedInReadIsAChainNotADeadlock) {
  auto g = analyze_wait_for({waiting(7, 0x70, 8), doing(8, 'S', 0)});
  EXPECT_TRUE(g.deadlocks.empty());
  ASSERT_EQ(g.chains.size(), 1u);
  EXPECT_EQ(g.chains[0].holders, (std::vector<uint32_t>{8}));
  EXPECT_EQ(g.chains[0].end, "blocked in read");
}

TEST(WaitForGraph, DeepChainEndsInTheLastHoldersActivity) {
  auto g = analyze_wait_for({waiting(1, 0x1, 2), waiting(2, 0x2, 3), doing(3, 'R', -1)});
  ASSERT_EQ(g.chains.size(), 1u);  // 2 -> 3 running is plain contention; 1 -> 2 -> 3 is not
  EXPECT_EQ(g.chains[0].tid, 1u);
  EXPECT_EQ(g.chains[0].holders, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(g.chains[0].end, "running");
}

TEST(WaitForGraph, OwnerThatIsGoneHasExited) {
  auto g = analyze_wait_for({waiting(4, 0x40, 999)});
  ASSERT_EQ(g.chains.size(), 1u);
  EXPECT_EQ(g.chains[0].end, "exited");
}

TEST(WaitForGraph, WaitsWithoutKnownOwnersMakeNoEdges) {
  // A condition variable nobody signals, and a futex_waitv on two words: blocked, nothing more.
  ThreadSnapshot v = waiting(9, 0x90, 10);
  v.uaddrs.push_back(0x98);
  auto g = analyze_wait_for({waiting(10, 0xc0, 0), v});
  EXPECT_TRUE(g.deadlocks.empty());
  EXPECT_TRUE(g.chains.empty());
}

// A file may hold 100,000 threads in one chain: each is followed at most
// kMaxHolders deep, so the analysis stays linear.
TEST(WaitForGraph, LongChainsAreCut) {
  std::vector<ThreadSnapshot> threads;
  const uint32_t n = 100000;
  for (uint32_t i = 1; i < n; i++) threads.push_back(waiting(i, 0x1000 + i, i + 1));
  threads.push_back(doing(n, 'S', 0));
  auto g = analyze_wait_for(threads);
  EXPECT_TRUE(g.deadlocks.empty());
  ASSERT_EQ(g.chains.size(), size_t(n - 1));
  EXPECT_EQ(g.chains[0].holders.size(), WaitChain::kMaxHolders);
  EXPECT_EQ(g.chains[0].end, "longer than 64 holders");
  EXPECT_EQ(g.chains.back().end, "blocked in read");
}

}  // namespace
}  // namespace fxs
