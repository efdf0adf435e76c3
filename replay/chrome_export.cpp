#include "replay/chrome_export.h"

#include "replay/memory_budget.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "replay/futex_ops.h"
#include "replay/trace_reader.h"

namespace fxs {

namespace {

struct Ref {
  uint64_t t;  // wake: enter time; wait: exit time
  uint32_t lane, call;
};

bool is_waker(uint8_t opi) { return is_wake_op(opi) || is_requeue_op(opi); }

bool is_woken_wait(const TimelineCall& c) {
  if (!is_wait_op(c.opi) || (c.flags & kCallEnterLost)) return false;
  return c.opi == FXS_OP_FUTEX2_WAITV ? c.ret >= 0 : c.ret == 0;
}

// Microseconds with nanosecond precision, as trace-event JSON expects.
void put_us(std::string& s, uint64_t ns) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%" PRIu64 ".%03u", ns / 1000, unsigned(ns % 1000));
  s.append(buf, size_t(n));
}

std::string json_string(std::string_view v) {
  // Names are kernel comms: arbitrary bytes, so replace rather than throw on bad UTF-8.
  return nlohmann::json(std::string(v)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

namespace {

// The rule applied to one futex's wakes and woken waits (in any order).
void pair_futex(std::vector<Ref>& wk, std::vector<Ref>& wt, std::vector<WakeFlow>& flows) {
  if (wk.empty() || wt.empty()) return;
  auto by_t = [](const Ref& a, const Ref& b) { return a.t < b.t || (a.t == b.t && a.lane < b.lane); };
  std::sort(wk.begin(), wk.end(), by_t);
  std::sort(wt.begin(), wt.end(), by_t);
  // Wakes ascend in enter time, so the earliest unclaimed wait exiting at
  // or after it only moves forward: one pass, and no wait is claimed twice.
  size_t p = 0;
  for (const Ref& w : wk) {
    while (p < wt.size() && wt[p].t < w.t) p++;
    if (p == wt.size()) break;
    flows.push_back({w.lane, w.call, wt[p].lane, wt[p].call});
    p++;
  }
}

}  // namespace

std::vector<WakeFlow> pair_wakes(const TimelineModel& tl, uint32_t only_futex) {
  // Per futex: its wakes by enter time and its woken waits by exit time.
  std::vector<std::vector<Ref>> wakes(tl.futexes().size()), waits(tl.futexes().size());
  const auto& lanes = tl.lanes();
  for (uint32_t li = 0; li < lanes.size(); li++) {
    const auto& calls = lanes[li].calls;
    for (uint32_t i = 0; i < calls.size(); i++) {
      const TimelineCall& c = calls[i];
      if (only_futex != UINT32_MAX && c.futex != only_futex) continue;
      if (is_waker(c.opi) && c.ret > 0) wakes[c.futex].push_back({c.enter_ns, li, i});
      else if (is_woken_wait(c)) waits[c.futex].push_back({c.exit_ns(), li, i});
    }
  }
  std::vector<WakeFlow> flows;
  for (size_t fx = 0; fx < wakes.size(); fx++) pair_futex(wakes[fx], waits[fx], flows);
  return flows;
}

bool pair_wakes_between(const TimelineModel& tl, uint64_t from, uint64_t to, size_t max_calls,
                        std::vector<WakeFlow>& flows) {
  flows.clear();
  const auto& lanes = tl.lanes();
  // Per lane, the calls that end at or after `from` and enter before `to`.
  std::vector<std::pair<size_t, size_t>> ranges(lanes.size());
  size_t total = 0;
  for (size_t li = 0; li < lanes.size(); li++) {
    ranges[li] = {TimelineModel::first_ending_at_or_after(lanes[li], from),
                  TimelineModel::first_entering_at_or_after(lanes[li], to)};
    total += ranges[li].second - std::min(ranges[li].first, ranges[li].second);
    if (total > max_calls) return false;
  }
  // Only the futexes the range touches, each with its wakes and woken waits.
  std::unordered_map<uint32_t, std::pair<std::vector<Ref>, std::vector<Ref>>> by_futex;
  for (uint32_t li = 0; li < lanes.size(); li++) {
    const auto& calls = lanes[li].calls;
    for (size_t i = ranges[li].first; i < ranges[li].second; i++) {
      const TimelineCall& c = calls[i];
      if (is_waker(c.opi) && c.ret > 0) {
        if (c.enter_ns >= from) by_futex[c.futex].first.push_back({c.enter_ns, li, uint32_t(i)});
      } else if (is_woken_wait(c) && c.exit_ns() < to) {
        by_futex[c.futex].second.push_back({c.exit_ns(), li, uint32_t(i)});
      }
    }
  }
  for (auto& [fx, v] : by_futex) pair_futex(v.first, v.second, flows);
  return true;
}

ChromeExportStats write_chrome_json(const TimelineModel& tl, std::ostream& out) {
  ChromeExportStats st;
  std::string s;
  s.reserve(1 << 20);
  auto flush = [&](bool force) {
    if (force || s.size() >= (1 << 20)) {
      out.write(s.data(), static_cast<std::streamsize>(s.size()));
      s.clear();
    }
  };
  bool first = true;
  auto begin_event = [&] {
    s += first ? "\n" : ",\n";
    first = false;
  };
  s += "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"futexscope\",\"lost_events\":";
  s += std::to_string(tl.lost());
  s += "},\"traceEvents\":[";

  // Metadata: names of processes and threads.
  std::set<uint32_t> pids;
  for (const auto& lane : tl.lanes()) pids.insert(lane.tgid);
  for (uint32_t pid : pids) {
    std::string_view name = tl.process_name(pid);
    if (name.empty()) continue;
    begin_event();
    s += "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + std::to_string(pid) + ",\"tid\":" +
         std::to_string(pid) + ",\"args\":{\"name\":" + json_string(name) + "}}";
  }
  for (const auto& lane : tl.lanes()) {
    std::string_view name = tl.thread_name(lane.tid);
    begin_event();
    s += "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + std::to_string(lane.tgid) + ",\"tid\":" +
         std::to_string(lane.tid) + ",\"args\":{\"name\":" +
         json_string(name.empty() ? "tid " + std::to_string(lane.tid) : std::string(name)) + "}}";
    st.threads++;
  }

  // Every call.
  char buf[64];
  for (const auto& lane : tl.lanes()) {
    std::string ids = ",\"pid\":" + std::to_string(lane.tgid) + ",\"tid\":" + std::to_string(lane.tid);
    for (const TimelineCall& c : lane.calls) {
      begin_event();
      s += "{\"ph\":\"X\",\"name\":\"";
      s += op_name(c.opi);
      s += "\",\"cat\":\"";
      s += is_wait_op(c.opi) ? "wait" : is_waker(c.opi) ? "wake" : "other";
      s += '"';
      s += ids;
      s += ",\"ts\":";
      put_us(s, c.enter_ns);
      s += ",\"dur\":";
      put_us(s, c.dur_ns());
      std::snprintf(buf, sizeof buf, ",\"args\":{\"uaddr\":\"0x%" PRIx64 "\",\"ret\":%d}}",
                    tl.futexes()[c.futex].uaddr, c.ret);
      s += buf;
      st.calls++;
      flush(false);
    }
  }

  // Flow arrows: start inside the waking call, finish inside the woken wait
  // just before it returned ("bp":"e" binds to the enclosing slice).
  uint64_t id = 0;
  for (const WakeFlow& f : pair_wakes(tl)) {
    const TimelineLane& wl = tl.lanes()[f.wake_lane];
    const TimelineLane& tl_wait = tl.lanes()[f.wait_lane];
    const TimelineCall& wake = wl.calls[f.wake_call];
    const TimelineCall& wait = tl_wait.calls[f.wait_call];
    id++;
    begin_event();
    s += "{\"ph\":\"s\",\"name\":\"wake\",\"cat\":\"futex\",\"id\":" + std::to_string(id) +
         ",\"pid\":" + std::to_string(wl.tgid) + ",\"tid\":" + std::to_string(wl.tid) + ",\"ts\":";
    put_us(s, wake.enter_ns + std::min<uint64_t>(1, wake.dur_ns()));
    s += "}";
    begin_event();
    s += "{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"wake\",\"cat\":\"futex\",\"id\":" + std::to_string(id) +
         ",\"pid\":" + std::to_string(tl_wait.tgid) + ",\"tid\":" + std::to_string(tl_wait.tid) + ",\"ts\":";
    put_us(s, wait.exit_ns() - std::min<uint64_t>(1, wait.dur_ns()));
    s += "}";
    st.flows++;
    flush(false);
  }
  s += "\n]}\n";
  flush(true);
  return st;
}

Result<ChromeExportStats> export_chrome(const std::string& trace_path, std::ostream& out,
                                        std::vector<std::string>& warnings, uint64_t memory_limit) {
  auto reader = TraceReader::open(trace_path);
  if (!reader) return reader.error();
  TimelineModel tl;
  std::vector<uint8_t> chunk;
  MemoryBudget budget(memory_limit_for_file(trace_path, memory_limit));
  bool over_budget = false;
  while (reader->next_chunk(chunk) == TraceReader::Next::kChunk) {
    if ((over_budget = budget.exceeded_now())) break;
    tl.add_records(chunk.data(), chunk.size());
  }
  warnings.insert(warnings.end(), reader->warnings().begin(), reader->warnings().end());
  if (over_budget) warnings.push_back(budget.warning(tl.calls(), "the export"));
  else if (!tl.has_stop_record()) warnings.push_back(kNoStopRecordWarning);
  if (reader->header().summary && tl.calls() == 0)
    return Error{trace_path + ": recorded with --summary (aggregates only): there are no calls to export; "
                 "record without --summary"};
  ChromeExportStats st = write_chrome_json(tl, out);
  out.flush();
  if (!out) return Error{"writing the JSON failed"};  // the caller knows the file and why
  return st;
}

}  // namespace fxs
