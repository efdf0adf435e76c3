// Chrome trace-event export (replay/chrome_export.h): the JSON parses back,
// slices and names are right, and the wake -> wait arrows follow the wake
// records (replay/wake_flows.h), or the rule by time without them.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <utility>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "replay/chrome_export.h"
#include "replay/trace_writer.h"
#include "common/temp_dir.h"
#include "common/wake_record.h"

namespace fxs {
namespace {

using nlohmann::json;

constexpr uint32_t kPid = 300;
constexpr uint64_t kA = 0x1000, kB = 0x2000;

fxs_futex_rec call(uint32_t tid, uint8_t opi, uint64_t uaddr, uint64_t enter, uint64_t exit, int32_t ret) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.tgid = kPid;
  r.tid = tid;
  r.uaddr = uaddr;
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.ret = ret;
  r.opi = opi;
  return r;
}

void add(TimelineModel& m, const fxs_futex_rec& r) { m.add_records(reinterpret_cast<const uint8_t*>(&r), sizeof r); }

void name(TimelineModel& m, uint32_t tid, const char* comm) {
  fxs_task_rec t{};
  t.hdr = {FXS_REC_TASK, sizeof(t), 0};
  t.tgid = kPid;
  t.tid = tid;
  std::strncpy(t.comm, comm, sizeof t.comm - 1);
  std::strcpy(t.pcomm, "server");
  m.add_records(reinterpret_cast<const uint8_t*>(&t), sizeof t);
}

json export_json(const TimelineModel& m, ChromeExportStats* st = nullptr) {
  std::ostringstream out;
  ChromeExportStats s = write_chrome_json(m, pair_wakes(m), out);
  if (st) *st = s;
  return json::parse(out.str());  // throws (fails the test) on invalid JSON
}

// (tid of "s", tid of "f", ts of "s", ts of "f") per flow id.
struct Flow {
  uint32_t from_tid = 0, to_tid = 0;
  double from_ts = 0, to_ts = 0;
  int parts = 0;
};
std::map<uint64_t, Flow> flows_of(const json& doc) {
  std::map<uint64_t, Flow> flows;
  for (const auto& e : doc["traceEvents"]) {
    std::string ph = e["ph"];
    if (ph != "s" && ph != "f") continue;
    Flow& f = flows[e["id"].get<uint64_t>()];
    f.parts++;
    if (ph == "s") {
      f.from_tid = e["tid"];
      f.from_ts = e["ts"];
    } else {
      EXPECT_EQ(e["bp"], "e");
      f.to_tid = e["tid"];
      f.to_ts = e["ts"];
    }
  }
  return flows;
}

TEST(ChromeExport, SlicesNamesAndOneArrowFromWakeToWait) {
  TimelineModel m;
  name(m, 1, "waiter");
  name(m, 2, "waker");
  add(m, call(1, FXS_OP_FUTEX_WAIT, kA, 100000, 1000000, 0));     // woken
  add(m, call(2, FXS_OP_FUTEX_WAKE, kA, 500000, 600000, 1));      // woke it
  add(m, call(2, FXS_OP_FUTEX_WAKE, kA, 700000, 710000, 0));      // woke nobody: no arrow
  ChromeExportStats st;
  json doc = export_json(m, &st);
  EXPECT_EQ(st.calls, 3u);
  EXPECT_EQ(st.flows, 1u);

  int slices = 0;
  std::map<uint32_t, std::string> thread_names;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "X") {
      slices++;
      EXPECT_EQ(e["pid"], kPid);
      if (e["tid"] == 1) {
        EXPECT_EQ(e["name"], "FUTEX_WAIT");
        EXPECT_EQ(e["cat"], "wait");
        EXPECT_DOUBLE_EQ(e["ts"].get<double>(), 100.0);  // microseconds
        EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 900.0);
        EXPECT_EQ(e["args"]["uaddr"], "0x1000");
        EXPECT_EQ(e["args"]["ret"], 0);
      }
    } else if (e["ph"] == "M" && e["name"] == "thread_name") {
      thread_names[e["tid"]] = e["args"]["name"];
    } else if (e["ph"] == "M") {
      EXPECT_EQ(e["name"], "process_name");
      EXPECT_EQ(e["args"]["name"], "server");
    }
  }
  EXPECT_EQ(slices, 3);
  EXPECT_EQ(thread_names[1], "waiter");
  EXPECT_EQ(thread_names[2], "waker");

  auto flows = flows_of(doc);
  ASSERT_EQ(flows.size(), 1u);
  const Flow& f = flows.begin()->second;
  EXPECT_EQ(f.parts, 2);
  EXPECT_EQ(f.from_tid, 2u);
  EXPECT_EQ(f.to_tid, 1u);
  // Each end lies inside its slice, so "bp":"e" binds it there.
  EXPECT_GE(f.from_ts, 500.0);
  EXPECT_LE(f.from_ts, 600.0);
  EXPECT_GE(f.to_ts, 100.0);
  EXPECT_LT(f.to_ts, 1000.0);
}

TEST(ChromeExport, EachWaitIsClaimedOnceInOrder) {
  TimelineModel m;
  add(m, call(1, FXS_OP_FUTEX_WAIT, kA, 100, 1000, 0));
  add(m, call(3, FXS_OP_FUTEX_WAIT, kA, 150, 2000, 0));
  add(m, call(2, FXS_OP_FUTEX_WAKE, kA, 900, 950, 1));
  add(m, call(2, FXS_OP_FUTEX_WAKE, kA, 960, 990, 1));
  auto flows = pair_wakes(m);
  ASSERT_EQ(flows.size(), 2u);
  std::map<uint32_t, uint32_t> wake_enter_to_wait_tid;
  for (const auto& f : flows) {
    uint64_t enter = m.lanes()[f.wake_lane].calls[f.wake_call].enter_ns;
    wake_enter_to_wait_tid[uint32_t(enter)] = m.lanes()[f.wait_lane].tid;
  }
  EXPECT_EQ(wake_enter_to_wait_tid[900], 1u);  // the wait that exited first
  EXPECT_EQ(wake_enter_to_wait_tid[960], 3u);  // not tid 1 again
}

TEST(ChromeExport, OnlyWokenWaitsOnTheSameAddressAfterTheWakeEntered) {
  TimelineModel m;
  add(m, call(1, FXS_OP_FUTEX_WAIT, kA, 100, 400, 0));         // exited before the wake entered
  add(m, call(3, FXS_OP_FUTEX_WAIT, kA, 100, 700, -11));       // EAGAIN: never queued
  add(m, call(4, FXS_OP_FUTEX_WAIT, kA, 100, 800, -110));      // timed out
  add(m, call(5, FXS_OP_FUTEX_WAIT, kB, 100, 900, 0));         // another address
  add(m, call(2, FXS_OP_FUTEX_WAKE, kA, 500, 600, 1));
  EXPECT_TRUE(pair_wakes(m).empty());
  // A requeue op is a waker too; it finds the wait on B.
  add(m, call(2, FXS_OP_FUTEX_CMP_REQUEUE, kB, 650, 660, 1));
  auto flows = pair_wakes(m);
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_EQ(m.lanes()[flows[0].wait_lane].tid, 5u);
  // Restricted to one futex (the UI's "woken by"): B has the arrow, A none.
  uint32_t a = UINT32_MAX, b = UINT32_MAX;
  for (uint32_t i = 0; i < m.futexes().size(); i++) (m.futexes()[i].uaddr == kA ? a : b) = i;
  EXPECT_EQ(pair_wakes(m, b).size(), 1u);
  EXPECT_TRUE(pair_wakes(m, a).empty());
}

fxs_wake_rec wake(uint64_t ts, uint32_t waker, uint32_t waiter, uint64_t wait_enter) {
  return test::wake_record(
      {.tgid = kPid, .waker = waker, .wakee = waiter, .waker_uaddr = kA, .wakee_uaddr = kA, .wait_enter = wait_enter,
       .ts = ts});
}

// A herd: one FUTEX_WAKE woke three waiters (two seen by sched_waking, one
// dequeued before it slept), then a second woke the fourth. By time, the
// rule would draw two arrows, the first to the waiter that returned first
// (tid 4, which the second call woke). From the wake records: four arrows,
// each from the call that woke that waiter.
TEST(ChromeExport, AHerdHasAnArrowPerWaiterFromTheCallThatWokeIt) {
  test::TempDir dir;
  const std::string path = dir.path("herd.fxs");
  {
    auto w = TraceWriter::create(path, TraceHeader{});
    ASSERT_TRUE(w.ok()) << w.message();
    auto put = [&](const auto& r) { ASSERT_TRUE(w->append(&r, sizeof r).ok()); };
    put(call(4, FXS_OP_FUTEX_WAIT, kA, 100, 2100, 0));   // woken by the second call, returns first
    put(call(1, FXS_OP_FUTEX_WAIT, kA, 110, 3000, 0));
    put(call(3, FXS_OP_FUTEX_WAIT, kA, 120, 3100, 0));
    put(call(5, FXS_OP_FUTEX_WAIT, kA, 1990, 3200, 0));  // dequeued before it slept: no wake record
    put(call(2, FXS_OP_FUTEX_WAKE, kA, 2000, 2500, 3));
    put(wake(2010, 2, 1, 110));
    put(wake(2020, 2, 3, 120));
    put(call(6, FXS_OP_FUTEX_WAKE, kA, 2030, 2060, 1));
    put(wake(2040, 6, 4, 100));
    ASSERT_TRUE(w->append_stop(4000).ok());
    ASSERT_TRUE(w->close().ok());
  }
  std::ostringstream out;
  std::vector<std::string> warnings;
  auto st = export_chrome(path, out, warnings);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  EXPECT_TRUE(st->exact_flows);
  EXPECT_EQ(st->unplaced_flows, 0u);
  std::multiset<std::pair<uint32_t, uint32_t>> edges;
  for (const auto& [id, f] : flows_of(json::parse(out.str()))) {
    EXPECT_EQ(f.parts, 2);
    edges.insert({f.from_tid, f.to_tid});
    // The arrow starts inside its waker's call.
    EXPECT_GE(f.from_ts, f.from_tid == 2 ? 2.0 : 2.03);
    EXPECT_LE(f.from_ts, f.from_tid == 2 ? 2.5 : 2.06);
  }
  const std::multiset<std::pair<uint32_t, uint32_t>> want = {{2, 1}, {2, 3}, {2, 5}, {6, 4}};
  EXPECT_EQ(edges, want);

  // Without the wake records the same calls get the rule by time, and a warning.
  const std::string bare = dir.path("bare.fxs");
  {
    auto w = TraceWriter::create(bare, TraceHeader{});
    ASSERT_TRUE(w.ok()) << w.message();
    for (const fxs_futex_rec& r : {call(4, FXS_OP_FUTEX_WAIT, kA, 100, 2100, 0), call(1, FXS_OP_FUTEX_WAIT, kA, 110, 3000, 0),
                                   call(2, FXS_OP_FUTEX_WAKE, kA, 2000, 2500, 2)})
      ASSERT_TRUE(w->append(&r, sizeof r).ok());
    ASSERT_TRUE(w->append_stop(4000).ok());
    ASSERT_TRUE(w->close().ok());
  }
  std::ostringstream out2;
  warnings.clear();
  st = export_chrome(bare, out2, warnings);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_FALSE(st->exact_flows);
  EXPECT_EQ(st->flows, 1u) << "one arrow per wake call";
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("paired by time"), std::string::npos) << warnings[0];
}

TEST(ChromeExport, EmptyModelIsValidJson) {
  TimelineModel m;
  json doc = export_json(m);
  EXPECT_TRUE(doc["traceEvents"].is_array());
  EXPECT_TRUE(doc["traceEvents"].empty());
}

// A trace cut short between chunks exports what it holds, with the same
// warning as `report`; a recording that ended cleanly exports without one.
TEST(ChromeExport, WarnsWhenTheTraceHasNoStopRecord) {
  test::TempDir dir;
  for (bool stopped : {false, true}) {
    const std::string path = dir.path(stopped ? "clean.fxs" : "cut.fxs");
    {
      auto w = TraceWriter::create(path, TraceHeader{});
      ASSERT_TRUE(w.ok()) << w.message();
      fxs_futex_rec r = call(301, FXS_OP_FUTEX_WAIT, kA, 1000, 2000, 0);
      ASSERT_TRUE(w->append(&r, sizeof r).ok());
      if (stopped) {
        ASSERT_TRUE(w->append_stop(3000).ok());
      }
      ASSERT_TRUE(w->close().ok());
    }
    std::ostringstream out;
    std::vector<std::string> warnings;
    auto st = export_chrome(path, out, warnings);
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_TRUE(json::accept(out.str())) << "not valid JSON";
    if (stopped) {
      EXPECT_TRUE(warnings.empty()) << warnings[0];
    } else {
      ASSERT_EQ(warnings.size(), 1u);
      EXPECT_EQ(warnings[0], kNoStopRecordWarning);
    }
  }
}

}  // namespace
}  // namespace fxs
