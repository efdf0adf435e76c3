// The default order of `report`: the futex threads fought over comes first,
// not the longest idle wait. The samples' main threads join their workers:
// the join word (kind "join", ended by the thread's exit) waits as long as
// the run, yet the first futex must be one of the sample's own words, every
// one of which the sample says was contended.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <utility>
#include <string>

#include "ground_truth_check.h"
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
    EXPECT_GE(w["futexes"][i - 1]["wait_ns"]["total"].get<uint64_t>(),
              w["futexes"][i]["wait_ns"]["total"].get<uint64_t>());
  auto bad = run_command({kFutexscope, "report", trace, "--sort", "speed"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown --sort 'speed'"), std::string::npos) << bad.err;
}

// How many waits carry a stack is said, not left to be guessed from one
// stack: by default only waits of at least 1 ms have one; with
// --stack-min-wait 0, every wait of the sample's contended words does.
TEST_P(ContentionRank, StackCoverageIsCountedAndCompleteWithStackMinWaitZero) {
  REQUIRE_ROOT();
  TempDir d;
  for (const char* min_wait : {"1ms", "0"}) {
    const std::string trace = d.path(std::string("t") + min_wait + ".fxs");
    auto rec = run_command({kFutexscope, "record", "-q", "--stack-min-wait", min_wait, "-o", trace, "--",
                            kSamples + "/fxs-sample-" + GetParam()});
    ASSERT_EQ(rec.status, 0) << rec.err;
    const json truth = fxs::test::truth_from(rec.out);
    ASSERT_FALSE(truth.is_null()) << rec.out;
    auto rep = run_command({kFutexscope, "report", trace, "--format", "json", "--top", "0"});
    ASSERT_EQ(rep.status, 0) << rep.err;
    const json r = json::parse(rep.out);
    ASSERT_EQ(r["counters"]["raw_stack_drop"], 0);
    for (const auto& f : r["futexes"]) {
      uint64_t in_stacks = 0;
      for (const auto& st : f["stacks"]) in_stacks += st["waits"].get<uint64_t>();
      EXPECT_LE(in_stacks, f["stack_coverage"]["waits"].get<uint64_t>()) << f["uaddr"];
      EXPECT_LE(f["stack_coverage"]["waits"].get<uint64_t>(), f["waits"].get<uint64_t>()) << f["uaddr"];
    }
    uint64_t waits = 0, stacked = 0, wait_ns = 0, stacked_ns = 0;
    for (const auto& f : r["futexes"]) {
      waits += f["waits"].get<uint64_t>();
      stacked += f["stack_coverage"]["waits"].get<uint64_t>();
      wait_ns += f["wait_ns"]["total"].get<uint64_t>();
      stacked_ns += f["stack_coverage"]["wait_ns"].get<uint64_t>();
    }
    auto folded = run_command({kFutexscope, "report", trace, "--format", "folded"});
    ASSERT_EQ(folded.status, 0) << folded.err;
    EXPECT_EQ(folded.err.find("stacks stand for " + std::to_string(stacked) + " of " + std::to_string(waits) +
                              " waits") != std::string::npos,
              stacked < waits)
        << folded.err;
    // The JSON warns, with the reason, when they stand for less than 90% of
    // the waits or of their time, and 10 or more have no stack.
    bool warned = false;
    for (const auto& w : r["warnings"]) warned |= w.get<std::string>().find("stacks stand for") != std::string::npos;
    EXPECT_EQ(warned, waits - stacked >= 10 && (stacked * 10 < waits * 9 || stacked_ns * 10 < wait_ns * 9))
        << r["warnings"].dump() << " " << stacked << " of " << waits;
    if (std::string(min_wait) != "0") continue;
    for (const auto& w : truth["futexes"]) {
      const json* f = fxs::test::find_futex(r, truth["pid"], w["uaddr"]);
      ASSERT_NE(f, nullptr) << w["uaddr"];
      EXPECT_EQ((*f)["stack_coverage"]["waits"], (*f)["waits"]) << "--stack-min-wait 0: a wait without a stack on "
                                                                << w["uaddr"];
    }
  }
}

// Without stacks the report says why, in the JSON warnings and beside the
// text report, from the settings the trace header keeps.
TEST(StackCoverage, MissingStacksAreWarnedWithTheirReason) {
  REQUIRE_ROOT();
  TempDir d;
  struct Case {
    std::vector<std::string> record_args;
    std::string reason;  // "" : no warning
  };
  for (const Case& c : {Case{{"--no-stacks"}, "it was recorded with --no-stacks"},
                        Case{{"--stack-sample", "0"}, "and none of the shorter ones (--stack-sample 0)"},
                        Case{{}, ""}}) {
    const std::string trace = d.path("t.fxs");
    std::vector<std::string> cmd = {kFutexscope, "record", "-q", "-o", trace};
    cmd.insert(cmd.end(), c.record_args.begin(), c.record_args.end());
    cmd.insert(cmd.end(), {"--", kSamples + "/fxs-sample-mutex"});
    auto rec = run_command(cmd);
    ASSERT_EQ(rec.status, 0) << rec.err;
    auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
    ASSERT_EQ(rep.status, 0) << rep.err;
    std::string stack_warning;
    const json r = json::parse(rep.out);
    for (const auto& w : r["warnings"])
      if (w.get<std::string>().find("stacks stand for") != std::string::npos) stack_warning = w.get<std::string>();
    if (c.reason.empty()) {
      EXPECT_EQ(stack_warning, "") << "default settings: the stacks stand for >= 90% of the waits";
      continue;
    }
    EXPECT_NE(stack_warning.find(c.reason), std::string::npos) << r["warnings"].dump();
    auto text = run_command({kFutexscope, "report", trace});
    ASSERT_EQ(text.status, 0) << text.err;
    EXPECT_NE(text.err.find(c.reason), std::string::npos) << text.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Samples, ContentionRank, ::testing::Values("mutex", "condvar", "futex2"),
                         [](const auto& info) { return info.param; });

}  // namespace

namespace {

// With default settings (no --stack-min-wait, no --stack-sample), the stacks
// of the quick start's contended mutex, and of the condvar sample's
// ping-pong words, stand for at least 90% of their waits and of their time
// (their waits are far shorter than the 1 ms threshold: sampled stacks,
// weighed by the collector), and they name the function that waits; the
// text says how many are sampled.
TEST(DefaultStacks, CoverTheContendedMutex) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("m.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-mutex"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json truth = fxs::test::truth_from(r.out);
  ASSERT_FALSE(truth.is_null()) << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  const json* f = fxs::test::find_futex(report, truth["pid"].get<long>(), truth["futexes"][0]["uaddr"]);
  ASSERT_NE(f, nullptr);
  const double waits = (*f)["waits"].get<double>(), wait_ns = (*f)["wait_ns"]["total"].get<double>();
  const json& c = (*f)["stack_coverage"];
  EXPECT_GE(c["waits"].get<double>(), 0.9 * waits) << c.dump();
  EXPECT_GE(c["wait_ns"].get<double>(), 0.9 * wait_ns) << c.dump();
  EXPECT_LE(c["waits"].get<double>(), waits);
  EXPECT_GT(c["sampled_waits"].get<long>(), 0);
  ASSERT_FALSE((*f)["stacks"].empty());
  EXPECT_NE((*f)["stacks"][0]["frames"].dump().find("worker"), std::string::npos) << (*f)["stacks"][0].dump();
  auto text = run_command({kFutexscope, "report", trace, "--top", "1"});
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("through sampled stacks"), std::string::npos) << text.out;
  // The condvar sample's ping-pong words as well (and the function that waits).
  const std::string cv = dir.path("cv.fxs");
  r = run_command({kFutexscope, "record", "-q", "-o", cv, "--", kSamples + "/fxs-sample-condvar"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json cv_truth = fxs::test::truth_from(r.out);
  rep = run_command({kFutexscope, "report", cv, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json cv_report = json::parse(rep.out);
  size_t ping_pong = 0;
  for (const json& t : cv_truth["futexes"]) {
    if (!t.contains("slept")) continue;  // the ping-pong words (samples/README.md)
    const json* g = fxs::test::find_futex(cv_report, cv_truth["pid"].get<long>(), t["uaddr"]);
    ASSERT_NE(g, nullptr);
    const json& gc = (*g)["stack_coverage"];
    EXPECT_GE(gc["waits"].get<double>(), 0.9 * (*g)["waits"].get<double>()) << t["uaddr"] << gc.dump();
    EXPECT_GE(gc["wait_ns"].get<double>(), 0.9 * (*g)["wait_ns"]["total"].get<double>()) << t["uaddr"] << gc.dump();
    EXPECT_NE((*g)["stacks"].dump().find("ping_pong"), std::string::npos) << t["uaddr"];
    ping_pong++;
  }
  EXPECT_EQ(ping_pong, 2u);
  // --stack-sample 0: the old default, next to no stack for this lock.
  const std::string plain = dir.path("plain.fxs");
  r = run_command({kFutexscope, "record", "-q", "--stack-sample", "0", "-o", plain, "--", kSamples + "/fxs-sample-mutex"});
  ASSERT_EQ(r.status, 0) << r.err;
  rep = run_command({kFutexscope, "report", plain, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  for (const json& g : json::parse(rep.out)["futexes"]) EXPECT_EQ(g["stack_coverage"]["sampled_waits"], 0);
}

}  // namespace

namespace {

// A priority-inheritance mutex (fxs-sample-mutex --pi): a FUTEX_UNLOCK_PI
// hands the lock to the top waiter, and the report counts that as the wait's
// waker (woken_by.pi_handoff, with waker edges). The sample knows for certain
// who handed the lock over to a FUTEX_LOCK_PI that slept (FXS_TRUTH_PI): the
// report has at least those per (waker, waiter), at most one handoff per
// FUTEX_UNLOCK_PI in all, and no FUTEX_WAKE; its other counts match as for
// any sample.
// A wait that a thread releases as the last thing it does before exiting
// (how Python's Thread.join waits) is a join by another name: the report
// says so and counts none of its time as contention.
TEST(ContentionRank, AWaitReleasedAsItsWakerExitsIsNoContention) {
  REQUIRE_ROOT();
  TempDir d;
  const std::string trace = d.path("t.fxs");
  auto rec = run_command({kFutexscope, "record", "-q", "-o", trace, "--", FXS_RELEASE_AT_EXIT_HELPER});
  ASSERT_EQ(rec.status, 0) << rec.err;
  const size_t at = rec.out.find("join word ");
  ASSERT_NE(at, std::string::npos) << rec.out;
  const std::string word = rec.out.substr(at + 10, rec.out.find('\n', at) - at - 10);
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  const json* f = nullptr;
  for (const json& x : report["futexes"])
    if (x["uaddr"] == word) f = &x;
  ASSERT_NE(f, nullptr) << "no futex " << word;
  EXPECT_EQ((*f)["waits"], 1) << f->dump();
  EXPECT_EQ((*f)["woken_by"]["futex_wake"], 1) << f->dump();
  EXPECT_EQ((*f)["released_at_exit"], 1) << f->dump();
  EXPECT_EQ((*f)["contended_wait_ns"], 0) << f->dump();
  EXPECT_GE((*f)["wait_ns"]["total"].get<uint64_t>(), 50'000'000u) << "the wait should have lasted ~100 ms";
}

TEST(PiHandoffs, AreTheLockPiWaitsWakers) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("pi.fxs");
  auto r = run_command(
      {kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-mutex", "--pi", "--threads", "4", "--iters", "20000"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json truth = fxs::test::truth_from(r.out);
  const json pi = fxs::test::tagged_json_from(r.out, "FXS_TRUTH_PI ");
  ASSERT_FALSE(truth.is_null() || pi.is_null()) << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  fxs::test::expect_matches_truth(truth, report);
  const json* f = fxs::test::find_futex(report, truth["pid"].get<long>(), pi["uaddr"]);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["kind"], "pi-mutex");
  EXPECT_EQ((*f)["woken_by"]["futex_wake"], 0);
  std::map<std::pair<long, long>, long> got;
  long edges = 0;
  for (const json& e : (*f)["wakers"]) {
    got[{e["waker_tid"].get<long>(), e["waiter_tid"].get<long>()}] += e["count"].get<long>();
    edges += e["count"].get<long>();
  }
  const long handoffs = (*f)["woken_by"]["pi_handoff"].get<long>();
  EXPECT_EQ(edges, handoffs) << "every handoff is a waker edge";
  EXPECT_LE(handoffs, pi["unlock_pi_calls"].get<long>()) << "more handoffs than FUTEX_UNLOCK_PI calls";
  ASSERT_FALSE(pi["slept_handoffs"].empty()) << "no FUTEX_LOCK_PI slept: the test shows nothing";
  for (const json& e : pi["slept_handoffs"]) {
    const std::pair<long, long> k{e["waker_tid"].get<long>(), e["waiter_tid"].get<long>()};
    EXPECT_GE(got[k], e["count"].get<long>()) << "handoffs " << k.first << " -> " << k.second;
  }
}

}  // namespace
