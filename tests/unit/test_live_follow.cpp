// A live view's follow mode (ui/live_follow.h): the newest window of a
// growing stream, paused by looking elsewhere, and the whole trace at its end.
#include <gtest/gtest.h>

#include "ui/live_follow.h"

namespace fxs::ui {
namespace {

constexpr double kS = 1e9;

TEST(LiveFollow, ShowsAllWhileShorterThanTheWindowThenTheNewestWindow) {
  LiveFollow live;  // following, 10 s
  double start = -1, span = -1;
  ASSERT_EQ(live.frame(true, 3 * kS, &start, &span), LiveFollow::Step::kFollow);
  EXPECT_DOUBLE_EQ(start, 0);
  EXPECT_DOUBLE_EQ(span, 3 * kS);
  ASSERT_EQ(live.frame(true, 25 * kS, &start, &span), LiveFollow::Step::kFollow);
  EXPECT_DOUBLE_EQ(start, 15 * kS);
  EXPECT_DOUBLE_EQ(span, 10 * kS);
  live.window_s = 60;
  ASSERT_EQ(live.frame(true, 100 * kS, &start, &span), LiveFollow::Step::kFollow);
  EXPECT_DOUBLE_EQ(start, 40 * kS);
  EXPECT_DOUBLE_EQ(span, 60 * kS);
  // No data yet: a tiny span, never 0 (the timeline divides by it).
  LiveFollow fresh;
  ASSERT_EQ(fresh.frame(true, 0, &start, &span), LiveFollow::Step::kFollow);
  EXPECT_GT(span, 0);
}

TEST(LiveFollow, PausedLeavesTheViewAloneAndTheEndIsNotRefitted) {
  LiveFollow live;
  double start = 7, span = 8;
  live.on = false;  // the user panned
  EXPECT_EQ(live.frame(true, 25 * kS, &start, &span), LiveFollow::Step::kNone);
  EXPECT_EQ(start, 7);
  EXPECT_EQ(span, 8);
  // The recording ends while paused: the view stays where the user put it.
  EXPECT_EQ(live.frame(false, 26 * kS, &start, &span), LiveFollow::Step::kNone);
  EXPECT_EQ(start, 7);
}

TEST(LiveFollow, EndOfTheStreamWhileFollowingFitsTheWholeTraceOnce) {
  LiveFollow live;
  double start = 0, span = 0;
  ASSERT_EQ(live.frame(true, 20 * kS, &start, &span), LiveFollow::Step::kFollow);
  EXPECT_EQ(live.frame(false, 21 * kS, &start, &span), LiveFollow::Step::kFitAll);
  EXPECT_EQ(live.frame(false, 21 * kS, &start, &span), LiveFollow::Step::kNone);  // only once
  // A replay (never growing) is never followed.
  LiveFollow replay;
  EXPECT_EQ(replay.frame(false, 5 * kS, &start, &span), LiveFollow::Step::kNone);
}

}  // namespace
}  // namespace fxs::ui
