// PodVector (replay/timeline_model.h): past a few MiB it makes pages
// present ahead of push_back in steps; every element must still land,
// across growth, copies and moves.
#include <gtest/gtest.h>

#include <cstdint>

#include "replay/timeline_model.h"

namespace fxs {
namespace {

TEST(PodVector, KeepsEveryElementPastThePrefaultThreshold) {
  PodVector<TimelineCall> v;
  const size_t n = 1'000'000;  // 24 MB: several prefault steps and reallocations
  for (size_t i = 0; i < n; i++) {
    TimelineCall c{};
    c.enter_ns = i * 3;
    c.futex = static_cast<uint32_t>(i);
    v.push_back(c);
  }
  ASSERT_EQ(v.size(), n);
  for (size_t i = 0; i < n; i += 997) {
    EXPECT_EQ(v[i].enter_ns, i * 3);
    EXPECT_EQ(v[i].futex, i);
  }
  PodVector<TimelineCall> copy = v;  // a copy may start below its prefault window
  TimelineCall last{};
  last.enter_ns = 42;
  copy.push_back(last);
  ASSERT_EQ(copy.size(), n + 1);
  EXPECT_EQ(copy[n - 1].futex, n - 1);
  EXPECT_EQ(copy[n].enter_ns, 42u);
  PodVector<TimelineCall> moved = std::move(copy);
  moved.push_back(last);
  ASSERT_EQ(moved.size(), n + 2);
  EXPECT_EQ(moved[n + 1].enter_ns, 42u);
  v.clear();
  v.push_back(last);
  EXPECT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].enter_ns, 42u);
}

}  // namespace
}  // namespace fxs
