// Chrome trace-event export (replay/chrome_export.h): the JSON parses back,
// slices and names are right, and the wake -> wait arrows follow the rule.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "replay/chrome_export.h"
#include "replay/trace_writer.h"
#include "common/temp_dir.h"

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
  ChromeExportStats s = write_chrome_json(m, out);
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
