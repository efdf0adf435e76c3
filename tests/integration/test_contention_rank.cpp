// The default order of `report`: the futex threads fought over comes first,
// not the longest idle wait. The samples' main threads join their workers:
// the join word (kind "join", ended by the thread's exit) waits as long as
// the run, yet the first futex must be one of the sample's own words, every
// one of which the sample says was contended.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "run_command.h"

using nlohmann::json;
using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

class ContentionRank : public ::testing::TestWithParam<std::string> {};

TEST_P(ContentionRank, SamplesWordsComeFirstAndTheJoinIsKindJoin) {
  REQUIRE_ROOT();
  TempDir d;
  const std::string trace = d.path("t.fxs");
  auto rec = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-" + GetParam()});
  ASSERT_EQ(rec.status, 0) << rec.err;
  const json truth = fxs::test::truth_from(rec.out);
  ASSERT_FALSE(truth.is_null()) << rec.out;
  std::set<std::string> words;
  for (const auto& w : truth["futexes"]) words.insert(w["uaddr"].get<std::string>());

  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json r = json::parse(rep.out);
  EXPECT_EQ(r["sort"], "contention");
  const json& fs = r["futexes"];
  ASSERT_FALSE(fs.empty());
  EXPECT_TRUE(words.count(fs[0]["uaddr"].get<std::string>())) << "first: " << fs[0]["uaddr"] << " kind "
                                                               << fs[0]["kind"];
  EXPECT_GT(fs[0]["contended_wait_ns"].get<uint64_t>(), 0u);
  // Contention is a part of the wait time, and the order is by it.
  uint64_t prev = UINT64_MAX;
  size_t joins = 0;
  for (const auto& f : fs) {
    EXPECT_LE(f["contended_wait_ns"].get<uint64_t>(), f["wait_ns"]["total"].get<uint64_t>()) << f["uaddr"];
    EXPECT_LE(f["contended_wait_ns"].get<uint64_t>(), prev);
    prev = f["contended_wait_ns"].get<uint64_t>();
    if (f["kind"] == "join") {
      joins++;
      EXPECT_EQ(f["pid"], truth["pid"]);
      EXPECT_FALSE(words.count(f["uaddr"].get<std::string>())) << "a word of the sample's own called join";
      EXPECT_EQ(f["contended_wait_ns"], 0) << "a join is ended by a thread's exit, not a wake";
      EXPECT_GT(f["woken_by"]["thread_exit"].get<uint64_t>(), 0u) << f.dump();
    }
  }
  EXPECT_GE(joins, 1u) << "the main thread's joins are not kind join";
  // --sort wait is the former order: total wait time, descending.
  auto by_wait = run_command({kFutexscope, "report", trace, "--format", "json", "--sort", "wait"});
  ASSERT_EQ(by_wait.status, 0) << by_wait.err;
  const json w = json::parse(by_wait.out);
  EXPECT_EQ(w["sort"], "wait");
  for (size_t i = 1; i < w["futexes"].size(); i++)
    EXPECT_GE(w["futexes"][i - 1]["wait_ns"]["total"].get<uint64_t>(), w["futexes"][i]["wait_ns"]["total"].get<uint64_t>());
  auto bad = run_command({kFutexscope, "report", trace, "--sort", "speed"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown --sort 'speed'"), std::string::npos) << bad.err;
}

INSTANTIATE_TEST_SUITE_P(Samples, ContentionRank, ::testing::Values("mutex", "condvar"),
                         [](const auto& info) { return info.param; });

}  // namespace
