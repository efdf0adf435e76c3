// replay/umcg_model.h on a trace fixture in the recorded format: the test
// writes FXS_REC_UMCG records with TraceWriter to a temporary file, reads them
// back with TraceReader and feeds the model, as `futexscope report` would.
// No kernel produces UMCG records (never merged), so this is how the decoder
// is tested: one server and two workers, every state of the protocol (NONE,
// RUNNING, RUNNABLE, BLOCKED), the PREEMPT and COND_WAIT flags, a kick, an
// unreadable umcg_task and one transition the protocol does not allow.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "replay/trace_reader.h"
#include "replay/trace_writer.h"
#include "replay/umcg_model.h"
#include "replay/umcg_report.h"

namespace fxs {
namespace {

constexpr uint32_t kPid = 500, kServer = 501, kW1 = 502, kW2 = 503;
constexpr uint32_t NONE = FXS_UMCG_TASK_NONE, RUNNING = FXS_UMCG_TASK_RUNNING,
                   RUNNABLE = FXS_UMCG_TASK_RUNNABLE, BLOCKED = FXS_UMCG_TASK_BLOCKED,
                   PREEMPT = FXS_UMCG_TF_PREEMPT, COND_WAIT = FXS_UMCG_TF_COND_WAIT;

struct Obs {
  uint64_t ts;
  uint32_t tid;
  uint8_t sc;     // FXS_UMCG_SC_*
  uint8_t phase;  // 0 enter, 1 exit
  uint32_t state;
  uint32_t flags = 0;
  uint64_t arg = 0;
  int32_t ret = 0;
  uint32_t next_tid = 0;
  uint32_t server_tid = 0;
  bool read = true;
};

fxs_umcg_rec to_rec(const Obs& o) {
  fxs_umcg_rec r{};
  r.hdr = {FXS_REC_UMCG, sizeof(r), 0};
  r.ts_ns = o.ts;
  r.tgid = kPid;
  r.tid = o.tid;
  r.arg = o.arg;
  r.flags = o.flags;
  r.ret = o.ret;
  r.state = o.read ? o.state : 0;
  r.next_tid = o.next_tid;
  r.server_tid = o.server_tid;
  r.syscall = o.sc;
  r.phase = o.phase;
  r.task_read = o.read;
  return r;
}

constexpr uint8_t CTL = FXS_UMCG_SC_CTL, WAIT = FXS_UMCG_SC_WAIT, KICK = FXS_UMCG_SC_KICK;
constexpr uint32_t REG = FXS_UMCG_CTL_REGISTER, UNREG = FXS_UMCG_CTL_UNREGISTER,
                   WORKER = FXS_UMCG_CTL_WORKER;

// Observations of each task's own umcg_task at its umcg_* calls, in time order.
std::vector<Obs> fixture() {
  return {
      // The server registers: NONE -> RUNNING.
      {100, kServer, CTL, 0, NONE, REG},
      {110, kServer, CTL, 1, RUNNING, REG},
      // Worker 1 registers and is queued: NONE -> RUNNABLE.
      {120, kW1, CTL, 0, NONE, REG | WORKER},
      {130, kW1, CTL, 1, RUNNABLE, REG | WORKER, 0, 0, 0, kServer},
      // Worker 2 likewise.
      {140, kW2, CTL, 0, NONE, REG | WORKER},
      {145, kW2, CTL, 1, RUNNABLE, REG | WORKER, 0, 0, 0, kServer},
      // The server switches to worker 1 (next_tid): RUNNABLE -> RUNNING.
      {150, kServer, WAIT, 0, RUNNING, 0, 0, 0, kW1},
      {160, kW1, WAIT, 1, RUNNING, 0, 0, 0, 0, kServer},
      // Worker 1 blocks in the kernel, then is woken: RUNNING -> BLOCKED -> RUNNABLE.
      {170, kW1, WAIT, 0, BLOCKED, 0, 0, 0, 0, kServer},
      {180, kW1, WAIT, 1, RUNNABLE, 0, 0, 0, 0, kServer},
      // The server runs it again, then asks for preemption (PREEMPT) and kicks it.
      {190, kServer, WAIT, 0, RUNNING, 0, 0, 0, kW1},
      {200, kW1, WAIT, 1, RUNNING, 0, 0, 0, 0, kServer},
      {210, kW1, WAIT, 0, RUNNING | PREEMPT, 0, 0, 0, 0, kServer},
      {215, kServer, KICK, 0, RUNNING, 0, kW1},
      {216, kServer, KICK, 1, RUNNING, 0, kW1},
      // Preempted: RUNNING|PREEMPT -> RUNNABLE.
      {220, kW1, WAIT, 1, RUNNABLE, 0, 0, 0, 0, kServer},
      // Worker 2 runs, waits conditionally (COND_WAIT), and yields: -> RUNNABLE.
      {230, kServer, WAIT, 0, RUNNING, 0, 0, 0, kW2},
      {240, kW2, WAIT, 1, RUNNING, 0, 0, 0, 0, kServer},
      {250, kW2, WAIT, 0, RUNNING | COND_WAIT, 0, 0, 0, 0, kServer},
      {260, kW2, WAIT, 1, RUNNABLE, 0, 0, 0, 0, kServer},
      // An unreadable umcg_task (page not present): no observation.
      {265, kW2, WAIT, 0, 0, 0, 0, 0, 0, 0, false},
      // Worker 2 is seen RUNNING without passing through RUNNABLE after a
      // BLOCKED: BLOCKED -> RUNNING is not allowed (a lost observation).
      {270, kW2, WAIT, 1, BLOCKED, 0, 0, 0, 0, kServer},
      {275, kW2, WAIT, 0, RUNNING, 0, 0, 0, 0, kServer},
      // Worker 2 unregisters: RUNNING -> NONE; a failed call too.
      {280, kW2, CTL, 0, RUNNING, UNREG},
      {285, kW2, CTL, 1, NONE, UNREG},
      {290, kW1, KICK, 0, RUNNABLE, 0, 9999},
      {291, kW1, KICK, 1, RUNNABLE, 0, 9999, -3 /* ESRCH */},
      // The server unregisters: RUNNING -> NONE.
      {300, kServer, CTL, 0, RUNNING, UNREG},
      {310, kServer, CTL, 1, NONE, UNREG},
  };
}

class UmcgFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fxs-umcg-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/umcg.fxs";
    TraceHeader h;
    h.kernel_release = "umcg-test";
    auto w = TraceWriter::create(path_, h, 256);  // small chunks: several of them
    ASSERT_TRUE(w.ok()) << w.message();
    for (const Obs& o : fixture()) {
      fxs_umcg_rec r = to_rec(o);
      ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    }
    // A record of another type and a truncated UMCG record.
    fxs_stop_rec stop{};
    stop.hdr = {FXS_REC_STOP, sizeof(stop), 0};
    stop.ts_ns = 400;
    ASSERT_TRUE(w->append(&stop, sizeof(stop)).ok());
    fxs_rec_hdr shortrec = {FXS_REC_UMCG, sizeof(fxs_rec_hdr), 0};
    ASSERT_TRUE(w->append(&shortrec, sizeof(shortrec)).ok());
    ASSERT_TRUE(w->close().ok());

    auto rd = TraceReader::open(path_);
    ASSERT_TRUE(rd.ok()) << rd.message();
    uint64_t others = 0;
    ASSERT_TRUE(rd->for_each_record([&](const fxs_rec_hdr* h) {
                    model_.add(h);
                    if (!UmcgModel::kReads.has(h->type)) others++;
                  }).ok());
    EXPECT_TRUE(rd->warnings().empty());
    EXPECT_EQ(others, 1u);  // the stop record is not the model's
    report_ = model_.finish(400);
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const UmcgTask& task(uint32_t tid) const {
    for (const auto& t : report_.tasks)
      if (t.tid == tid) return t;
    ADD_FAILURE() << "no task " << tid;
    static UmcgTask none;
    return none;
  }
  uint64_t transitions(uint32_t from, uint32_t to) const {
    for (const auto& t : report_.transitions)
      if (t.from == from && t.to == to) return t.count;
    return 0;
  }

  std::string dir_, path_;
  UmcgModel model_;
  UmcgReport report_;
};

TEST_F(UmcgFixture, CountsRecordsCallsAndFailures) {
  EXPECT_EQ(report_.records, fixture().size() + 1);
  EXPECT_EQ(report_.malformed, 1u);
  EXPECT_EQ(report_.unreadable, 1u);
  // One call per enter record.
  EXPECT_EQ(report_.calls[FXS_UMCG_SC_CTL], 5u);
  EXPECT_EQ(report_.calls[FXS_UMCG_SC_WAIT], 8u);
  EXPECT_EQ(report_.calls[FXS_UMCG_SC_KICK], 2u);
  EXPECT_EQ(report_.failed_calls, 1u);
  EXPECT_EQ(task(kW1).failed_calls, 1u);
}

TEST_F(UmcgFixture, RolesAndRegistration) {
  EXPECT_EQ(task(kServer).role, UmcgRole::kServer);
  EXPECT_EQ(task(kW1).role, UmcgRole::kWorker);
  EXPECT_EQ(task(kW2).role, UmcgRole::kWorker);
  EXPECT_FALSE(task(kServer).registered);  // unregistered at the end
  EXPECT_TRUE(task(kW1).registered);
  EXPECT_FALSE(task(kW2).registered);
  EXPECT_EQ(task(kW1).server_tid, kServer);
  EXPECT_EQ(task(kW2).server_tid, kServer);
  EXPECT_EQ(task(kServer).server_tid, 0u);
}

TEST_F(UmcgFixture, EveryTransitionOfTheProtocol) {
  EXPECT_EQ(transitions(NONE, RUNNING), 1u);               // server registers
  EXPECT_EQ(transitions(NONE, RUNNABLE), 2u);              // workers register
  EXPECT_EQ(transitions(RUNNABLE, RUNNING), 3u);           // W1 twice, W2 once
  EXPECT_EQ(transitions(RUNNING, BLOCKED), 1u);            // W1 blocks
  EXPECT_EQ(transitions(BLOCKED, RUNNABLE), 1u);           // W1 woken
  EXPECT_EQ(transitions(RUNNING, RUNNING | PREEMPT), 1u);  // preemption requested
  EXPECT_EQ(transitions(RUNNING | PREEMPT, RUNNABLE), 1u); // ... and done
  EXPECT_EQ(transitions(RUNNING, RUNNING | COND_WAIT), 1u);
  EXPECT_EQ(transitions(RUNNING | COND_WAIT, RUNNABLE), 1u);
  EXPECT_EQ(transitions(RUNNABLE, BLOCKED), 1u);           // W2, not allowed
  EXPECT_EQ(transitions(BLOCKED, RUNNING), 1u);            // W2, not allowed
  EXPECT_EQ(transitions(RUNNING, NONE), 2u);               // W2 and the server unregister
  uint64_t total = 0;
  for (const auto& t : report_.transitions) {
    total += t.count;
    EXPECT_EQ(t.allowed, umcg_transition_allowed(t.from, t.to));
  }
  EXPECT_EQ(total, 16u);
  EXPECT_EQ(report_.unexpected_transitions, 2u);
  EXPECT_EQ(task(kW2).unexpected, 2u);
  EXPECT_EQ(task(kW1).unexpected, 0u);
  EXPECT_EQ(task(kW1).preempt_requests, 1u);
  EXPECT_EQ(task(kW2).cond_waits, 1u);
}

TEST_F(UmcgFixture, TimelineSegmentsAndTimeInState) {
  const UmcgTask& w1 = task(kW1);
  // NONE@120, RUNNABLE@130, RUNNING@160, BLOCKED@170, RUNNABLE@180, RUNNING@200,
  // RUNNING|PREEMPT@210, RUNNABLE@220 until the end (400).
  std::vector<std::pair<uint64_t, uint32_t>> want = {
      {120, NONE},    {130, RUNNABLE}, {160, RUNNING},           {170, BLOCKED},
      {180, RUNNABLE}, {200, RUNNING}, {210, RUNNING | PREEMPT}, {220, RUNNABLE}};
  ASSERT_EQ(w1.timeline.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(w1.timeline[i].start_ns, want[i].first) << i;
    EXPECT_EQ(w1.timeline[i].state, want[i].second) << i;
    uint64_t end = i + 1 < want.size() ? want[i + 1].first : 400;
    EXPECT_EQ(w1.timeline[i].end_ns, end) << i;
  }
  EXPECT_EQ(w1.time_in_state_ns[NONE], 10u);
  EXPECT_EQ(w1.time_in_state_ns[RUNNABLE], 30u + 20u + 180u);
  EXPECT_EQ(w1.time_in_state_ns[RUNNING], 10u + 20u);  // flags count under their base state
  EXPECT_EQ(w1.time_in_state_ns[BLOCKED], 10u);
  EXPECT_EQ(w1.transitions, 7u);
  // The server: NONE 100..110, RUNNING 110..310, NONE 310..400.
  const UmcgTask& s = task(kServer);
  ASSERT_EQ(s.timeline.size(), 3u);
  EXPECT_EQ(s.time_in_state_ns[RUNNING], 200u);
  EXPECT_EQ(s.time_in_state_ns[NONE], 10u + 90u);
}

TEST_F(UmcgFixture, ServerWorkerEdgesAndKicks) {
  ASSERT_EQ(report_.server_worker.size(), 2u);
  EXPECT_EQ(report_.server_worker[0].server_tid, kServer);
  EXPECT_EQ(report_.server_worker[0].worker_tid, kW1);
  EXPECT_EQ(report_.server_worker[0].count, 2u);
  EXPECT_EQ(report_.server_worker[1].worker_tid, kW2);
  EXPECT_EQ(report_.server_worker[1].count, 1u);
  EXPECT_EQ(task(kW1).kicks_received, 1u);
  EXPECT_EQ(task(kServer).calls[FXS_UMCG_SC_KICK], 1u);
}

TEST_F(UmcgFixture, JsonNamesStatesAndFlags) {
  nlohmann::json j = umcg_json(report_);
  EXPECT_EQ(j["calls"]["umcg_wait"], 8);
  EXPECT_EQ(j["unexpected_transitions"], 2);
  bool saw_preempt = false;
  for (const auto& t : j["transitions"])
    if (t["from"] == "RUNNING|PREEMPT" && t["to"] == "RUNNABLE") saw_preempt = true;
  EXPECT_TRUE(saw_preempt) << j["transitions"].dump();
  ASSERT_EQ(j["tasks"].size(), 3u);
  EXPECT_EQ(j["tasks"][0]["role"], "server");
  EXPECT_EQ(j["tasks"][1]["timeline"][6]["state"], "RUNNING|PREEMPT");
}

TEST(UmcgNames, StatesFlagsAndUnknownValues) {
  EXPECT_EQ(umcg_state_name(0), "NONE");
  EXPECT_EQ(umcg_state_name(FXS_UMCG_TASK_BLOCKED), "BLOCKED");
  EXPECT_EQ(umcg_state_name(FXS_UMCG_TASK_RUNNABLE | FXS_UMCG_TF_PREEMPT | FXS_UMCG_TF_COND_WAIT),
            "RUNNABLE|PREEMPT|COND_WAIT");
  EXPECT_EQ(umcg_state_name(0x7), "0x7");
  EXPECT_EQ(umcg_state_name(0x10001), "RUNNING|0x10000");
  EXPECT_STREQ(umcg_syscall_name(FXS_UMCG_SC_KICK), "umcg_kick");
  EXPECT_TRUE(umcg_transition_allowed(FXS_UMCG_TASK_RUNNING, FXS_UMCG_TASK_RUNNING | FXS_UMCG_TF_PREEMPT));
  EXPECT_FALSE(umcg_transition_allowed(FXS_UMCG_TASK_NONE, FXS_UMCG_TASK_BLOCKED));
  EXPECT_FALSE(umcg_transition_allowed(0x7, FXS_UMCG_TASK_RUNNING));
}

}  // namespace
}  // namespace fxs
