#include "replay/chrome_export.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "replay/futex_ops.h"
#include "replay/trace_format.h"
#include "replay/trace_models.h"

namespace fxs {

namespace {

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

ChromeExportStats write_chrome_json(const TimelineModel& tl, const std::vector<WakeFlow>& flows, std::ostream& out) {
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
      s += is_wait_op(c.opi) ? "wait" : is_wake_or_requeue_op(c.opi) ? "wake" : "other";
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
  for (const WakeFlow& f : flows) {
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
  // Every call, and which wake call ended each wait: the flows are the
  // report's waker edges (the same pairing, replay/pairing_models.h).
  Result<TraceResult> read =
      read_trace(trace_path, {.report = false, .attributions = true, .timeline = true}, memory_limit);
  if (!read.ok()) return read.error();
  TraceResult& r = *read;
  warnings.insert(warnings.end(), r.data.warnings.begin(), r.data.warnings.end());
  const TimelineModel& tl = r.timeline;
  if (r.data.header.summary && tl.calls() == 0)
    return Error{trace_path + ": recorded with --summary (aggregates only): there are no calls to export; "
                 "record without --summary"};
  uint64_t unplaced = 0;
  std::vector<WakeFlow> flows = r.wake_records ? exact_wake_flows(tl, r.attributed, &unplaced) : pair_wakes(tl);
  if (!r.wake_records && !flows.empty())
    warnings.push_back("the trace has no wake records (recorded by an older futexscope): flows are paired by time, "
                       "one per wake call, and may point at the wrong waiter");
  ChromeExportStats st = write_chrome_json(tl, flows, out);
  st.exact_flows = r.wake_records;
  st.unplaced_flows = unplaced;
  out.flush();
  if (!out) return Error{"writing the JSON failed"};  // the caller knows the file and why
  return st;
}

}  // namespace fxs
