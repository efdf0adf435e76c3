// The window and the report show the same numbers: the window's Futex tab
// takes who woke whom, the latency split, the futile wakeups and the lock
// holders from the wake pairing its loader computes in its one pass
// (ui/ingest_worker.h), the report from its own read of the same file.
// Recorded samples, read both ways, every number both show compared exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include <chrono>
#include <thread>

#include "replay/bucket_report.h"
#include "replay/numa_report.h"
#include "replay/trace_reader.h"
#include "run_command.h"
#include "ui/ingest_worker.h"

using nlohmann::json;
using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

class WindowAndReport : public ::testing::TestWithParam<const char*> {};

TEST_P(WindowAndReport, AgreeOnEveryFutex) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-" + GetParam()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);

  auto reader = fxs::TraceReader::open(trace);
  ASSERT_TRUE(reader.ok()) << reader.message();
  fxs::ui::IngestWorker window(std::move(reader.value()), 0, /*follow=*/false);
  window.start(nullptr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(window.progress().done && !window.pairing_pending()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto paired = window.pairing();
  ASSERT_TRUE(paired) << "the window's pairing: " << window.pairing_missing();
  ASSERT_TRUE(paired->complete);
  const fxs::WakesByFutex& wakes = paired->wakes;
  const fxs::PairingByFutex& pairing = paired->pairing;

  size_t compared = 0, numa_compared = 0;
  for (const json& f : report["futexes"]) {
    const fxs::PairKey key{f["pid"].get<uint64_t>(), std::stoull(f["uaddr"].get<std::string>(), nullptr, 16)};
    const std::string at = f["uaddr"];
    auto w = wakes.find(key);
    auto p = pairing.find(key);
    if (f["waits"].get<long>() == 0 && f["woken"].get<long>() == 0 && w == wakes.end()) continue;
    ASSERT_NE(w, wakes.end()) << at;
    ASSERT_NE(p, pairing.end()) << at;
    const json& by = f["woken_by"];
    EXPECT_EQ(by["futex_wake"], w->second.by_futex_wake) << at;
    EXPECT_EQ(by["pi_handoff"], w->second.by_pi_handoff) << at;
    EXPECT_EQ(by["timeout"], w->second.by_timeout) << at;
    EXPECT_EQ(by["signal"], w->second.by_signal) << at;
    EXPECT_EQ(by["thread_exit"], w->second.by_thread_exit) << at;
    EXPECT_EQ(by["other"], w->second.by_other) << at;
    EXPECT_EQ(f["contended_wait_ns"], w->second.contended_wait_ns) << at;
    EXPECT_EQ(f["empty_wakes"], w->second.empty_wakes) << at;
    EXPECT_EQ(f["released_at_exit"], w->second.released_at_exit) << at;
    std::map<std::pair<long, long>, long> edges;
    for (const auto& e : w->second.wakers) edges[{e.waker_tid, e.waiter_tid}] += long(e.count);
    std::map<std::pair<long, long>, long> want;
    for (const json& e : f["wakers"]) want[{e["waker_tid"], e["waiter_tid"]}] += e["count"].get<long>();
    EXPECT_EQ(edges, want) << at;
    EXPECT_EQ(f["wake_latency_ns"]["p50"], w->second.latency_p50_ns) << at;
    EXPECT_EQ(f["wake_latency_ns"]["p99"], w->second.latency_p99_ns) << at;
    const json& sp = f["latency_split_ns"];
    const fxs::WaitSplit& s = p->second.split;
    EXPECT_EQ(sp["samples"], s.samples) << at;
    EXPECT_EQ(sp["incomplete"], s.incomplete) << at;
    EXPECT_EQ(sp["disordered"], s.disordered) << at;
    EXPECT_EQ(sp["multi_sleep"], s.multi_sleep) << at;
    EXPECT_EQ(sp["no_switch_in"], s.no_switch_in) << at;
    // Where the waits slept in the kernel: the futex panel's "Kernel stacks".
    ASSERT_EQ(f["kernel_stacks"].size(), s.kernel_stacks.size()) << at;
    for (size_t i = 0; i < s.kernel_stacks.size(); i++) {
      EXPECT_EQ(f["kernel_stacks"][i]["sleep_ns"], s.kernel_stacks[i].sleep_ns) << at;
      EXPECT_EQ(f["kernel_stacks"][i]["waits"], s.kernel_stacks[i].waits) << at;
      EXPECT_EQ(f["kernel_stacks"][i]["frames"], json(s.kernel_stacks[i].frames)) << at;
    }
    for (const auto& [name, pc] : {std::pair{"waiting", &s.waiting}, std::pair{"wake_to_run", &s.wake_to_run},
                                   std::pair{"runqueue", &s.runqueue}, std::pair{"exit", &s.exit}})
      EXPECT_EQ(sp[name], (json{{"p50", pc->p50}, {"p99", pc->p99}, {"max", pc->max}})) << at << " " << name;
    EXPECT_EQ(f["futile_wakeups"]["woken_waits"], p->second.futile.woken_waits) << at;
    EXPECT_EQ(f["futile_wakeups"]["futile"], p->second.futile.futile) << at;
    // The report shows holders for lock words only; the window too.
    if (f["kind"] == "mutex" || f["kind"] == "pi-mutex") {
      // (JSON lists the first 5.)
      ASSERT_EQ(f["holders"].size(), std::min<size_t>(5, p->second.holders.size())) << at;
      for (size_t i = 0; i < f["holders"].size(); i++) {
        EXPECT_EQ(f["holders"][i]["holder_tid"], p->second.holders[i].holder_tid) << at;
        EXPECT_EQ(f["holders"][i]["wait_ns"], p->second.holders[i].wait_ns) << at;
        EXPECT_EQ(f["holders"][i]["on_cpu_ns"], p->second.holders[i].on_cpu_ns) << at;
      }
    }
    // Where the word lives: the futex panel's "Hash bucket and NUMA".
    const fxs::FutexBucket* b = window.futexes()->buckets ? window.futexes()->buckets->find(uint32_t(key.a), key.b) : nullptr;
    ASSERT_EQ(b != nullptr, f.contains("bucket")) << at;
    if (b) {
      EXPECT_EQ(fxs::futex_bucket_json(*b), f["bucket"]) << at;
    }
    auto n = paired->numa_index.find(key);
    ASSERT_EQ(n != paired->numa_index.end(), f.contains("numa")) << at;
    if (n != paired->numa_index.end()) {
      const fxs::NumaFutex& nf = paired->report.futexes[n->second];
      EXPECT_EQ(fxs::futex_numa_json(nf), f["numa"]) << at;
      EXPECT_EQ(nf.page_node != fxs::kPageNodeUnknown ? json(nf.page_node) : json(), f.value("page_node", json())) << at;
      numa_compared++;
    }
    compared++;
  }
  EXPECT_GT(compared, 0u);
  EXPECT_GT(numa_compared, 0u) << "every per-event trace has NUMA entries (calls per node)";
}

INSTANTIATE_TEST_SUITE_P(Samples, WindowAndReport, ::testing::Values("mutex", "condvar"));

}  // namespace
