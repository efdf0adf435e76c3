// Records fxs-sample-numa (two threads taking turns on one futex word whose
// page is bound to a node) and compares the report's NUMA keys with the
// sample's own truth, exactly: the word's wakes by node with the threads each
// FUTEX_WAKE woke, by waker's and woken thread's node, and the word's page
// node with what move_pages(2) told the sample. On a one-node machine the
// matrix is 1x1 (the VM test Numa.* runs the same on two nodes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "collector/page_node_resolver.h"
#include "ground_truth_check.h"
#include "replay/trace_reader.h"
#include "run_command.h"

using fxs::test::run_command;
using fxs::test::TempDir;
using fxs::test::truth_from;
using nlohmann::json;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

TEST(RecordNuma, WakeMatrixAndPageNodeEqualTheSamplesTruth) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("numa.fxs");
  // The collector asks about a page when it drains the first record naming it
  // (every 0.1 s): 20000 turns keep the sample alive long enough (its 1.5 s
  // budget bounds the run) for the answer to come from a live process.
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-numa", "--rounds",
                        "20000"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json truth = truth_from(r.out);
  ASSERT_FALSE(truth.is_null()) << r.out << r.err;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  EXPECT_EQ(report["lost"], 0);

  const json& tn = truth["numa"];
  const long pid = truth["pid"].get<long>();
  const std::string uaddr = truth["futexes"][0]["uaddr"];
  const json& n = report["numa"];
  fxs::test::expect_wake_matrix_matches(tn, report, pid, uaddr);
  EXPECT_EQ(n["nodes"], tn["nodes"]);
  EXPECT_EQ(n["unknown_node_wakes"], 0);
  const std::string key = std::to_string(pid) + ":" + uaddr;
  ASSERT_TRUE(n["page_nodes"].contains(key)) << n["page_nodes"].dump();
  EXPECT_EQ(n["page_nodes"][key], tn["page_node"]);

  const json* f = nullptr;
  for (const auto& x : report["futexes"])
    if (x["pid"] == pid && x["uaddr"] == uaddr) f = &x;
  ASSERT_NE(f, nullptr);
  EXPECT_EQ((*f)["page_node"], tn["page_node"]);
  const json& fn = (*f)["numa"];
  EXPECT_EQ(fn["wakes"], (*f)["woken"]) << "every thread the wakes woke is in the matrix";
  EXPECT_EQ(fn["cross_node_wakes"], tn["cross_node_wakes"]);
  // Every call on the word ran on a CPU whose node is known and the page
  // stays put (bound with mbind), so each is local or remote.
  EXPECT_EQ(fn["local_calls"].get<long>() + fn["remote_calls"].get<long>(), fn["calls"].get<long>());
  EXPECT_EQ(fn["page_moves"], 0);
  // Latency per cell: as many samples as wakes seen by sched_waking, p50 <= p99 <= max.
  for (size_t i = 0; i < n["wake_latency_ns"].size(); i++)
    for (size_t j = 0; j < n["wake_latency_ns"][i].size(); j++) {
      const json& c = n["wake_latency_ns"][i][j];
      EXPECT_LE(c["samples"].get<long>(), n["wake_matrix"][i][j].get<long>());
      EXPECT_LE(c["p50"].get<long>(), c["p99"].get<long>());
      EXPECT_LE(c["p99"].get<long>(), c["max"].get<long>());
    }

  // The text report has the section.
  auto text = run_command({kFutexscope, "report", trace});
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("wake matrix: rows = waker's node"), std::string::npos) << text.out;
}

}  // namespace

namespace {

// --summary has no wake records (no matrix) but still the page nodes, for
// the aggregates' keys. A key is asked about when the collector first drains
// it from the BPF side's new-key queue (within about 0.1 s), not at the next
// read of the whole map (once a second): a workload that lives well under a
// second still gets a real node, the one move_pages(2) told the sample.
TEST(RecordNuma, SummaryTraceHasThePageNode) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("numa-summary.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "--summary", "-o", trace, "--", kSamples + "/fxs-sample-numa",
                        "--rounds", "1000000", "--budget-ms", "300"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json truth = truth_from(r.out);
  ASSERT_FALSE(truth.is_null()) << r.out << r.err;
  // The point of the test: the workload (300 ms of budget) ended before the
  // aggregates' first read (1 s); 0.9 s leaves room for a loaded machine.
  EXPECT_LT(truth["elapsed_ns"].get<long>(), 900000000L) << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  const json& n = report["numa"];
  EXPECT_EQ(n["wake_records"], false);
  EXPECT_EQ(n["wakes"], 0);
  const std::string key = std::to_string(truth["pid"].get<long>()) + ":" + truth["futexes"][0]["uaddr"].get<std::string>();
  ASSERT_TRUE(n["page_nodes"].contains(key)) << n["page_nodes"].dump();
  EXPECT_GE(truth["numa"]["page_node"].get<int>(), 0) << "the sample's own move_pages answered an error";
  EXPECT_EQ(n["page_nodes"][key], truth["numa"]["page_node"]);
}

}  // namespace

namespace {

// The page-node cap (262144 pages) bounds the pages of live processes: two
// processes of 140000 futex pages each, one after the other, both get every
// page asked about, because the first is forgotten once the collector's pass
// finds it gone (2 s between them: passes start once a second). Truth: each
// process's own move_pages answers for its pages, counted per answer.
TEST(RecordNuma, PagesOfExitedProcessesLeaveTheCap) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("pages.fxs");
  const std::string sample = kSamples + "/fxs-sample-pages --pages 140000 --linger-ms 500";
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", "/bin/sh", "-c",
                        sample + " && sleep 2 && " + sample});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.err.find("page_node_cap_dropped"), std::string::npos) << r.err;
  std::vector<json> truths;
  for (size_t p = 0; (p = r.out.find("FXS_TRUTH_PAGES ", p)) != std::string::npos; p++)
    truths.push_back(fxs::test::tagged_json_from(r.out.substr(p), "FXS_TRUTH_PAGES "));
  ASSERT_EQ(truths.size(), 2u) << r.out;
  ASSERT_GT(2 * truths[0]["pages"].get<long>(), 262144L) << "the two must not fit under the cap together";

  // Read from the trace itself: the JSON report of 280000 futexes is 600 MB.
  std::map<std::pair<uint32_t, uint64_t>, int32_t> latest;  // (tgid, page) -> latest answer
  uint64_t dropped = 0;
  auto reader = fxs::TraceReader::open(trace);
  ASSERT_TRUE(reader.ok()) << reader.message();
  fxs::Status st = reader->for_each_record([&](const fxs_rec_hdr* h) {
    if (h->type == FXS_REC_PAGE_NODE && h->size >= sizeof(fxs_page_node_rec)) {
      fxs_page_node_rec p;
      std::memcpy(&p, h, sizeof(p));
      latest[{p.tgid, p.page}] = p.node;
    } else if (h->type == FXS_REC_LOSS && h->size >= sizeof(fxs_loss_rec)) {
      fxs_loss_rec l;
      std::memcpy(&l, h, sizeof(l));
      dropped = l.counters[FXS_CNT_RINGBUF_DROP];  // cumulative: the last one holds
    }
  });
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(dropped, 0u) << "events dropped: pages would be missing for another reason";
  for (const json& t : truths) {
    const uint32_t pid = t["pid"].get<uint32_t>();
    const uint64_t first = std::stoull(t["first"].get<std::string>(), nullptr, 16);
    const uint64_t ps = t["page_size"].get<uint64_t>(), n = t["pages"].get<uint64_t>();
    std::map<std::string, long> answers;
    for (auto it = latest.lower_bound({pid, first}); it != latest.end() && it->first.first == pid &&
                                                     it->first.second < first + n * ps;
         ++it)
      answers[std::to_string(it->second)]++;
    EXPECT_EQ(json(answers), t["answers"]) << "pid " << pid << ": page-node records of its pages, by answer";
  }
}

// Past the cap, a new page's node is not asked. The recorder counts those
// lookups in the trace's loss records (FXS_CNT_PAGE_NODE_CAP), so `report`
// and the window show them, not only its stderr. Truth: one process naming
// cap + 1500 distinct pages, once each (the sample's own page count).
TEST(RecordNuma, LookupsPastThePageCapAreCountedInTheTrace) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("cap.fxs");
  const uint64_t cap = fxs::PageNodeResolver::kMaxPages, over = 1500;
  // Lingering 6 s: the process stays alive (its pages in the cap) until the
  // collector has drained every call. Each page under the cap is one
  // move_pages call (262,144 of them, ~25 us each in a VM): with 2 s, a
  // loaded machine's collector was still asking when the process exited, and
  // an exited process's pages leave the cap, so fewer lookups were dropped.
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-pages", "--pages",
                        std::to_string(cap + over), "--linger-ms", "6000"});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json truth = fxs::test::tagged_json_from(r.out, "FXS_TRUTH_PAGES ");
  ASSERT_FALSE(truth.is_null()) << r.out;
  const uint64_t pages = truth["pages"].get<uint64_t>();
  ASSERT_GT(pages, cap);
  EXPECT_NE(r.err.find("page_node_cap_dropped=" + std::to_string(pages - cap) + ":"), std::string::npos) << r.err;

  auto rep = run_command({kFutexscope, "report", trace, "--format", "json", "--top", "1"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  ASSERT_EQ(report["counters"]["ringbuf_drop"], 0) << "events dropped: lookups would be missing for another reason";
  EXPECT_EQ(report["counters"]["page_node_cap_dropped"].get<uint64_t>(), pages - cap);
  auto text = run_command({kFutexscope, "report", trace, "--top", "1"});
  EXPECT_NE(text.out.find("page_node_cap_dropped " + std::to_string(pages - cap) + ")"), std::string::npos)
      << text.out.substr(0, 600);
}

}  // namespace
