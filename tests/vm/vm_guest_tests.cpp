// Tests that run INSIDE a VM started by tests/vm/run-in-vm.sh (ctest labels
// `vm`; see tests/vm/README.md): a real old kernel (Debian 6.1) and a real
// multi-node NUMA machine. They also run on any host as root: every
// expectation is derived from the running kernel (uname) and its NUMA nodes.
//
//  Probe.*   `futexscope probe --format json` reports what this kernel has.
//  Record.*  record a sample, `report --format json`, compare with the
//            sample's FXS_TRUTH exactly, with each BPF variant (the
//            integration tests' comparison: integration/ground_truth_check.h).
//  Numa.*    fxs-sample-numa on two nodes: exact counts, the page is on node
//            1, and the report's NUMA keys where the report has them.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ground_truth_check.h"
#include "run_command.h"

using fxs::test::expect_matches_truth;
using fxs::test::find_futex;
using fxs::test::run_command;
using fxs::test::truth_from;
using fxs::test::TempDir;
using nlohmann::json;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

void loud_skip_note(const std::string& what) {
  std::fprintf(stderr, "\n*** SKIPPED: %s ***\n\n", what.c_str());
}

// Kernel version as major * 1000 + minor (6.1 -> 6001, 6.16 -> 6016).
int kernel_version(std::string* release = nullptr) {
  utsname u{};
  uname(&u);
  if (release) *release = u.release;
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  return major * 1000 + minor;
}

int online_nodes() {
  std::ifstream f("/sys/devices/system/node/online");
  std::string s;
  std::getline(f, s);
  int n = 0, lo = 0, hi = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(',', pos);
    std::string part = s.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (std::sscanf(part.c_str(), "%d-%d", &lo, &hi) == 2) n += hi - lo + 1;
    else if (!part.empty()) n += 1;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return n ? n : 1;
}

// run_command's 127 with nothing on stderr: exec itself failed.
std::string exec_hint(const fxs::test::CommandResult& r, const std::string& what) {
  if (r.status == 127 && r.err.empty())
    return "cannot execute " + what + " (missing, being rebuilt, or a shared library missing in the VM?)";
  return r.err;
}

struct Recorded {
  json truth, report;
  std::string sample_out;
};

// Records `sample args` with futexscope (optionally --summary, optionally a
// forced BPF program variant) and returns the sample's truth and the report.
Recorded record_and_report(const std::vector<std::string>& sample, bool summary, const char* variant) {
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  std::vector<std::string> rec = {kFutexscope, "record", "-q", "-o", trace};
  if (summary) rec.push_back("--summary");
  rec.push_back("--");
  for (size_t i = 0; i < sample.size(); i++) rec.push_back(i ? sample[i] : kSamples + "/" + sample[i]);
  if (variant) setenv("FXS_BPF_VARIANT", variant, 1);
  auto r = run_command(rec, 240);
  unsetenv("FXS_BPF_VARIANT");
  Recorded out;
  out.sample_out = r.out + r.err;
  EXPECT_EQ(r.status, 0) << "record failed:\n" << r.out << exec_hint(r, kFutexscope);
  out.truth = truth_from(r.out);
  EXPECT_FALSE(out.truth.is_null()) << "sample printed no FXS_TRUTH line:\n" << r.out << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << exec_hint(rep, kFutexscope);
  if (rep.status == 0) out.report = json::parse(rep.out);
  return out;
}

// ---- Probe -------------------------------------------------------------------

TEST(Probe, MatchesTheRunningKernel) {
  REQUIRE_ROOT();
  std::string release;
  const int v = kernel_version(&release);
  auto r = run_command({kFutexscope, "probe", "--format", "json"});
  ASSERT_EQ(r.status, 0) << exec_hint(r, kFutexscope);
  std::printf("futexscope probe on %s, %d NUMA node(s):\n%s\n", release.c_str(), online_nodes(), r.out.c_str());
  json p = json::parse(r.out);
  EXPECT_EQ(p["kernel_release"], release);
  EXPECT_EQ(p["futex2_waitv"], v >= 5016) << "futex_waitv exists since 5.16";
  for (const char* k : {"futex2_wait", "futex2_wake", "futex2_requeue"})
    EXPECT_EQ(p[k], v >= 6007) << k << ": futex_wait/wake/requeue exist since 6.7";
  EXPECT_EQ(p["numa_futex"], v >= 6016) << "FUTEX2_NUMA exists since 6.16";
  EXPECT_EQ(p["private_hash"], v >= 6016) << "the private futex hash exists since 6.16";
  EXPECT_EQ(p["numa_nodes"], online_nodes());
  EXPECT_EQ(p["btf"], true);
}

// ---- Record: the samples with each BPF program variant -------------------------

struct RecordCase {
  const char* name;
  std::vector<std::string> argv;
  bool summary;
  const char* variant;  // FXS_BPF_VARIANT, or nullptr for the collector's choice
};
void PrintTo(const RecordCase& c, std::ostream* os) { *os << c.name; }

class Record : public ::testing::TestWithParam<RecordCase> {};

TEST_P(Record, ReportEqualsGroundTruth) {
  REQUIRE_ROOT();
  const RecordCase& c = GetParam();
  Recorded r = record_and_report(c.argv, c.summary, c.variant);
  if (c.variant) std::printf("BPF variant %s loaded and attached on this kernel\n", c.variant);
  expect_matches_truth(r.truth, r.report);
  if (HasFailure()) std::printf("sample output:\n%s\n", r.sample_out.c_str());
}

const RecordCase kRecordCases[] = {
    // The collector's own choice (tp_btf first, raw_tracepoint if it does not load).
    {"mutex_events", {"fxs-sample-mutex"}, false, nullptr},
    {"mutex_summary", {"fxs-sample-mutex"}, true, nullptr},
    // futex_wait/wake/requeue fail with ENOSYS before 6.7: the sample falls back.
    {"futex2_events", {"fxs-sample-futex2"}, false, nullptr},
    {"futex2_summary", {"fxs-sample-futex2"}, true, nullptr},
    // Each variant on its own, so that both are known to work on this kernel.
    {"futex2_events_tp_btf", {"fxs-sample-futex2", "--rounds", "1000"}, false, "tp_btf"},
    {"futex2_events_raw_tracepoint", {"fxs-sample-futex2", "--rounds", "1000"}, false, "raw_tracepoint"},
    {"mutex_summary_raw_tracepoint", {"fxs-sample-mutex"}, true, "raw_tracepoint"},
};

INSTANTIATE_TEST_SUITE_P(Samples, Record, ::testing::ValuesIn(kRecordCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Hash buckets ---------------------------------------------------------------

// The bucket computation on this kernel: before 6.16 there is no private hash
// (the CO-RE read of mm->futex_phash must find the field absent) and one global
// table; where bucket locks were seen contended, their addresses must name the
// computed buckets. (Under TCG, two emulated CPUs rarely reach
// the contention tracepoint: then only the computation's shape is checked.)
TEST(Buckets, ComputedOnThisKernel) {
  REQUIRE_ROOT();
  Recorded r = record_and_report(
      {"fxs-sample-buckets", "--threads", "2", "--words", "3", "--calls", "20000"}, false, nullptr);
  expect_matches_truth(r.truth, r.report);
  ASSERT_TRUE(r.report.contains("hash")) << "no \"hash\" section";
  const long pid = r.truth["pid"].get<long>();
  const long entries = r.report["hash"]["global"]["entries_per_node"].get<long>();
  EXPECT_GT(entries, 0);
  const bool private_hash = kernel_version() >= 6016;
  for (const auto& t : r.truth["futexes"]) {
    const json* f = find_futex(r.report, pid, t["uaddr"]);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(f->contains("bucket"));
    const json& b = (*f)["bucket"];
    EXPECT_EQ(b["table"], private_hash ? "private" : "global") << t["uaddr"];
    if (!private_hash) {
      EXPECT_LT(b["index"].get<long>(), entries);
    }
  }
  const json& v = r.report["hash"]["verification"];
  std::printf("bucket verification on this kernel: %s\n", v.dump().c_str());
  if (v["compared"].get<long>() >= 20)
    EXPECT_GE(v["matched"].get<long>() * 100, v["compared"].get<long>() * 99);
  else
    loud_skip_note("too few bucket-lock contentions on this VM to compare with the kernel's buckets");
}

// ---- NUMA ----------------------------------------------------------------------

// The report's node of the page holding `uaddr`, if the report has one:
// futexes[].page_node, or numa.page_nodes keyed by uaddr or "pid:uaddr".
const json* report_page_node(const json& report, const json* f, long pid, const std::string& uaddr) {
  if (f && f->contains("page_node")) return &(*f)["page_node"];
  if (!report.contains("numa") || !report["numa"].contains("page_nodes")) return nullptr;
  const json& pn = report["numa"]["page_nodes"];
  for (const std::string& k : {uaddr, std::to_string(pid) + ":" + uaddr})
    if (pn.is_object() && pn.contains(k)) return &pn[k];
  return nullptr;
}

TEST(Numa, PingPongAcrossTwoNodes) {
  REQUIRE_ROOT();
  if (online_nodes() < 2) {
    loud_skip_note("Numa.PingPongAcrossTwoNodes needs 2 NUMA nodes (run it with tests/vm/run-in-vm.sh --nodes 2)");
    GTEST_SKIP() << "one NUMA node";
  }
  Recorded r = record_and_report({"fxs-sample-numa"}, false, nullptr);
  std::printf("%s", r.sample_out.c_str());
  std::fflush(stdout);
  expect_matches_truth(r.truth, r.report);
  ASSERT_TRUE(r.truth.contains("numa"));
  const json& tn = r.truth["numa"];
  EXPECT_EQ(tn["page_node"], 1) << "move_pages: the futex word's page is not on node 1";
  EXPECT_EQ(tn["thread_nodes"], json::parse("[0,1]"));
  EXPECT_GT(tn["cross_node_wakes"].get<long>(), 0) << "no wake crossed nodes";

  if (!r.report.is_object() || r.truth["futexes"].empty()) return;
  const long pid = r.truth["pid"].get<long>();
  const std::string uaddr = r.truth["futexes"][0]["uaddr"];
  const json* f = find_futex(r.report, pid, uaddr);

  // The report's NUMA keys are being built: compare them where they exist.
  fxs::test::expect_wake_matrix_matches(tn, r.report, pid, uaddr);
  if (const json* pn = report_page_node(r.report, f, pid, uaddr)) {
    EXPECT_EQ(*pn, tn["page_node"]) << "the report's page node of " << uaddr;
  } else {
    loud_skip_note("the report has no page node for the futex (futexes[].page_node or numa.page_nodes): NOT compared");
  }
}

// --summary on two nodes, a workload far shorter than the aggregates' period
// (1 s): its key is asked about when the collector drains the BPF side's
// new-key queue, while it still runs, so the page node is the real one
// (node 1 here, where the sample bound the page), not -ESRCH.
TEST(Numa, SummaryShortProcessGetsItsPageNode) {
  REQUIRE_ROOT();
  if (online_nodes() < 2) {
    loud_skip_note("Numa.SummaryShortProcessGetsItsPageNode needs 2 NUMA nodes (run-in-vm.sh --nodes 2)");
    GTEST_SKIP() << "one NUMA node";
  }
  Recorded r = record_and_report({"fxs-sample-numa", "--rounds", "1000000", "--budget-ms", "300"}, true, nullptr);
  std::printf("%s", r.sample_out.c_str());
  std::fflush(stdout);
  ASSERT_TRUE(r.truth.is_object() && r.report.is_object());
  // Ended before the aggregates' first read (1 s), even with the VM's vCPUs on a busy host.
  EXPECT_LT(r.truth["elapsed_ns"].get<long>(), 900000000L) << r.sample_out;
  EXPECT_EQ(r.truth["numa"]["page_node"], 1) << "move_pages: the futex word's page is not on node 1";
  const long pid = r.truth["pid"].get<long>();
  const std::string uaddr = r.truth["futexes"][0]["uaddr"];
  const json* pn = report_page_node(r.report, find_futex(r.report, pid, uaddr), pid, uaddr);
  ASSERT_NE(pn, nullptr) << "no page node for " << uaddr << " in the --summary report";
  EXPECT_EQ(*pn, r.truth["numa"]["page_node"]) << "the report's page node of " << uaddr;
}

}  // namespace
