#include "replay/wait_hist.h"

#include <gtest/gtest.h>

#include <random>

namespace fxs {
namespace {

// Every way of filling it reads back like a plain array filled the same way.
TEST(WaitHist, ReadsLikeTheDenseArray) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; round++) {
    WaitHist::Dense want{};
    WaitHist h;
    for (int i = 0, n = int(rng() % 12); i < n; i++) {
      unsigned b = unsigned(rng() % WaitHist::kBuckets);
      uint64_t c = rng() % 3;  // zeros too: they must not open a run
      want[b] += c;
      h.add(b, c);
    }
    for (unsigned b = 0; b < WaitHist::kBuckets; b++) EXPECT_EQ(h[b], want[b]) << "round " << round << " bucket " << b;
    EXPECT_EQ(h[WaitHist::kBuckets], 0u);
    EXPECT_EQ(h.dense(), want);
    EXPECT_EQ(WaitHist(want).dense(), want);
    EXPECT_TRUE(WaitHist(want) == h);
    uint64_t total = 0, peak = 0;
    for (uint64_t c : want) total += c, peak = std::max(peak, c);
    EXPECT_EQ(h.total(), total);
    EXPECT_EQ(h.peak(), peak);
  }
}

TEST(WaitHist, MergesRunsOnEitherSide) {
  WaitHist a, b;
  a.add(10, 3);
  a.add(12, 1);
  b.add(4, 2);
  b.add(39, 5);
  a.add(b);
  EXPECT_EQ(a[4], 2u);
  EXPECT_EQ(a[10], 3u);
  EXPECT_EQ(a[11], 0u);
  EXPECT_EQ(a[12], 1u);
  EXPECT_EQ(a[39], 5u);
  EXPECT_EQ(a.total(), 11u);
  EXPECT_FALSE(a == b);
}

TEST(WaitHist, EmptyHasNothing) {
  WaitHist h;
  EXPECT_EQ(h.total(), 0u);
  EXPECT_EQ(h.peak(), 0u);
  EXPECT_EQ(h[0], 0u);
  EXPECT_TRUE(h == WaitHist(WaitHist::Dense{}));
  h.add(5, 0);
  EXPECT_EQ(h.total(), 0u);
}

}  // namespace
}  // namespace fxs
