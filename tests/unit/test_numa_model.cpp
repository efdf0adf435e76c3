// The NUMA model (replay/numa_model.h) on a synthetic 2-node trace written
// with TraceWriter and read back by `report`: the wake matrix (observed and
// unobserved wakes, a wake that woke nobody, a timeout), its latencies, page
// nodes and migrations, remote calls, FUTEX2_NUMA/MPOL flags.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/wake_record.h"
#include "replay/numa_model.h"
#include "replay/numa_report.h"
#include "replay/report.h"
#include "replay/trace_models.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

constexpr uint32_t kPid = 100;
constexpr uint64_t kA = 0x7f0000001000, kB = 0x7f0000002010, kC = 0x7f0000003000, kD = 0x7f0000004000,
                   kE = 0x7f0000005000;

fxs_futex_rec call(uint32_t tid, uint8_t opi, uint64_t uaddr, uint64_t enter, uint64_t exit, int32_t ret,
                   uint16_t enter_cpu, uint16_t exit_cpu) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.tgid = kPid;
  r.tid = tid;
  r.uaddr = uaddr;
  r.ret = ret;
  r.opi = opi;
  r.op = opi;  // futex(2): the command is the op word
  r.syscall = FXS_SC_FUTEX;
  r.val = 1;
  r.enter_cpu = enter_cpu;
  r.exit_cpu = exit_cpu;
  r.ustack_id = -1;
  return r;
}

fxs_wake_rec wake(uint64_t ts, uint16_t cpu, uint32_t waker, uint8_t waker_opi, uint64_t waker_uaddr,
                  uint32_t wakee, uint64_t wakee_uaddr, uint64_t wait_enter) {
  return test::wake_record({.tgid = kPid, .waker = waker, .wakee = wakee, .waker_opi = waker_opi,
                            .waker_uaddr = waker_uaddr, .wakee_uaddr = wakee_uaddr, .wait_enter = wait_enter,
                            .ts = ts, .cpu = cpu});
}

fxs_page_node_rec page(uint64_t ts, uint64_t addr, int32_t node) {
  fxs_page_node_rec p{};
  p.hdr = {FXS_REC_PAGE_NODE, sizeof(p), 0};
  p.ts_ns = ts;
  p.tgid = kPid;
  p.page = addr & ~uint64_t(4095);
  p.page_size = 4096;
  p.node = node;
  return p;
}

class NumaTrace : public ::testing::Test {
 protected:
  template <typename R>
  void put(const R& r) {
    ASSERT_TRUE(w_->append(&r, sizeof(r)).ok());
  }

  void SetUp() override {
    char tmpl[] = "/tmp/fxs-numa-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/numa.fxs";
    TraceHeader h;
    h.cpu_count = 4;
    h.cpu_node = {0, 0, 1, 1};  // CPUs 0-1 on node 0, 2-3 on node 1
    auto w = TraceWriter::create(path_, h, 512);  // small chunks: several of them
    ASSERT_TRUE(w.ok()) << w.message();
    w_ = &w.value();
    // Records in the order a collector would write them (a call at its exit).
    // 202 (CPU 0, node 0) wakes 201, which waits on CPU 2 (node 1).
    put(wake(2200, 0, 202, FXS_OP_FUTEX_WAKE, kA, 201, kA, 1000));
    put(call(202, FXS_OP_FUTEX_WAKE, kA, 2000, 2500, 1, 0, 0));  // before A's page is known
    put(page(2600, kA, 1));
    put(call(201, FXS_OP_FUTEX_WAIT, kA, 1000, 5000, 0, 2, 2));
    // A wake that woke nobody: in no cell.
    put(call(202, FXS_OP_FUTEX_WAKE, kA, 6000, 6100, 0, 0, 0));
    // 201 (CPU 2, node 1) wakes 202, which returns on CPU 1 (node 0).
    put(wake(7100, 2, 201, FXS_OP_FUTEX_WAKE, kA, 202, kA, 6600));
    put(call(201, FXS_OP_FUTEX_WAKE, kA, 7000, 7500, 1, 2, 2));
    put(page(8000, kA, 0));  // A's page migrated to node 0
    put(call(202, FXS_OP_FUTEX_WAIT, kA, 6600, 9000, 0, 1, 1));
    // 202 (CPU 1) dequeues 203 (CPU 3) before it slept: no sched_waking.
    put(call(202, FXS_OP_FUTEX_WAKE, kA, 10100, 10300, 1, 1, 1));
    put(call(203, FXS_OP_FUTEX_WAIT, kA, 10000, 10400, 0, 3, 3));
    // B: a wait on node 1 that timed out (woken by its timer, not a wake call); page on node 0.
    put(page(10900, kB, 0));
    put(wake(11990, 3, 203, FXS_OP_NONE, 0, 203, kB, 11000));
    put(call(203, FXS_OP_FUTEX_WAIT, kB, 11000, 12000, -ETIMEDOUT, 3, 3));
    // C: futex2 calls with FUTEX2_NUMA and FUTEX2_MPOL; a futex(2) FUTEX_CMP_REQUEUE_PRIVATE
    // (op 0x84: the 0x4 there is the command, not FUTEX2_NUMA) naming C and D.
    fxs_futex_rec f2 = call(204, FXS_OP_FUTEX2_WAKE, kC, 12100, 12200, 0, 0, 0);
    f2.syscall = FXS_SC_FUTEX_WAKE;
    f2.op = 0x80 | 0x4;  // FUTEX2_PRIVATE | FUTEX2_NUMA
    put(f2);
    f2 = call(204, FXS_OP_FUTEX2_WAIT, kC, 12300, 12400, -EAGAIN, 0, 0);
    f2.syscall = FXS_SC_FUTEX_WAIT;
    f2.op = 0x80 | 0x8 | 0x2;  // FUTEX2_PRIVATE | FUTEX2_MPOL | FUTEX2_SIZE_U32
    put(f2);
    fxs_futex_rec rq = call(204, FXS_OP_FUTEX_CMP_REQUEUE, kC, 12500, 12600, 0, 0, 0);
    rq.op = 0x80 | FXS_OP_FUTEX_CMP_REQUEUE;
    rq.uaddr2 = kD;
    put(rq);
    put(page(12700, kD, -ENOENT));
    // E: a wake from a CPU the header does not know (9): counted as unknown.
    put(wake(13150, 9, 206, FXS_OP_FUTEX_WAKE, kE, 205, kE, 13000));
    put(call(206, FXS_OP_FUTEX_WAKE, kE, 13100, 13200, 1, 9, 9));
    put(call(205, FXS_OP_FUTEX_WAIT, kE, 13000, 14000, 0, 0, 0));
    ASSERT_TRUE(w_->append_stop(14000).ok());  // the recorder's clean end (else the report warns)
    ASSERT_TRUE(w_->close().ok());
  }
  void TearDown() override {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }

  nlohmann::json report(ReportOptions::Format f, std::string* text = nullptr) {
    std::ostringstream out, warn;
    ReportOptions o;
    o.format = f;
    Status st = write_report(path_, o, out, warn);
    EXPECT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(warn.str(), "");
    if (text) *text = out.str();
    return f == ReportOptions::Format::kJson ? nlohmann::json::parse(out.str()) : nlohmann::json();
  }

  const nlohmann::json* futex(const nlohmann::json& j, uint64_t uaddr) {
    for (const auto& f : j["futexes"])
      if (f["uaddr"] == format_uaddr(uaddr)) return &f;
    return nullptr;
  }

  std::string dir_, path_;
  TraceWriter* w_ = nullptr;
};

TEST_F(NumaTrace, WakeMatrixCountsWhatTheWakeCallsWokeByNode) {
  nlohmann::json j = report(ReportOptions::Format::kJson);
  const nlohmann::json& n = j["numa"];
  EXPECT_EQ(n["nodes"], 2);
  // [waker node][woken thread's node]: 202 (node 0) woke 201 (node 1) and 203
  // (node 1, unobserved); 201 (node 1) woke 202 (node 0). The empty wake and the
  // timeout are in no cell; the wake from CPU 9 is unknown.
  EXPECT_EQ(n["wake_matrix"], nlohmann::json::parse("[[0,2],[1,0]]"));
  EXPECT_EQ(n["wakes"], 3);
  EXPECT_EQ(n["cross_node_wakes"], 3);
  EXPECT_EQ(n["unknown_node_wakes"], 1);
  EXPECT_EQ(n["wake_records"], true);
  // Latency: waking -> the wait's return; the unobserved wake has none.
  EXPECT_EQ(n["wake_latency_ns"][0][1]["samples"], 1);
  EXPECT_EQ(n["wake_latency_ns"][0][1]["p50"], 5000 - 2200);
  EXPECT_EQ(n["wake_latency_ns"][1][0]["p99"], 9000 - 7100);
  EXPECT_EQ(n["wake_latency_ns"][1][0]["total"], 9000 - 7100);
  EXPECT_EQ(n["wake_latency_ns"][0][0]["samples"], 0);
  // The matrix sums the futex wake-type attributions of the futex entries.
  const nlohmann::json* a = futex(j, kA);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["woken_by"]["futex_wake"], 3);
  EXPECT_EQ((*a)["numa"]["wakes"], 3);
  EXPECT_EQ((*a)["numa"]["cross_node_wakes"], 3);
  EXPECT_EQ((*a)["numa"]["cross_node_share"], 1.0);
  // A's own cells: all of the matrix, since A is the only futex with wakes on known nodes.
  EXPECT_EQ((*a)["numa"]["wakes_by_node"],
            nlohmann::json::parse(R"([{"waker_node":0,"woken_node":1,"wakes":2},{"waker_node":1,"woken_node":0,"wakes":1}])"));
  const nlohmann::json* e = futex(j, kE);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["numa"]["wakes_by_node"], nlohmann::json::array()) << "its one wake ran on an unknown CPU";
}

TEST_F(NumaTrace, PageNodesAndRemoteCalls) {
  nlohmann::json j = report(ReportOptions::Format::kJson);
  const nlohmann::json& n = j["numa"];
  EXPECT_EQ(n["page_records"], 4);  // A twice, B, D
  // Latest node of each page; an answer that was never a node stays -errno.
  EXPECT_EQ(n["page_nodes"]["100:" + format_uaddr(kA)], 0);
  EXPECT_EQ(n["page_nodes"]["100:" + format_uaddr(kB)], 0);
  EXPECT_EQ(n["page_nodes"]["100:" + format_uaddr(kD)], -ENOENT);
  EXPECT_FALSE(n["page_nodes"].contains("100:" + format_uaddr(kC)));
  const nlohmann::json* a = futex(j, kA);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["page_node"], 0);
  EXPECT_EQ((*a)["numa"]["page_moves"], 1);
  // A's calls against the page's node at the time: the first wake (node 0)
  // came before the page was known, settled against its first node (1):
  // remote; 201's wait and wake (node 1, page on 1): local; the empty wake
  // (node 0, page on 1): remote; after the move to node 0, 202's wait and
  // wake (node 0): local, 203's wait (node 1): remote.
  EXPECT_EQ((*a)["numa"]["calls"], 7);
  EXPECT_EQ((*a)["numa"]["local_calls"], 4);
  EXPECT_EQ((*a)["numa"]["remote_calls"], 3);
  EXPECT_EQ((*a)["numa"]["mostly_remote"], false);
  // B: its only call ran on node 1, its page is on node 0: mostly remote, listed.
  const nlohmann::json* b = futex(j, kB);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["numa"]["remote_calls"], 1);
  EXPECT_EQ((*b)["numa"]["mostly_remote"], true);
  ASSERT_EQ(n["mostly_remote"].size(), 1u);
  EXPECT_EQ(n["mostly_remote"][0]["uaddr"], format_uaddr(kB));
  // E: calls on CPU 9 (unknown node) are neither local nor remote.
  const nlohmann::json* e = futex(j, kE);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ((*e)["numa"]["calls"], 2);
  EXPECT_EQ((*e)["numa"]["local_calls"].get<int>() + (*e)["numa"]["remote_calls"].get<int>(), 0);
  EXPECT_FALSE(e->contains("page_node"));
}

TEST_F(NumaTrace, Futex2NumaAndMpolFlags) {
  nlohmann::json j = report(ReportOptions::Format::kJson);
  const nlohmann::json* c = futex(j, kC);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["numa"]["calls"], 3);
  EXPECT_EQ((*c)["numa"]["futex2_numa"], 1);  // not the futex(2) FUTEX_CMP_REQUEUE
  EXPECT_EQ((*c)["numa"]["futex2_mpol"], 1);
  EXPECT_EQ(j["numa"]["futex2_numa_calls"], 1);
  EXPECT_EQ(j["numa"]["futex2_mpol_calls"], 1);
}

TEST_F(NumaTrace, TextReportShowsTheMatrixAndPages) {
  std::string text;
  report(ReportOptions::Format::kText, &text);
  EXPECT_NE(text.find("NUMA: 2 nodes; 3 threads woken by futex wake calls, 3 (100.0%) across nodes, 1 with a node unknown"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("2 (2.80us / 2.80us)"), std::string::npos) << text;
  EXPECT_NE(text.find("page node 0 (moved 1x)"), std::string::npos) << text;
  EXPECT_NE(text.find("page ENOENT"), std::string::npos) << text;
  EXPECT_NE(text.find("MOSTLY REMOTE"), std::string::npos) << text;
}

TEST_F(NumaTrace, FromFileEqualsTheReport) {
  auto r = read_trace(path_, {});
  ASSERT_TRUE(r.ok()) << r.message();
  nlohmann::json j = report(ReportOptions::Format::kJson);
  EXPECT_EQ(numa_json(r->numa), j["numa"]);
  EXPECT_FALSE(read_trace(dir_ + "/missing.fxs", {}).ok());
}

// Without wake records (a --summary trace) there is no matrix to speak of.
TEST(NumaModel, NoWakeRecordsNoMatrix) {
  NumaModel m({0, 1});
  fxs_page_node_rec p = page(1, kA, 1);
  m.add(&p.hdr);
  NumaReport r = m.finish();
  EXPECT_FALSE(r.wake_records);
  EXPECT_EQ(r.nodes, 2u);
  EXPECT_EQ(r.wake_matrix, (std::vector<std::vector<uint64_t>>{{0, 0}, {0, 0}}));
  ASSERT_EQ(r.pages.size(), 1u);
  EXPECT_EQ(r.pages[0].node, 1);
}

}  // namespace
}  // namespace fxs

namespace fxs {
namespace {

// A real recording: `futexscope record -- fxs-sample-numa` in the 2-node VM of
// tests/vm (Linux 6.1, one CPU per node), stored with the FXS_TRUTH line the
// sample printed. The report of the stored trace must still equal that truth.
TEST(NumaRecorded, TwoNodeTraceEqualsItsTruth) {
  const std::string dir = FXS_TEST_DATA_DIR;
  std::ifstream tf(dir + "/numa-2node.truth.json");
  ASSERT_TRUE(tf) << dir << "/numa-2node.truth.json";
  const nlohmann::json truth = nlohmann::json::parse(tf);
  std::ostringstream out, warn;
  ReportOptions o;
  o.format = ReportOptions::Format::kJson;
  ASSERT_TRUE(write_report(dir + "/numa-2node.fxs", o, out, warn).ok());
  const nlohmann::json j = nlohmann::json::parse(out.str());
  const nlohmann::json& tn = truth["numa"];
  EXPECT_EQ(j["numa"]["wake_matrix"], tn["wakes_by_node"]);
  EXPECT_EQ(j["numa"]["cross_node_wakes"], tn["cross_node_wakes"]);
  const std::string key = std::to_string(truth["pid"].get<long>()) + ":" + truth["futexes"][0]["uaddr"].get<std::string>();
  EXPECT_EQ(j["numa"]["page_nodes"][key], tn["page_node"]);
  EXPECT_EQ(j["numa"]["page_nodes"][key], 1);
}

}  // namespace
}  // namespace fxs
