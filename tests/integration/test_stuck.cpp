// `futexscope stuck -p PID` against processes that hang on purpose
// (fxs-sample-deadlock): every blocked thread with its futex and the lock's
// holder, every deadlock with exactly its threads and futexes in cycle order,
// and no deadlock where there is none, all as the sample itself printed them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "run_command.h"

using nlohmann::json;
using fxs::test::BackgroundCommand;
using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

// A hung sample and the truth it printed.
struct Hung {
  TempDir dir;
  std::unique_ptr<BackgroundCommand> cmd;
  json truth;
};

std::unique_ptr<Hung> start_hung(const std::string& scenario) {
  auto h = std::make_unique<Hung>();
  const std::string out = h->dir.path("out.txt");
  h->cmd = std::make_unique<BackgroundCommand>(std::vector<std::string>{
      "/bin/sh", "-c", "exec \"$0\" --scenario \"$1\" > \"$2\"", kSamples + "/fxs-sample-deadlock", scenario, out});
  for (int i = 0; i < 200 && h->truth.is_null(); i++) {
    std::ifstream f(out);
    std::stringstream ss;
    ss << f.rdbuf();
    h->truth = fxs::test::tagged_json_from(ss.str(), "FXS_TRUTH_STUCK ");
    if (h->truth.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return h;
}

// `stuck --format json` once every thread the truth lists is inside its call
// (the sample prints just before its threads block).
json look_when_settled(const Hung& h, int* status = nullptr, std::vector<std::string> extra = {}) {
  const std::string pid = std::to_string(h.truth["pid"].get<long>());
  std::vector<std::string> argv = {kFutexscope, "stuck", "-p", pid, "--format", "json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  json j;
  for (int i = 0; i < 100; i++) {
    auto r = run_command(argv);
    if (status) *status = r.status;
    EXPECT_TRUE(r.status == 0 || r.status == 3) << r.err;
    j = json::parse(r.out);
    size_t elsewhere = 0;
    for (const auto& c : j["chains"]) elsewhere += c["end"] == "blocked in read";
    if (j["blocked"].size() == h.truth["blocked"].size() && elsewhere == h.truth["blocked_elsewhere"].size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return j;
}

void expect_blocked_as_truth(const json& truth, const json& look) {
  ASSERT_EQ(look["blocked"].size(), truth["blocked"].size()) << look.dump(1);
  for (const auto& want : truth["blocked"]) {
    const json* got = nullptr;
    for (const auto& b : look["blocked"])
      if (b["tid"] == want["tid"]) got = &b;
    ASSERT_NE(got, nullptr) << "tid " << want["tid"] << " is not in blocked: " << look.dump(1);
    if (want.contains("uaddr")) {
      EXPECT_EQ((*got)["uaddr"], want["uaddr"]) << want.dump();
    } else {  // somewhere inside the pthread_cond_t
      const auto u = std::stoull((*got)["uaddr"].get<std::string>(), nullptr, 16);
      EXPECT_GE(u, std::stoull(want["uaddr_range"][0].get<std::string>(), nullptr, 16)) << want.dump();
      EXPECT_LT(u, std::stoull(want["uaddr_range"][1].get<std::string>(), nullptr, 16)) << want.dump();
    }
    EXPECT_EQ((*got)["owner_tid"], want["owner_tid"]) << want.dump();
    EXPECT_EQ((*got)["pid"], truth["pid"]);
    EXPECT_FALSE((*got)["stack"].empty()) << "no stack for tid " << want["tid"];
  }
}

void expect_deadlocks_as_truth(const json& truth, const json& look) {
  ASSERT_EQ(look["deadlocks"].size(), truth["deadlocks"].size()) << look.dump(1);
  for (size_t i = 0; i < truth["deadlocks"].size(); i++) {
    EXPECT_EQ(look["deadlocks"][i]["threads"], truth["deadlocks"][i]["threads"]);
    EXPECT_EQ(look["deadlocks"][i]["futexes"], truth["deadlocks"][i]["futexes"]);
    EXPECT_EQ(look["deadlocks"][i]["stacks"].size(), truth["deadlocks"][i]["threads"].size());
  }
}

class Stuck : public ::testing::TestWithParam<std::string> {};

void expect_chains_as_truth(const json& truth, const json& look) {
  for (const auto& e : truth["blocked_elsewhere"]) {
    bool found = false;
    for (const auto& c : look["chains"])
      if (c["holders"].size() == 1 && c["holders"][0] == e["tid"] &&
          c["end"] == "blocked in " + e["syscall"].get<std::string>())
        found = true;
    EXPECT_TRUE(found) << "no chain ends in tid " << e["tid"] << " blocked in " << e["syscall"] << ": " << look.dump(1);
  }
  if (truth["blocked_elsewhere"].empty() && truth["deadlocks"].empty()) {
    EXPECT_TRUE(look["chains"].empty()) << look.dump(1);
  }
}

TEST_P(Stuck, NamesEveryBlockedThreadItsHolderAndEveryDeadlock) {
  REQUIRE_ROOT();
  auto h = start_hung(GetParam());
  ASSERT_FALSE(h->truth.is_null()) << "the sample printed no FXS_TRUTH_STUCK";
  int status = -1;
  json look = look_when_settled(*h, &status, {"--fail-on-deadlock"});
  expect_blocked_as_truth(h->truth, look);
  expect_deadlocks_as_truth(h->truth, look);
  expect_chains_as_truth(h->truth, look);
  EXPECT_EQ(status, h->truth["deadlocks"].empty() ? 0 : 3) << "--fail-on-deadlock's exit status";
  // The sample is built with frame pointers: with the frame pointer read in a
  // moment's stop, each stack walks through its function to the thread's start.
  for (const auto& b : look["blocked"]) {
    bool sample_fn = false, thread_start = false;
    for (const auto& fr : b["stack"]) {
      const std::string s = fr.get<std::string>();
      sample_fn |= s.find("(anonymous namespace)::") == 0;
      thread_start |= s.rfind("start_thread", 0) == 0;
    }
    EXPECT_TRUE(sample_fn && thread_start) << "tid " << b["tid"] << ": " << b["stack"].dump();
  }
  // The text says the same, deadlocks first.
  auto text = run_command({kFutexscope, "stuck", "-p", std::to_string(h->truth["pid"].get<long>())});
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out.find("DEADLOCK") != std::string::npos, !h->truth["deadlocks"].empty()) << text.out;
}

// A recording of a process that is already hung: nothing happens while it
// runs, yet the report names every stuck thread, holder and deadlock.
TEST_P(Stuck, RecordingOfAHungProcessReportsTheSame) {
  REQUIRE_ROOT();
  auto h = start_hung(GetParam());
  ASSERT_FALSE(h->truth.is_null()) << "the sample printed no FXS_TRUTH_STUCK";
  look_when_settled(*h);
  TempDir d;
  const std::string trace = d.path("hung.fxs");
  auto rec = run_command({kFutexscope, "record", "-q", "-p", std::to_string(h->truth["pid"].get<long>()),
                          "--duration", "1s", "-o", trace});
  ASSERT_EQ(rec.status, 0) << rec.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  ASSERT_TRUE(report.contains("blocked")) << "the report has no \"blocked\" list";
  expect_blocked_as_truth(h->truth, report);
  expect_deadlocks_as_truth(h->truth, report);
  expect_chains_as_truth(h->truth, report);
  for (const auto& b : report["blocked"]) {
    EXPECT_TRUE(b["since_ns"].is_null()) << "a wait older than the recording has a since_ns: " << b.dump();
  }
  auto text = run_command({kFutexscope, "report", trace, "--fail-on-deadlock"});
  EXPECT_EQ(text.status, h->truth["deadlocks"].empty() ? 0 : 3) << text.err;
  EXPECT_EQ(text.out.rfind("DEADLOCK", 0) == 0, !h->truth["deadlocks"].empty()) << text.out;
  EXPECT_NE(text.out.find("Blocked now: " + std::to_string(h->truth["blocked"].size()) + " of "), std::string::npos)
      << text.out;
}

// A command that hangs while it is recorded: --duration ends the recording
// and leaves the command running; its waits began in the recording, so each
// blocked thread says when (since_ns, inside the trace's time).
TEST_P(Stuck, CommandThatHangsWhileRecordedSaysSince) {
  REQUIRE_ROOT();
  TempDir d;
  const std::string trace = d.path("t.fxs"), out = d.path("out.txt"), err = d.path("err.txt");
  // The command's stdout and stderr are the recorder's: files, not
  // run_command's pipes, which the command left running would hold open.
  auto rec = run_command({"/bin/sh", "-c",
                          "exec \"$0\" record -q --duration 1s -o \"$1\" -- \"$2\" --scenario \"$3\" > \"$4\" 2> \"$5\"",
                          kFutexscope, trace, kSamples + "/fxs-sample-deadlock", GetParam(), out, err});
  auto slurp = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  rec.err = slurp(err);
  const json truth = fxs::test::tagged_json_from(slurp(out), "FXS_TRUTH_STUCK ");
  ASSERT_FALSE(truth.is_null()) << "no FXS_TRUTH_STUCK: " << slurp(out) << rec.err;
  const pid_t pid = truth["pid"].get<pid_t>();
  EXPECT_EQ(kill(pid, 0), 0) << "the hung command was not left running";
  kill(pid, SIGKILL);
  ASSERT_EQ(rec.status, 0) << rec.err;
  EXPECT_NE(rec.err.find("is still running and was left running"), std::string::npos) << rec.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  ASSERT_TRUE(report.contains("blocked")) << "the report has no \"blocked\" list";
  expect_blocked_as_truth(truth, report);
  expect_deadlocks_as_truth(truth, report);
  expect_chains_as_truth(truth, report);
  for (const auto& b : report["blocked"]) {
    ASSERT_TRUE(b["since_ns"].is_number()) << "a wait that began in the recording has no since_ns: " << b.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Stuck, ::testing::Values("abba", "cycle3", "condvar", "pipe", "pi"),
                         [](const auto& info) { return info.param; });

// A recording of a hung process kept in tests/data (fxs-sample-deadlock
// --scenario cycle3, recorded with -p; the sample's own truth beside it):
// the report names the deadlock on any machine, without root or BPF.
TEST(RecordedDeadlock, ReportNamesItWithoutRoot) {
  const std::string data = FXS_TEST_DATA_DIR;
  std::ifstream f(data + "/deadlock-cycle3.truth.json");
  const json truth = json::parse(f);
  auto rep = run_command({kFutexscope, "report", data + "/deadlock-cycle3.fxs", "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  expect_blocked_as_truth(truth, report);
  expect_deadlocks_as_truth(truth, report);
  expect_chains_as_truth(truth, report);
  auto watchdog = run_command({kFutexscope, "report", data + "/deadlock-cycle3.fxs", "--fail-on-deadlock"});
  EXPECT_EQ(watchdog.status, 3) << "--fail-on-deadlock's exit status";
  EXPECT_EQ(watchdog.out.rfind("DEADLOCK", 0), 0u) << "the report is written all the same";
}

// Without ptrace rights over the process, /proc/TID/syscall cannot be read
// and every thread would look idle: that is an error, not an empty answer.
TEST(StuckBadInput, AnotherUsersProcessIsAnErrorNotAnEmptyAnswer) {
  REQUIRE_ROOT();
  TempDir d;
  chmod(d.path("").c_str(), 0755);  // a copy of the binary nobody can run
  const std::string bin = d.path("futexscope");
  ASSERT_EQ(run_command({"/bin/cp", kFutexscope, bin}).status, 0);
  BackgroundCommand sleeper({"/bin/sleep", "60"});
  auto r = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin, "stuck", "-p",
                        std::to_string(sleeper.pid())});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("Permission denied (run as root, or as the owner of process"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(StuckBadInput, NoSuchProcessIsOneLine) {
  auto r = run_command({kFutexscope, "stuck", "-p", "999999999"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "futexscope stuck: process 999999999: No such file or directory (no such process: check the PID)\n");
  auto u = run_command({kFutexscope, "stuck"});
  EXPECT_EQ(u.status, 2);
  EXPECT_NE(u.err.find("give -p PID"), std::string::npos) << u.err;
}

}  // namespace
