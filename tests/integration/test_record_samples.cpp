// Records the sample workloads with the real BPF programs and compares the
// report with the ground truth each sample printed from its own syscall
// return values. Exact comparison, including lost == 0.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "ground_truth_check.h"
#include "run_command.h"

using nlohmann::json;
using fxs::test::expect_matches_truth;
using fxs::test::find_futex;
using fxs::test::probe_lacks;
using fxs::test::run_command;
using fxs::test::truth_from;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

// Records `sample args` (optionally --summary) and returns {truth, report}.
std::pair<json, json> record_and_report(const std::vector<std::string>& sample, bool summary) {
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  std::vector<std::string> rec = {kFutexscope, "record", "-q", "-o", trace};
  if (summary) rec.push_back("--summary");
  rec.push_back("--");
  for (size_t i = 0; i < sample.size(); i++) rec.push_back(i ? sample[i] : kSamples + "/" + sample[i]);
  auto r = run_command(rec);
  EXPECT_EQ(r.status, 0) << "record failed: " << r.err;
  json truth = truth_from(r.out);
  EXPECT_FALSE(truth.is_null()) << "sample printed no FXS_TRUTH line:\n" << r.out << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << rep.err;
  json report = rep.status == 0 ? json::parse(rep.out) : json();
  return {truth, report};
}

struct SampleCase {
  const char* name;
  std::vector<std::string> argv;
};

// Keeps gtest from printing the parameter as raw bytes.
void PrintTo(const SampleCase& c, std::ostream* os) { *os << c.name; }

class RecordSample : public ::testing::TestWithParam<std::tuple<SampleCase, bool>> {};

TEST_P(RecordSample, ReportEqualsGroundTruth) {
  REQUIRE_ROOT();
  const auto& [sample, summary] = GetParam();
  auto [truth, report] = record_and_report(sample.argv, summary);
  expect_matches_truth(truth, report);
}

const SampleCase kSamplesToRecord[] = {
    {"mutex", {"fxs-sample-mutex"}},
    {"condvar", {"fxs-sample-condvar"}},
    {"futex2", {"fxs-sample-futex2"}},
};

INSTANTIATE_TEST_SUITE_P(
    Samples, RecordSample,
    ::testing::Combine(::testing::ValuesIn(kSamplesToRecord), ::testing::Bool()),
    [](const auto& info) {
      return std::string(std::get<0>(info.param).name) + (std::get<1>(info.param) ? "_summary" : "_events");
    });

// Waits inside glibc (here the main thread's pthread_join, whose glibc code
// keeps no frame pointers) are unwound with DWARF through glibc to the
// caller: std::thread::join, then main, which the sample's ping-pong is
// inlined into. And the sample's own waits name fxs_sample::futex, the
// function that calls glibc's syscall(): a frame-pointer walk skips it.
std::vector<std::string> frames_of(const json& stack) {
  std::vector<std::string> v;
  for (const auto& f : stack["frames"]) v.push_back(f.get<std::string>());
  return v;
}

bool has_in_order(const std::vector<std::string>& frames, const std::vector<std::string>& prefixes) {
  size_t k = 0;
  for (const std::string& f : frames)
    if (k < prefixes.size() && f.rfind(prefixes[k], 0) == 0) k++;
  return k == prefixes.size();
}

TEST(Record, StacksOfWaitsInsideGlibcReachTheirCaller) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-condvar"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json", "--top", "100"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  json j = json::parse(rep.out);
  bool join = false, own = false;
  std::string seen;
  for (const auto& f : j["futexes"]) {
    for (const auto& s : f["stacks"]) {
      auto frames = frames_of(s);
      join |= has_in_order(frames, {"__pthread_clockjoin_ex", "std::thread::join()", "main"});
      own |= has_in_order(frames, {"syscall", "fxs_sample::futex(", "fxs_sample::futex_wait"});
      seen += s["frames"].dump() + "\n";
    }
  }
  EXPECT_TRUE(join) << "no stack from pthread_join through std::thread::join to main:\n" << seen;
  EXPECT_TRUE(own) << "no stack naming syscall()'s caller fxs_sample::futex:\n" << seen;
}

// Stacks are symbolized while the sample runs and stored in the trace: the
// folded output names the sample's own functions, weighted by wait time.
TEST(Record, FoldedStacksNameTheSamplesFunctions) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  // Every wait's stack (the default keeps only waits of 1 ms or more).
  auto r = run_command({kFutexscope, "record", "-q", "--stack-min-wait", "0", "-o", trace, "--",
                        kSamples + "/fxs-sample-condvar"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto folded = run_command({kFutexscope, "report", trace, "--format", "folded"});
  ASSERT_EQ(folded.status, 0) << folded.err;
  EXPECT_NE(folded.out.find("ping_pong"), std::string::npos) << folded.out.substr(0, 2000);
  EXPECT_NE(folded.out.find("fxs_sample::futex_wait"), std::string::npos) << folded.out.substr(0, 2000);
  // Every line is "frames weight" with a positive weight.
  std::istringstream lines(folded.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    size_t sp = line.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    EXPECT_GT(std::stoull(line.substr(sp + 1)), 0u) << line;
    n++;
  }
  EXPECT_GT(n, 0);
}

// The calls that woke the waits have stacks of their own (--wakers): the
// condvar sample's ping-pong wakes from ping_pong through fxs_sample::futex_wake,
// and no call is counted for more waiters than the report says were woken.
TEST(Record, WakerStacksNameTheWakingFunction) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "--stack-min-wait", "0", "-o", trace, "--",
                        kSamples + "/fxs-sample-condvar", "--rounds", "2000"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto folded = run_command({kFutexscope, "report", trace, "--format", "folded", "--wakers"});
  ASSERT_EQ(folded.status, 0) << folded.err;
  EXPECT_NE(folded.out.find("ping_pong"), std::string::npos) << folded.out.substr(0, 2000);
  EXPECT_NE(folded.out.find("fxs_sample::futex_wake"), std::string::npos) << folded.out.substr(0, 2000);
  EXPECT_EQ(folded.out.find("fxs_sample::futex_wait;"), std::string::npos) << "a wait's stack among the wakers'";
  uint64_t waker_weight = 0;
  std::istringstream lines(folded.out);
  for (std::string line; std::getline(lines, line);) waker_weight += std::stoull(line.substr(line.rfind(' ') + 1));
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  uint64_t woken = 0;
  bool ping_has_one = false;
  for (const json& f : report["futexes"]) {
    woken += f["woken_by"]["futex_wake"].get<uint64_t>() + f["woken_by"]["pi_handoff"].get<uint64_t>();
    if (!f["waker_stacks"].empty()) {
      const json& top = f["waker_stacks"][0];
      EXPECT_GT(top["wakes"].get<long>(), 0);
      EXPECT_GE(top["wakes"].get<long>(), top["calls"].get<long>());
      ping_has_one = ping_has_one || top["frames"].dump().find("ping_pong") != std::string::npos;
    }
  }
  EXPECT_GT(waker_weight, 0u);
  EXPECT_LE(waker_weight, woken) << "waker stacks weigh more waiters than were woken";
  EXPECT_TRUE(ping_has_one) << "no futex's top waker stack is the ping-pong's";
  // --wakers is for the folded output only.
  auto bad = run_command({kFutexscope, "report", trace, "--wakers"});
  EXPECT_EQ(bad.status, 2) << bad.err;
}

// With default settings the unlocks of the quick start's contended mutex
// have stacks: a sample of the wake calls, each standing for its thread's
// other wakes on the word, covers (nearly) every waiter the sample says was
// woken, and never more.
TEST(Record, DefaultWakerStacksStandForTheWakes) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-mutex"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json truth = truth_from(r.out);
  ASSERT_TRUE(truth.is_object()) << "sample printed no FXS_TRUTH line:\n" << r.out << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  const json& word = truth["futexes"][0];
  const json* f = find_futex(report, truth["pid"].get<long>(), word["uaddr"]);
  ASSERT_NE(f, nullptr);
  uint64_t wakes = 0, sampled = 0;
  for (const json& st : (*f)["waker_stacks"]) {
    wakes += st["wakes"].get<uint64_t>();
    sampled += st["sampled_wakes"].get<uint64_t>();
    EXPECT_NE(st["frames"].dump().find("futex_wake"), std::string::npos) << st.dump();
  }
  const uint64_t woken = word["woken"].get<uint64_t>();
  EXPECT_GE(wakes * 10, woken * 9) << "waker stacks stand for " << wakes << " of " << woken << " wakes";
  EXPECT_LE(wakes, woken);
  EXPECT_GT(sampled, 0u) << "no waker stack stands for other calls: were the wake calls sampled?";
}

// A process that lives ~50 ms exits before the recorder's first drain tick
// (100 ms): its mappings must have been read when its first thread record
// arrived, or every frame stays a bare address.
TEST(Record, StacksOfAShortLivedProcessAreNamed) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "--stack-min-wait", "0", "-o", trace, "--",
                        kSamples + "/fxs-sample-mutex", "--budget-ms", "0"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto folded = run_command({kFutexscope, "report", trace, "--format", "folded"});
  ASSERT_EQ(folded.status, 0) << folded.err;
  EXPECT_NE(folded.out.find("worker"), std::string::npos) << folded.out.substr(0, 2000);
  EXPECT_NE(folded.out.find("fxs_sample::futex_wait"), std::string::npos) << folded.out.substr(0, 2000);
}

// pthread_join sleeps on the thread's tid word until the kernel's CLEARTID wake
// at thread exit: that wake comes from an exiting thread, not a futex call, and
// is told apart ("thread_exit"), so no wait of the mutex sample ends as "other".
TEST(Record, JoinWakesAreThreadExits) {
  REQUIRE_ROOT();
  auto [truth, report] = record_and_report({"fxs-sample-mutex"}, false);
  ASSERT_TRUE(report.is_object());
  long exits = 0;
  for (const auto& f : report["futexes"]) {
    EXPECT_EQ(f["woken_by"]["other"], 0) << f["uaddr"] << ": " << f["woken_by"].dump();
    exits += f["woken_by"]["thread_exit"].get<long>();
  }
  std::printf("waits ended by a thread exit: %ld\n", exits);
}

// A SIGKILLed recorder loses at most the last second: what it drained and
// flushed before is readable.
TEST(Record, SigkillLosesAtMostTheLastSecond) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({"timeout", "-s", "KILL", "2.5", kFutexscope, "record", "-q", "-o", trace, "--",
                        kSamples + "/fxs-sample-condvar", "--rounds", "100000000", "--budget-ms", "4000"},
                       30);
  EXPECT_EQ(r.status, 128 + 9) << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  json j = json::parse(rep.out);
  EXPECT_GT(j["events"].get<long>(), 1000) << "nothing was flushed before the kill";
  EXPECT_GE(j["duration_ns"].get<long>(), 1000000000L) << "less than a second made it to disk";
}

// `-- COMMAND` follows the processes the command forks: a shell that runs the
// sample as its child (not exec'd: `; true` keeps the shell around).
TEST(Record, ChildrenOfTheCommandAreTraced) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", "sh", "-c",
                        kSamples + "/fxs-sample-mutex; true"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  expect_matches_truth(truth_from(r.out), json::parse(rep.out));
}

// The raw_tracepoint fallback (kernels without tp_btf) must count the same.
TEST(Record, RawTracepointVariantMatchesGroundTruth) {
  REQUIRE_ROOT();
  setenv("FXS_BPF_VARIANT", "raw_tracepoint", 1);
  auto [truth, report] = record_and_report({"fxs-sample-condvar"}, false);
  unsetenv("FXS_BPF_VARIANT");
  expect_matches_truth(truth, report);
}

TEST(Record, CommandExitStatusIsPassedThrough) {
  REQUIRE_ROOT();
  TempDir dir;
  auto r = run_command({kFutexscope, "record", "-q", "-o", dir.path("t.fxs"), "--", "sh", "-c", "exit 7"});
  EXPECT_EQ(r.status, 7) << r.err;
}

TEST(Record, MissingCommandIsOneLineError) {
  REQUIRE_ROOT();
  TempDir dir;
  auto r = run_command({kFutexscope, "record", "-q", "-o", dir.path("t.fxs"), "--", "/nonexistent/cmd"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("cannot run"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Record, NonexistentPidIsOneLineError) {
  TempDir dir;
  auto r = run_command({kFutexscope, "record", "-q", "-o", dir.path("t.fxs"), "-p", "999999999"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("no process with PID 999999999"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// Nothing but --duration ends a system-wide recording: it must stop at the time
// asked. A workload making a futex call every millisecond runs throughout, so
// the trace spans the recording (from the attach to the stop record).
TEST(Record, DurationStopsSystemWideRecording) {
  REQUIRE_ROOT();
  fxs::test::BackgroundCommand load({kSamples + "/fxs-sample-condvar", "--rounds", "1", "--timeouts", "1000000"});
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-o", trace, "--duration", "300ms"}, 60);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("futexscope: duration reached; "), std::string::npos) << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  json j = json::parse(rep.out);
  EXPECT_GT(j["events"].get<long>(), 100) << "the workload's calls were not recorded";
  const long ns = j["duration_ns"].get<long>();
  std::printf("--duration 300ms: the trace spans %.0f ms\n", double(ns) / 1e6);
  // The programs stop at the deadline (then the queue drains and the stop
  // record is written: ~20-50 ms on a loaded 2-CPU machine); before, the
  // rseq object's load and a drain of the backlog stretched it to 550-850 ms.
  EXPECT_GE(ns, 250000000L) << "stopped early";
  EXPECT_LE(ns, 500000000L) << "did not stop near 300 ms";
}

TEST(Record, SigintStopsAndKeepsTheTrace) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  // The recorder gets SIGINT from `timeout` while the sample runs for a while.
  auto r = run_command({"timeout", "--preserve-status", "-s", "INT", "1", kFutexscope, "record", "-q", "-o", trace, "-p",
                        std::to_string(getpid())},
                       30);
  EXPECT_EQ(r.status, 0) << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << rep.err;
  EXPECT_TRUE(rep.err.find("truncated") == std::string::npos) << rep.err;
}

// Where the kernel loads typed tracepoint programs (`probe`: prog_tracing), the
// capture must use them: the raw_tracepoint fallback records the same events,
// so a tp_btf program the verifier started to refuse showed only as a slower
// capture (a BTF-typed pointer used as a number did, once). `record -v` says
// when it fell back.
TEST(Record, UsesTheTypedTracepointProgramsWhereTheKernelLoadsThem) {
  REQUIRE_ROOT();
  FXS_SKIP_UNLESS_EMPTY(probe_lacks(kFutexscope, "prog_tracing", "this kernel does not load tp_btf programs"));
  TempDir dir;
  for (bool summary : {false, true}) {
    std::vector<std::string> argv = {kFutexscope, "record", "-v", "-o", dir.path("t.fxs")};
    if (summary) argv.push_back("--summary");
    argv.insert(argv.end(), {"--", kSamples + "/fxs-sample-mutex", "--threads", "2", "--iters", "1000"});
    auto r = run_command(argv);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err.find("cost more per call"), std::string::npos) << (summary ? "--summary: " : "") << r.err;
  }
}

}  // namespace
