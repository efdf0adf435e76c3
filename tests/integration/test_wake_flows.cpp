// The arrows of `export` (Chrome flows) on a herd recorded with the real BPF
// programs: each round one FUTEX_WAKE wakes every waiter of
// fxs-sample-condvar's herd word. The sample knows who woke whom (a wait
// that returned 0 was woken by the round's call); the report's waker edges
// must equal that, and the export's flows must equal the report's edges, one
// arrow per thread woken, each from the call that woke it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "ground_truth_check.h"
#include "run_command.h"
#include "wake_edges.h"

using nlohmann::json;
using fxs::test::run_command;
using fxs::test::TempDir;
using fxs::test::truth_from;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

TEST(WakeFlows, OfAHerdEqualTheReportsWakerEdges) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("herd.fxs"), chrome = dir.path("herd.json");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-condvar", "--rounds",
                        "200", "--herd", "3", "--herd-rounds", "40"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json truth = truth_from(r.out);
  ASSERT_FALSE(truth.is_null()) << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  fxs::test::expect_matches_truth(truth, report);  // the herd word's wakers among them
  const long pid = truth["pid"].get<long>();

  // The herd happened: some call woke more than one waiter.
  bool herd = false;
  for (const json& t : truth["futexes"])
    for (const auto& [size, calls] : t["herd_sizes"].items()) herd = herd || std::stol(size) > 1;
  EXPECT_TRUE(herd) << "no FUTEX_WAKE woke two waiters at once: the test shows nothing";

  auto ex = run_command({kFutexscope, "export", trace, "--format", "chrome", "-o", chrome});
  ASSERT_EQ(ex.status, 0) << ex.err;
  EXPECT_NE(ex.err.find("one per thread woken"), std::string::npos) << ex.err;
  std::ifstream in(chrome);
  ASSERT_TRUE(in) << chrome;
  const json doc = json::parse(in);
  EXPECT_EQ(fxs::test::chrome_flow_edges(doc, pid), fxs::test::report_waker_edges(report, pid))
      << "export flows (waker tid, waiter tid) -> count vs the report's wakers";
}

}  // namespace
