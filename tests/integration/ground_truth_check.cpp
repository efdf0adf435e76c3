#include "ground_truth_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "run_command.h"

using nlohmann::json;

namespace fxs::test {
namespace {

// Edges compared as sets: the report orders them by count, the sample by tid.
void expect_same_wakers(const json& got, const json& want, const std::string& uaddr) {
  auto edges = [](const json& a) {
    std::set<std::tuple<long, long, long>> s;
    for (const auto& e : a)
      s.insert({e["waker_tid"].get<long>(), e["waiter_tid"].get<long>(), e["count"].get<long>()});
    return s;
  };
  EXPECT_EQ(edges(got), edges(want)) << "wakers of " << uaddr << ": got " << got.dump()
                                     << ", the sample says " << want.dump();
}

}  // namespace

void expect_matches_truth(const json& truth, const json& report) {
  ASSERT_TRUE(report.is_object()) << "no report";
  ASSERT_TRUE(truth.is_object()) << "no FXS_TRUTH";
  EXPECT_EQ(report["lost"].get<long>(), 0) << "events were dropped";
  long pid = truth["pid"].get<long>();
  ASSERT_FALSE(truth["futexes"].empty());
  for (const auto& t : truth["futexes"]) {
    std::string uaddr = t["uaddr"];
    const json* f = find_futex(report, pid, uaddr);
    ASSERT_NE(f, nullptr) << "futex " << uaddr << " of pid " << pid << " missing from the report";
    EXPECT_EQ((*f)["ops"], t["ops"]) << "ops of " << uaddr;
    for (const char* k : {"waits", "eagain", "timeouts", "interrupted", "woken", "requeued"})
      EXPECT_EQ((*f)[k], t[k]) << k << " of " << uaddr;
    // Who woke whom, where the sample knows it (per-event traces only).
    if (!report.value("summary", false)) {
      if (t.contains("wakers")) expect_same_wakers((*f)["wakers"], t["wakers"], uaddr);
      // Herd sizes and empty wakes, from the sample's own wake return values.
      EXPECT_EQ((*f)["herd_sizes"], t["herd_sizes"]) << "herd sizes of " << uaddr;
      EXPECT_EQ((*f)["empty_wakes"], t["empty_wakes"]) << "empty wakes of " << uaddr;
      // Every timed-out wait is attributed to its timeout, every interrupted one to the signal.
      EXPECT_EQ((*f)["woken_by"]["timeout"], t["timeouts"]) << "waits ended by timeout on " << uaddr;
      EXPECT_EQ((*f)["woken_by"]["signal"], t["interrupted"]) << "waits ended by a signal on " << uaddr;
    }
    if (t["waits"].get<long>() > 0 && (*f).contains("wait_ns")) {
      EXPECT_GT((*f)["wait_ns"]["total"].get<long>(), 0) << uaddr;
      EXPECT_GE((*f)["wait_ns"]["max"].get<long>(), (*f)["wait_ns"]["p99"].get<long>()) << uaddr;
    }
  }
}

void expect_wake_matrix_matches(const json& truth_numa, const json& report, long pid, const std::string& uaddr) {
  const json& want = truth_numa["wakes_by_node"];
  const json* f = find_futex(report, pid, uaddr);
  ASSERT_NE(f, nullptr) << "futex " << uaddr << " of pid " << pid << " missing from the report";
  ASSERT_TRUE(f->contains("numa") && (*f)["numa"].contains("wakes_by_node")) << f->dump();
  // The word's cells, laid out as the truth's matrix.
  json own = json::array();
  for (size_t i = 0; i < want.size(); i++) own.push_back(std::vector<long>(want.size(), 0));
  for (const json& c : (*f)["numa"]["wakes_by_node"]) {
    const size_t w = c["waker_node"].get<size_t>(), v = c["woken_node"].get<size_t>();
    ASSERT_LT(std::max(w, v), want.size()) << "a wake on a node the sample did not use: " << c.dump();
    own[w][v] = c["wakes"];
  }
  EXPECT_EQ(own, want) << "the word's wakes by node (rows: waker's node, columns: woken thread's node)";
  const json& all = report["numa"]["wake_matrix"];
  ASSERT_EQ(all.size(), want.size()) << all.dump();
  for (size_t i = 0; i < want.size(); i++)
    for (size_t j = 0; j < want.size(); j++)
      EXPECT_GE(all[i][j].get<long>(), want[i][j].get<long>()) << "numa.wake_matrix[" << i << "][" << j << "]";
}

}  // namespace fxs::test
