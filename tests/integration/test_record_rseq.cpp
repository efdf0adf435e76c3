// Records fxs-sample-rseq with the real BPF programs (bpf/rseq.bpf.c) and
// compares the report's rseq section with the sample's own count of its
// abort-handler runs: exactly, per critical section and per process.
// Also: the one-line UMCG note of `record`, and the updates of a workload
// without aborts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "run_command.h"

using nlohmann::json;
using fxs::test::run_command;
using fxs::test::truth_from;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

struct Recorded {
  int status = -1;
  std::string err;
  json truth, report;
};

// `wrapper` runs before futexscope (e.g. a private mount namespace).
Recorded record_rseq_sample(const std::vector<std::string>& args, bool summary,
                            const std::vector<std::string>& wrapper = {}) {
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  std::vector<std::string> rec = wrapper;
  rec.insert(rec.end(), {kFutexscope, "record", "-q", "-o", trace});
  if (summary) rec.push_back("--summary");
  rec.push_back("--");
  rec.push_back(kSamples + "/fxs-sample-rseq");
  rec.insert(rec.end(), args.begin(), args.end());
  auto r = run_command(rec);
  Recorded out;
  out.status = r.status;
  out.err = r.err;
  out.truth = truth_from(r.out);
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << rep.err;
  if (rep.status == 0) out.report = json::parse(rep.out);
  return out;
}

void expect_aborts_match(const Recorded& r) {
  ASSERT_FALSE(r.truth.is_null()) << "sample printed no FXS_TRUTH line: " << r.err;
  ASSERT_TRUE(r.report.is_object());
  const long pid = r.truth["pid"].get<long>();
  const json& t = r.truth["rseq"];
  const long aborts = t["aborts"].get<long>();
  const std::string start_ip = t["start_ip"];
  ASSERT_GT(aborts, 0) << "the sample was never preempted inside its critical section";

  const json& rs = r.report["rseq"];
  ASSERT_TRUE(rs.is_object()) << r.report.dump(1);
  EXPECT_TRUE(rs["captured"].get<bool>());
  EXPECT_EQ(rs["counters"]["ringbuf_drop"].get<long>(), 0) << "rseq records were dropped";
  EXPECT_EQ(rs["counters"]["map_full"].get<long>(), 0);

  // The section the sample ran: exactly its abort-handler runs.
  const json* cs = nullptr;
  long pid_aborts_by_cs = 0;
  for (const auto& c : rs["by_cs"]) {
    if (c["pid"].get<long>() != pid) continue;
    pid_aborts_by_cs += c["aborts"].get<long>();
    if (c["start_ip"].get<std::string>() == start_ip) cs = &c;
  }
  ASSERT_NE(cs, nullptr) << "critical section " << start_ip << " of pid " << pid << " missing:\n"
                         << rs["by_cs"].dump(1);
  EXPECT_EQ((*cs)["aborts"].get<long>(), aborts) << "aborts of " << start_ip;
  EXPECT_EQ(pid_aborts_by_cs, aborts) << "aborts of pid " << pid;
  EXPECT_EQ((*cs)["symbol"], "fxs_rseq_cs_start");
  EXPECT_GT((*cs)["post_commit_offset"].get<long>(), 0);
  EXPECT_GE((*cs)["threads"].get<long>(), 1);
  EXPECT_LE((*cs)["threads"].get<long>(), t["threads"].get<long>());

  // Every abort has exactly one cause.
  long by_cause = 0;
  for (const auto& [name, n] : (*cs)["causes"].items()) by_cause += n.get<long>();
  EXPECT_EQ(by_cause, aborts) << (*cs)["causes"].dump();
  if (t["signals_sent"].get<long>() > 0) {
    EXPECT_GT((*cs)["causes"]["signal"].get<long>(), 0) << (*cs)["causes"].dump();
  }

  // Per process, per thread (in-kernel counts) and per CPU agree.
  const json* proc = nullptr;
  for (const auto& p : rs["by_pid"])
    if (p["pid"].get<long>() == pid) proc = &p;
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ((*proc)["aborts"].get<long>(), aborts);
  EXPECT_GE((*proc)["updates"].get<long>(), aborts) << "every abort is followed by an rseq_update";
  long thread_aborts = 0, thread_counted = 0, registered = 0;
  for (const auto& th : rs["threads"]) {
    if (th["pid"].get<long>() != pid) continue;
    thread_aborts += th["aborts"].get<long>();
    thread_counted += th["aborts_counted"].get<long>();
    registered += th["registrations"].get<long>();
  }
  EXPECT_EQ(thread_aborts, aborts);
  EXPECT_EQ(thread_counted, aborts);
  // glibc registers every thread it starts (workers + main, all after attach).
  EXPECT_EQ(registered, t["threads"].get<long>() + 1);
  long cpu_aborts = 0;
  for (const auto& c : rs["per_cpu"]) cpu_aborts += c["aborts"].get<long>();
  EXPECT_EQ(cpu_aborts, rs["aborts"].get<long>());
}

TEST(RecordRseq, AbortsEqualGroundTruth) {
  REQUIRE_ROOT();
  Recorded r = record_rseq_sample({}, false);
  if (r.status == 77) GTEST_SKIP() << "no rseq registration: " << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  expect_aborts_match(r);
}

TEST(RecordRseq, AbortsBySignalEqualGroundTruth) {
  REQUIRE_ROOT();
  Recorded r = record_rseq_sample({"--signal-every-ms", "20"}, false);
  if (r.status == 77) GTEST_SKIP() << "no rseq registration: " << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  expect_aborts_match(r);
}

// --summary keeps streaming aborts (they are bounded by context switches).
TEST(RecordRseq, SummaryAbortsEqualGroundTruth) {
  REQUIRE_ROOT();
  Recorded r = record_rseq_sample({"--ms", "300"}, true);
  if (r.status == 77) GTEST_SKIP() << "no rseq registration: " << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  expect_aborts_match(r);
}

// A host where nothing has mounted tracefs yet (a fresh machine, a chroot with /sys bound
// without it): a private mount namespace with every tracefs unmounted. The recorder
// finds the rseq tracepoints anyway (it mounts tracefs, or looks them up in kernel BTF).
const std::vector<std::string> kWithoutTracefs = {
    "unshare", "-m", "--propagation", "private", "sh", "-c",
    "for m in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do "
    "while umount \"$m\" 2>/dev/null; do :; done; done; "
    "if [ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing/events ]; then "
    "echo 'tracefs still mounted in the private namespace' >&2; exit 99; fi; exec \"$@\"",
    "sh"};

TEST(RecordRseq, AbortsEqualGroundTruthWithoutTracefs) {
  REQUIRE_ROOT();
  Recorded r = record_rseq_sample({}, false, kWithoutTracefs);
  if (r.status == 77) GTEST_SKIP() << "no rseq registration: " << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("rseq not captured"), std::string::npos) << r.err;
  expect_aborts_match(r);
}

// Nor may it be mounted (no CAP_SYS_ADMIN, as in a container): the tracepoints are
// found in kernel BTF, and no rseq program attaches through tracefs (registrations are
// read at the futex programs' raw sys_exit).
TEST(RecordRseq, AbortsEqualGroundTruthWhereTracefsCannotBeMounted) {
  REQUIRE_ROOT();
  std::vector<std::string> wrapper = kWithoutTracefs;
  wrapper.insert(wrapper.end(), {"setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"});
  Recorded r = record_rseq_sample({}, false, wrapper);
  if (r.status == 77) GTEST_SKIP() << "no rseq registration: " << r.err;
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("rseq not captured"), std::string::npos) << r.err;
  expect_aborts_match(r);
}

// A workload with no critical section of its own: no aborts, but every time one
// of its threads was switched out the kernel updated its rseq area (glibc
// registered it) on the way back to user space. The condvar sample counts its
// waits that slept (its voluntary context switches): at least that many updates.
TEST(RecordRseq, ReportHasRseqObjectWithoutAborts) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-condvar"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json truth = truth_from(r.out);
  ASSERT_FALSE(truth.is_null()) << "sample printed no FXS_TRUTH line: " << r.err;
  long slept = 0;
  for (const auto& f : truth["futexes"]) slept += f.value("slept", 0L);
  ASSERT_GT(slept, 100) << "the sample's ping-pong waits hardly slept: " << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  EXPECT_EQ(rep.err.find("unknown type"), std::string::npos) << rep.err;
  json j = json::parse(rep.out);
  const json& rs = j["rseq"];
  ASSERT_TRUE(rs.is_object());
  EXPECT_TRUE(rs["captured"].get<bool>());
  EXPECT_EQ(rs["counters"]["ringbuf_drop"].get<long>(), 0);
  const long pid = truth["pid"].get<long>();
  for (const auto& c : rs["by_cs"]) EXPECT_NE(c["pid"].get<long>(), pid) << "an abort in a sample with no critical section";
  const json* proc = nullptr;
  for (const auto& p : rs["by_pid"])
    if (p["pid"].get<long>() == pid) proc = &p;
  ASSERT_NE(proc, nullptr) << "no rseq counts for the sample's pid " << pid << ":\n" << rs["by_pid"].dump(1);
  EXPECT_EQ((*proc)["aborts"].get<long>(), 0);
  EXPECT_GE((*proc)["updates"].get<long>(), slept) << "fewer rseq updates than the sample's waits that slept";
  long registered = 0;
  for (const auto& th : rs["threads"])
    if (th["pid"].get<long>() == pid) registered += th["registrations"].get<long>();
  EXPECT_GE(registered, 1) << "glibc registers rseq for every thread it starts";
  EXPECT_GE(rs["updates"].get<long>(), (*proc)["updates"].get<long>());
}

// No mainline kernel has UMCG: `record` says so only with -v (once), not on
// every run in front of everything else; `probe` says it.
TEST(RecordRseq, UmcgNoteOnlyWhenVerbose) {
  REQUIRE_ROOT();
  if (access("/sys/kernel/tracing/events/syscalls/sys_enter_umcg_ctl", F_OK) == 0)
    GTEST_SKIP() << "this kernel carries UMCG";
  TempDir dir;
  const std::string note = "UMCG is not captured: this kernel has no UMCG";
  auto plain = run_command({kFutexscope, "record", "-o", dir.path("a.fxs"), "--", "sh", "-c", "exit 0"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.err.find("UMCG"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find("rseq not captured"), std::string::npos) << plain.err;
  auto verbose = run_command({kFutexscope, "record", "-v", "-o", dir.path("b.fxs"), "--", "sh", "-c", "exit 0"});
  ASSERT_EQ(verbose.status, 0) << verbose.err;
  size_t first = verbose.err.find(note);
  ASSERT_NE(first, std::string::npos) << verbose.err;
  EXPECT_EQ(verbose.err.find(note, first + 1), std::string::npos) << "said more than once:\n" << verbose.err;
  auto probe = run_command({kFutexscope, "probe"});
  ASSERT_EQ(probe.status, 0) << probe.err;
  EXPECT_NE(probe.out.find("UMCG is not available on this kernel"), std::string::npos) << probe.out;
}

}  // namespace
