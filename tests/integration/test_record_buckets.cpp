// Hash buckets against the kernel itself: under bucket-lock contention the
// lock address the kernel reports (lock:contention_begin) names the bucket the
// kernel really used; the bucket futexscope computed in BPF must be the same
// for >= 99% of contended calls, in the private table and in the global one.
// The workload is fxs-sample-buckets (FUTEX_WAIT calls that fail with EAGAIN,
// each a pass through a bucket lock). The private table's size is checked
// against what its own prctl(PR_FUTEX_HASH, GET_SLOTS) printed, its counts
// against its FXS_TRUTH. Where the kernel itself (ftrace) counts no spinlock
// contention at all, there is nothing to compare with: the tests skip loudly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "kernel_spin_contention.h"
#include "run_command.h"

using nlohmann::json;
using fxs::test::find_futex;
using fxs::test::probe_lacks;
using fxs::test::run_command;
using fxs::test::TempDir;
using fxs::test::truth_from;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

const json* find_process(const json& report, long pid) {
  for (const auto& p : report["hash"]["processes"])
    if (p["pid"].get<long>() == pid) return &p;
  return nullptr;
}

// One run of the bucket sample; hash_slots < 0 leaves the default table.
struct Run {
  json truth, hash_truth, report;
};

Run record_buckets(int hash_slots, int calls, bool numa) {
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  std::vector<std::string> cmd = {kFutexscope, "record", "-q", "-o", trace, "--",
                                  kSamples + "/fxs-sample-buckets", "--threads", "2", "--words", "3",
                                  "--calls", std::to_string(calls)};
  if (hash_slots >= 0) {
    cmd.push_back("--hash-slots");
    cmd.push_back(std::to_string(hash_slots));
  }
  if (numa) cmd.push_back("--numa");
  Run run;
  auto r = run_command(cmd);
  EXPECT_EQ(r.status, 0) << r.err;
  run.truth = truth_from(r.out);
  run.hash_truth = fxs::test::tagged_json_from(r.out, "FXS_TRUTH_HASH ");
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << rep.err;
  if (rep.status == 0) run.report = json::parse(rep.out);
  return run;
}

void check_buckets(int hash_slots, bool numa = false) {
  uint64_t compared = 0, matched = 0;
  const fxs::test::KernelSpinContention kernel_spins;
  // Bucket-lock contention comes in bursts: run until enough calls spun.
  for (int attempt = 0; attempt < 4 && compared < 100; attempt++) {
    Run run = record_buckets(hash_slots, 200000 << attempt, numa);
    ASSERT_FALSE(run.truth.is_null() || run.hash_truth.is_null() || run.report.is_null());
    const long pid = run.truth["pid"];
    const json& rep = run.report;
    ASSERT_TRUE(rep.contains("hash")) << "report has no \"hash\" section";
    EXPECT_EQ(rep["lost"], 0);

    // The table the process really has, as prctl told the workload.
    const json& slots = run.hash_truth["slots"];
    const long want_slots = slots.is_null() ? 0 : slots.get<long>();
    const json* proc = find_process(rep, pid);
    ASSERT_NE(proc, nullptr) << "no hash.processes entry for pid " << pid;
    EXPECT_EQ((*proc)["slots"], want_slots) << "private slots of pid " << pid;

    for (const json& word : run.truth["futexes"]) {
      const std::string uaddr = word["uaddr"];
      const json* f = find_futex(rep, pid, uaddr);
      ASSERT_NE(f, nullptr) << "the futex word " << uaddr << " is not in the report";
      EXPECT_EQ((*f)["ops"], word["ops"]) << uaddr;
      EXPECT_EQ((*f)["eagain"], word["eagain"]) << uaddr;
      ASSERT_TRUE(f->contains("bucket"));
      const json& b = (*f)["bucket"];
      if (numa) {
        // FUTEX2_NUMA: the global table of the node the kernel wrote into the word.
        EXPECT_EQ(b["table"], "numa") << uaddr;
        EXPECT_EQ(b["node"], run.hash_truth["numa_nodes"][uaddr]) << uaddr;
      } else if (want_slots > 0) {
        EXPECT_EQ(b["table"], "private") << uaddr;
        EXPECT_LT(b["index"].get<long>(), want_slots) << uaddr;
      } else {
        EXPECT_EQ(b["table"], "global") << uaddr;
        EXPECT_LT(b["index"].get<long>(), rep["hash"]["global"]["entries_per_node"].get<long>()) << uaddr;
      }
    }
    const json& v = rep["hash"]["verification"];
    compared += v["compared"].get<uint64_t>();
    matched += v["matched"].get<uint64_t>();
    std::fprintf(stderr, "hash_slots %d, run %d: %s\n", hash_slots, attempt, v.dump().c_str());
  }
  if (compared < 100) FXS_SKIP_UNLESS_EMPTY(kernel_spins.none_reported());
  ASSERT_GE(compared, 100u) << "kernel-counted spinlock contentions: " << kernel_spins.count() << " "
                            << kernel_spins.error()
                            << "; too few bucket-lock contentions to compare (is lock:contention_begin there?)";
  EXPECT_GE(matched * 100, compared * 99)
      << matched << " of " << compared << " contended calls spun on the bucket futexscope computed";
}

TEST(RecordBuckets, PrivateTableBucketIsTheKernels) {
  REQUIRE_ROOT();
  check_buckets(-1);
}

TEST(RecordBuckets, GlobalTableBucketIsTheKernels) {
  REQUIRE_ROOT();
  check_buckets(0);
}

TEST(RecordBuckets, NumaFutexBucketIsTheKernels) {
  REQUIRE_ROOT();
  FXS_SKIP_UNLESS_EMPTY(probe_lacks(kFutexscope, "numa_futex", "this kernel has no FUTEX2_NUMA (6.16+)"));
  check_buckets(-1, true);
}

}  // namespace
