// The one model set (replay/trace_models.h) read with different analyses:
// a reader that pays only for who woke whom (export) gets the same
// attribution of every wake as the full report's pairing, in the same
// order, and its timeline holds every call.
#include <gtest/gtest.h>

#include <string>

#include "replay/trace_models.h"

namespace fxs {
namespace {

const std::string kTrace = std::string(FXS_TEST_DATA_DIR) + "/numa-2node.fxs";

bool same(const WakeAttribution& a, const WakeAttribution& b) {
  return a.waker_tgid == b.waker_tgid && a.waker_tid == b.waker_tid && a.waiter_tgid == b.waiter_tgid &&
         a.waiter_tid == b.waiter_tid && a.wake_ts_ns == b.wake_ts_ns && a.wait_enter_ns == b.wait_enter_ns;
}

TEST(TraceModels, WakesOnlyAttributeEveryWakeAsTheReportDoes) {
  auto full = read_trace(kTrace, {.report = true, .attributions = true});
  auto flows = read_trace(kTrace, {.report = false, .attributions = true, .timeline = true});
  ASSERT_TRUE(full.ok()) << full.message();
  ASSERT_TRUE(flows.ok()) << flows.message();
  EXPECT_TRUE(full->wake_records);
  EXPECT_TRUE(flows->wake_records);
  ASSERT_GT(full->attributed.size(), 0u) << "the comparison must not be of empty lists";
  ASSERT_EQ(flows->attributed.size(), full->attributed.size());
  for (size_t i = 0; i < full->attributed.size(); i++)
    ASSERT_TRUE(same(flows->attributed[i], full->attributed[i])) << "attribution " << i;
  // What export pays for and what it does not.
  EXPECT_TRUE(flows->data.futexes.empty());
  EXPECT_EQ(flows->numa.wakes, 0u);
  EXPECT_GT(full->numa.wakes, 0u);
  uint64_t calls = 0;
  for (const ReportData::Futex& f : full->data.futexes) calls += f.stats.total_ops();
  EXPECT_EQ(flows->timeline.calls(), calls);
  EXPECT_EQ(full->timeline.calls(), 0u);
  EXPECT_EQ(flows->data.header.cpu_node, full->data.header.cpu_node);
}

TEST(TraceModels, AMissingFileIsAnError) {
  auto r = read_trace("/nonexistent/trace.fxs", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("/nonexistent/trace.fxs"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace fxs
