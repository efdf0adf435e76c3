#include "replay/stack_coverage_note.h"

#include <gtest/gtest.h>

namespace fxs {
namespace {

TraceHeader recorded(bool stacks, uint64_t min_wait_ns, uint32_t sample_every) {
  TraceHeader h;
  h.stack_settings_known = true;
  h.stacks = stacks;
  h.stack_min_wait_ns = min_wait_ns;
  h.stack_sample_every = sample_every;
  return h;
}

TEST(StackCoverageNote, WarnsBelowNinetyPercentOfWaitsOrTimeWithTheReason) {
  const TraceHeader h = recorded(true, 1000000, 16);
  // 90% of both: no warning.
  EXPECT_FALSE(stack_coverage_warning(h, {100, 90, 1000, 900}, 0));
  // A handful of waits without a stack is no news, whatever their share.
  EXPECT_FALSE(stack_coverage_warning(h, {5, 4, 1000, 999}, 0));
  EXPECT_FALSE(stack_coverage_warning(h, {6, 3, 1500, 400}, 0));
  // 89% of the waits, all of the time.
  auto w = stack_coverage_warning(h, {100, 89, 1000, 1000}, 0);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("stacks stand for 89 of 100 waits"), std::string::npos) << *w;
  EXPECT_NE(w->find("at least 1.00ms (--stack-min-wait"), std::string::npos) << *w;
  EXPECT_NE(w->find("1 in 16 of the shorter ones"), std::string::npos) << *w;
  // Too little of the time; and ring drops said.
  w = stack_coverage_warning(h, {100, 90, 1000, 500}, 7);
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("7 waits kept only their frame-pointer stack"), std::string::npos) << *w;
}

TEST(StackCoverageNote, SaysNoStacksAndStaysQuietWhereItCannotKnow) {
  auto w = stack_coverage_warning(recorded(false, 1000000, 16), {10, 0, 100, 0}, 0);
  EXPECT_FALSE(stack_coverage_warning(recorded(false, 1000000, 16), {9, 0, 100, 0}, 0));
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("recorded with --no-stacks"), std::string::npos) << *w;
  TraceHeader old;  // a trace that does not say how its stacks were taken
  EXPECT_FALSE(stack_coverage_warning(old, {10, 0, 100, 0}, 0));
  TraceHeader summary = recorded(false, 0, 0);
  summary.summary = true;
  EXPECT_FALSE(stack_coverage_warning(summary, {10, 0, 100, 0}, 0));
  EXPECT_FALSE(stack_coverage_warning(recorded(true, 0, 0), {0, 0, 0, 0}, 0));
}

TEST(StackCoverageNote, SumsNearTwoToTheSixtyFourDoNotWrap) {
  const uint64_t big = ~uint64_t{0} / 2;
  // 50% of a sum whose 90% would overflow 64 bits: still a warning.
  EXPECT_TRUE(stack_coverage_warning(recorded(true, 1000, 0), {big, big / 2, 10, 10}, 0));
  EXPECT_FALSE(stack_coverage_warning(recorded(true, 1000, 0), {big, big, 10, 10}, 0));
}

}  // namespace
}  // namespace fxs
