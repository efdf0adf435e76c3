#include "replay/report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "replay/blocked_report.h"
#include "replay/bucket_report.h"
#include "replay/contention_note.h"
#include "replay/durations.h"
#include "replay/json_writer.h"
#include "replay/numa_report.h"
#include "replay/rseq_report.h"
#include "replay/trace_models.h"
#include "replay/umcg_report.h"

namespace fxs {

using nlohmann::json;

// ---- JSON -----------------------------------------------------------------

namespace {

void write_frames(const std::vector<std::string>& frames, JsonWriter& w) {
  w.begin_array();
  for (const std::string& frame : frames) w.value(frame);
  w.end_array();
}

void write_percentiles(const Percentiles& p, JsonWriter& w) {
  w.begin_object().field("max", p.max).field("p50", p.p50).field("p99", p.p99).end_object();
}

// The op indices in the order of their names (JSON objects list keys sorted).
const std::array<unsigned, kNumOps>& ops_by_name() {
  static const std::array<unsigned, kNumOps> order = [] {
    std::array<unsigned, kNumOps> o{};
    for (unsigned i = 0; i < kNumOps; i++) o[i] = i;
    std::sort(o.begin(), o.end(), [](unsigned a, unsigned b) { return std::string_view(op_name(a)) < op_name(b); });
    return o;
  }();
  return order;
}

}  // namespace

void write_futex_json(const ReportData::Futex& f, const NumaFutex* numa, JsonWriter& w) {
  // Keys in sorted order, as nlohmann::json keeps them (docs/report-json.md).
  const FutexStats& s = f.stats;
  w.begin_object();
  if (f.bucket) write_futex_bucket_json(*f.bucket, w.key("bucket"));
  w.field("comm", f.comm);
  w.field("contended_wait_ns", f.wakes.contended_wait_ns);
  w.field("eagain", s.eagain);
  w.field("empty_wakes", f.wakes.empty_wakes);
  w.key("futile_wakeups").begin_object().field("futile", f.futile.futile).field("woken_waits", f.futile.woken_waits).end_object();
  w.key("herd_sizes").begin_object();
  {
    std::vector<std::pair<std::string, uint64_t>> herd;  // keyed by the size's digits
    for (const auto& [size, calls] : f.wakes.herd_sizes) herd.emplace_back(std::to_string(size), calls);
    std::sort(herd.begin(), herd.end());
    for (const auto& [size, calls] : herd) w.field(size, calls);
  }
  w.end_object();
  w.key("holders").begin_array();
  for (size_t i = 0; i < f.holders.size() && i < 5; i++) {
    const HolderTime& h = f.holders[i];
    w.begin_object()
        .field("blocked_ns", h.blocked_ns)
        .field("holder_tid", h.holder_tid)
        .field("on_cpu_ns", h.on_cpu_ns)
        .field("runnable_ns", h.runnable_ns)
        .field("unknown_ns", h.unknown_ns)
        .field("wait_ns", h.wait_ns)
        .field("waits", h.waits)
        .end_object();
  }
  w.end_array();
  w.field("interrupted", s.interrupted);
  w.key("kernel_stacks").begin_array();
  for (const KernelStack& k : f.split.kernel_stacks) {
    w.begin_object().key("frames");
    write_frames(k.frames, w);
    w.field("sleep_ns", k.sleep_ns).field("waits", k.waits).end_object();
  }
  w.end_array();
  w.field("kind", kind_name(s.kind));
  w.key("latency_split_ns").begin_object();
  w.field("disordered", f.split.disordered);
  write_percentiles(f.split.exit, w.key("exit"));
  w.field("incomplete", f.split.incomplete);
  w.field("multi_sleep", f.split.multi_sleep);
  w.field("no_switch_in", f.split.no_switch_in);
  write_percentiles(f.split.runqueue, w.key("runqueue"));
  w.field("samples", f.split.samples);
  write_percentiles(f.split.waiting, w.key("waiting"));
  write_percentiles(f.split.wake_to_run, w.key("wake_to_run"));
  w.end_object();
  if (f.name.empty()) w.key("name").null();
  else w.field("name", f.name);
  if (numa) write_futex_numa_json(*numa, w.key("numa"));
  w.key("ops").begin_object();
  for (unsigned i : ops_by_name())
    if (s.ops[i]) w.field(op_name(i), s.ops[i]);
  w.end_object();
  if (numa && numa->page_node != kPageNodeUnknown) w.field("page_node", numa->page_node);
  w.field("pid", s.tgid);
  w.field("released_at_exit", f.wakes.released_at_exit);
  w.field("requeued", s.requeued);
  w.key("stack_coverage")
      .begin_object()
      .field("sampled_waits", f.stack_sampled)
      .field("wait_ns", f.stacked.wait_ns)
      .field("waits", f.stacked.waits)
      .end_object();
  w.key("stacks").begin_array();
  for (const StackWait& st : f.stacks) {
    w.begin_object().key("frames");
    write_frames(st.frames, w);
    w.field("wait_ns", st.wait_ns).field("waits", st.waits).end_object();
  }
  w.end_array();
  w.field("threads", s.threads);
  w.field("timeouts", s.timeouts);
  w.field("uaddr", format_uaddr(s.uaddr));
  w.key("wait_ns")
      .begin_object()
      .field("max", s.wait_max_ns)
      .field("p50", s.wait_p50_ns)
      .field("p99", s.wait_p99_ns)
      .field("total", s.wait_total_ns)
      .end_object();
  w.field("waits", s.waits);
  w.key("wake_latency_ns")
      .begin_object()
      .field("max", f.wakes.latency_max_ns)
      .field("p50", f.wakes.latency_p50_ns)
      .field("p99", f.wakes.latency_p99_ns)
      .field("samples", f.wakes.latency_samples)
      .end_object();
  w.key("waker_stacks").begin_array();
  for (const StackWake& st : f.waker_stacks) {
    w.begin_object().field("calls", st.calls).key("frames");
    write_frames(st.frames, w);
    w.field("sampled_wakes", st.sampled_wakes).field("wakes", st.wakes).end_object();
  }
  w.end_array();
  w.key("wakers").begin_array();
  for (const WakeEdge& e : f.wakes.wakers)
    w.begin_object().field("count", e.count).field("waiter_tid", e.waiter_tid).field("waker_tid", e.waker_tid).end_object();
  w.end_array();
  w.field("woken", s.woken);
  w.key("woken_by")
      .begin_object()
      .field("futex_wake", f.wakes.by_futex_wake)
      .field("other", f.wakes.by_other)
      .field("pi_handoff", f.wakes.by_pi_handoff)
      .field("signal", f.wakes.by_signal)
      .field("thread_exit", f.wakes.by_thread_exit)
      .field("timeout", f.wakes.by_timeout)
      .end_object();
  w.end_object();
}

json futex_json(const ReportData::Futex& f, const NumaFutex* numa) {
  std::string text;
  JsonWriter w(text);
  write_futex_json(f, numa, w);
  return json::parse(text);
}

json report_json_sections(const ReportData& r, size_t top) {
  json j = {
      {"events", r.events},
      {"lost", r.lost},
      {"duration_ns", r.duration_ns},
      {"summary", r.summary},
      {"kernel", r.header.kernel_release},
      {"hostname", r.header.hostname},
      {"counters",
       {{"ringbuf_drop", r.counters[FXS_CNT_RINGBUF_DROP]},
        {"map_full", r.counters[FXS_CNT_MAP_FULL]},
        {"enter_evicted", r.counters[FXS_CNT_ENTER_EVICTED]},
        {"filtered", r.counters[FXS_CNT_FILTERED]},
        {"waitv_read", r.counters[FXS_CNT_WAITV_READ]},
        {"bucket_unknown", r.counters[FXS_CNT_BUCKET_UNKNOWN]},
        {"raw_stack_drop", r.counters[FXS_CNT_RAW_STACK_DROP]},
        {"page_node_cap_dropped", r.counters[FXS_CNT_PAGE_NODE_CAP]}}},
      {"warnings", r.warnings},
      {"sort", sort_name(r.sort)},
  };
  // Later sections ("buckets", "numa", "rseq") are added here, each built by
  // its own function from its own part of the model.
  if (r.buckets.available) {
    j["buckets"] = buckets_json(r.buckets, top);
    j["hash"] = hash_json(r.buckets);
  }
  return j;
}

void write_json_report(const ReportData& r, size_t top, const json& sections, std::ostream& out,
                       const NumaFutexLookup* numa) {
  // The futexes are written one at a time: a document of every futex built
  // in memory first took gigabytes for a trace of a few hundred thousand.
  std::string head = sections.empty() ? std::string("{") : sections.dump(2);
  if (!sections.empty()) head.resize(head.size() - 2);  // the closing "\n}"
  out << head << (sections.empty() ? "\n" : ",\n") << "  \"futexes\": [";
  size_t n = top == 0 ? r.futexes.size() : std::min(top, r.futexes.size());
  std::string text;
  for (size_t i = 0; i < n; i++) {
    // One futex a line (greppable), one write each.
    const ReportData::Futex& f = r.futexes[i];
    text = i ? ",\n    " : "\n    ";
    JsonWriter w(text);
    write_futex_json(f, numa ? numa->find(f.stats.tgid, f.stats.uaddr) : nullptr, w);
    out.write(text.data(), std::streamsize(text.size()));
  }
  out << (n ? "\n  ]\n}\n" : "]\n}\n");
}

json report_json(const ReportData& r, size_t top) {
  std::ostringstream s;
  write_json_report(r, top, report_json_sections(r, top), s);
  return json::parse(s.str());
}

// ---- text -----------------------------------------------------------------

namespace {

void write_histogram(const FutexStats& s, std::ostream& out) {
  uint64_t peak = s.hist.peak();
  if (peak == 0) return;
  constexpr uint64_t kBarWidth = 40;
  out << "    wait time histogram (log2 buckets):\n";
  for (unsigned b = 0; b < FXS_HIST_BUCKETS; b++) {
    uint64_t n = s.hist[b];
    if (n == 0) continue;
    // Bucket b holds [2^b, 2^(b+1)); bucket 0 also holds 0, the last one everything longer.
    std::string lo = format_ns(b == 0 ? 0 : uint64_t{1} << b);
    std::string range = b == FXS_HIST_BUCKETS - 1
                            ? ">= " + lo
                            : "[" + lo + ", " + format_ns(uint64_t{2} << b) + ")";
    uint64_t width = std::max<uint64_t>(1, (n * kBarWidth + peak - 1) / peak);
    char buf[64];
    std::snprintf(buf, sizeof(buf), "      %-20s %10" PRIu64 " |", range.c_str(), n);
    out << buf << std::string(width, '#') << '\n';
  }
}

// Who woke the waiters: the top edges and the waking -> return latency.
void write_wakes_text(const FutexWakes& w, std::ostream& out) {
  if (!w.herd_sizes.empty() || w.empty_wakes) {
    out << "    herd sizes (woken per wake call)";
    for (const auto& [size, calls] : w.herd_sizes) out << "  " << size << ":" << calls;
    out << "  wakes that woke nobody " << w.empty_wakes << '\n';
  }
  if (!w.by_futex_wake && !w.by_timeout && !w.by_signal && !w.by_thread_exit && !w.by_pi_handoff && !w.by_other)
    return;
  out << "    waits ended by: futex wake " << w.by_futex_wake << "  timeout " << w.by_timeout
      << "  signal " << w.by_signal << "  thread exit " << w.by_thread_exit;
  if (w.by_pi_handoff) out << "  PI handoff " << w.by_pi_handoff;
  out << "  other " << w.by_other << '\n';
  if (std::string note = contention_note(w); !note.empty()) out << "    " << note << '\n';
  if (w.latency_samples)
    out << "    woken -> returned  p50 " << format_ns(w.latency_p50_ns) << "  p99 "
        << format_ns(w.latency_p99_ns) << "  max " << format_ns(w.latency_max_ns) << '\n';
  const size_t shown = std::min<size_t>(w.wakers.size(), 5);
  for (size_t i = 0; i < shown; i++)
    out << "    waker tid " << w.wakers[i].waker_tid << " -> waiter tid " << w.wakers[i].waiter_tid
        << "  x" << w.wakers[i].count << '\n';
  if (shown < w.wakers.size()) out << "    ... " << w.wakers.size() - shown << " more waker edges\n";
}

// Where the waits that slept spent their time: one line per phase.
void write_split_text(const WaitSplit& s, std::ostream& out) {
  if (!s.samples) return;
  out << "    latency split of " << s.samples << " waits that slept";
  if (s.incomplete || s.disordered) out << " (" << s.incomplete << " incomplete, " << s.disordered << " disordered)";
  out << ":\n";
  for (const SplitPhase& ph : split_phases(s)) {
    // "waiting     (switch-out -> waking)": names padded to one column, spans to the next.
    std::string label = ph.name;
    label.resize(11, ' ');
    label += std::string(" (") + ph.span + ")";
    label.resize(34, ' ');
    out << "      " << label << "  p50 " << format_ns(ph.p->p50) << "  p99 " << format_ns(ph.p->p99) << "  max "
        << format_ns(ph.p->max) << '\n';
  }
  if (!s.kernel_stacks.empty() && !s.kernel_stacks[0].frames.empty()) {
    const KernelStack& k = s.kernel_stacks[0];
    out << "    top kernel stack (" << format_ns(k.sleep_ns) << " asleep in " << k.waits << " waits):\n";
    for (size_t i = 0; i < k.frames.size() && i < 6; i++) out << "      " << k.frames[i] << '\n';
  }
}

void write_futex_text(size_t rank, const ReportData::Futex& f, const TraceHeader& header, std::ostream& out) {
  const FutexStats& s = f.stats;
  out << '#' << rank << "  pid " << s.tgid;
  if (!f.comm.empty()) out << " (" << f.comm << ')';
  out << "  uaddr " << format_uaddr(s.uaddr);
  if (!f.name.empty()) out << " (" << f.name << ')';
  out << "  kind " << kind_name(s.kind);
  if (s.threads) out << "  threads " << s.threads;
  out << '\n';
  out << "    ops";
  for (unsigned i = 0; i < kNumOps; i++)
    if (s.ops[i]) out << "  " << op_name(i) << ' ' << s.ops[i];
  out << '\n';
  out << "    waits " << s.waits << "  eagain " << s.eagain << "  timeouts " << s.timeouts
      << "  interrupted " << s.interrupted << "  woken " << s.woken << "  requeued "
      << s.requeued << '\n';
  if (s.wait_samples) {
    out << "    wait  total " << format_ns(s.wait_total_ns) << "  max " << format_ns(s.wait_max_ns)
        << "  p50 " << format_ns(s.wait_p50_ns) << "  p99 " << format_ns(s.wait_p99_ns)
        << "  (" << s.wait_samples << " timed";
    if (s.percentiles_estimated) out << "; p50/p99 estimated from the log2 histogram";
    out << ")\n";
    write_histogram(s, out);
  }
  write_wakes_text(f.wakes, out);
  write_split_text(f.split, out);
  for (size_t i = 0; i < f.holders.size() && i < 3; i++) {
    const HolderTime& h = f.holders[i];
    out << "    holder tid " << h.holder_tid << " while " << h.waits << " waiters slept "
        << format_ns(h.wait_ns) << ": on cpu " << format_ns(h.on_cpu_ns) << "  runnable "
        << format_ns(h.runnable_ns) << "  blocked " << format_ns(h.blocked_ns);
    if (h.unknown_ns) out << "  unknown " << format_ns(h.unknown_ns);
    out << '\n';
  }
  if (f.futile.futile)
    out << "    futile wakeups " << f.futile.futile << " of " << f.futile.woken_waits
        << " woken waits (the waiter went straight back to waiting)\n";
  if (f.bucket) write_futex_bucket_text(*f.bucket, out);
  if (!f.stacks.empty()) {
    const StackWait& st = f.stacks[0];
    out << "    top stack (" << format_ns(st.wait_ns) << " in " << st.waits << " waits):\n";
    for (size_t i = 0; i < st.frames.size() && i < 8; i++) out << "      " << st.frames[i] << '\n';
  }
  if (!f.waker_stacks.empty()) {
    const StackWake& st = f.waker_stacks[0];
    out << "    top waker stack (" << st.wakes << " waiters woken by " << st.calls << " calls";
    if (st.sampled_wakes) out << "; " << st.sampled_wakes << " of those wakes through its sample of the calls";
    out << "):\n";
    for (size_t i = 0; i < st.frames.size() && i < 8; i++) out << "      " << st.frames[i] << '\n';
  }
  // What the stacks stand for, and why some waits may have none, rather than
  // let one stack pass for all.
  if (f.stats.waits && (f.stack_sampled || f.stacked.waits < f.stats.waits)) {
    out << "    stacks stand for " << f.stacked.waits << " of " << f.stats.waits << " waits ("
        << format_ns(f.stacked.wait_ns) << " of their time)";
    if (f.stack_sampled) out << ", " << f.stack_sampled << " of them through sampled stacks of the shorter waits";
    if (f.stacked.waits < f.stats.waits) out << "; " << stack_settings_text(header);
    out << '\n';
  }
}

}  // namespace

void write_text_report(const ReportData& r, size_t top, std::ostream& out) {
  const TraceHeader& h = r.header;
  out << "futexscope report\n";
  out << "  kernel " << (h.kernel_release.empty() ? "?" : h.kernel_release) << "  host "
      << (h.hostname.empty() ? "?" : h.hostname) << "  cpus " << h.cpu_count << '\n';
  if (!h.command.empty()) out << "  command " << h.command << '\n';
  if (h.target_pid >= 0) out << "  pid " << h.target_pid << '\n';
  out << "  duration " << format_ns(r.duration_ns) << "  events " << r.events
      << (r.summary ? "  (--summary: in-kernel aggregates; events = ops counted)" : "") << '\n';
  out << "  lost " << r.lost << "  (map_full " << r.counters[FXS_CNT_MAP_FULL]
      << ", enter_evicted " << r.counters[FXS_CNT_ENTER_EVICTED] << ", filtered "
      << r.counters[FXS_CNT_FILTERED] << ", waitv_read " << r.counters[FXS_CNT_WAITV_READ]
      << ", bucket_unknown " << r.counters[FXS_CNT_BUCKET_UNKNOWN]
      << ", raw_stack_drop " << r.counters[FXS_CNT_RAW_STACK_DROP] << ", page_node_cap_dropped "
      << r.counters[FXS_CNT_PAGE_NODE_CAP] << ")\n";
  if (r.lost > 0)
    out << "\n!!! " << r.lost
        << " EVENTS LOST: the ring buffer was full; the counts below are too low. "
           "Record with --summary, or trace fewer processes. !!!\n";
  if (r.counters[FXS_CNT_MAP_FULL] > 0)
    out << "\n!!! " << r.counters[FXS_CNT_MAP_FULL]
        << " calls not counted: the aggregation map was full. !!!\n";
  // The warnings themselves went to stderr (write_report); do not repeat them here.
  if (!r.warnings.empty()) out << "  warnings: " << r.warnings.size() << " (see stderr)\n";

  size_t n = top == 0 ? r.futexes.size() : std::min(top, r.futexes.size());
  out << "\nfutexes: " << r.futexes.size();
  if (n < r.futexes.size()) out << ", top " << n;
  switch (r.sort) {
    case ReportOptions::Sort::kContention:
      out << ", by contention (time blocked until another thread woke them; then by wait time)"; break;
    case ReportOptions::Sort::kWait: out << ", by total wait time"; break;
    case ReportOptions::Sort::kWaits: out << ", by waits"; break;
    case ReportOptions::Sort::kWakes: out << ", by waiters woken"; break;
    case ReportOptions::Sort::kName: out << ", by process name, pid, address"; break;
  }
  out << "  (--sort contention|wait|waits|wakes|name)\n";
  for (size_t i = 0; i < n; i++) {
    out << '\n';
    write_futex_text(i + 1, r.futexes[i], r.header, out);
  }
  write_buckets_text(r.buckets, top, out);
}

// ---- the command ------------------------------------------------------------

Status write_report(const std::string& trace_path, const ReportOptions& opts, std::ostream& out,
                    std::ostream& warnings, size_t* deadlocks) {
  Result<TraceResult> read = read_trace(trace_path, Analyses{}, opts.memory_limit, opts.sort);
  if (!read.ok()) return read.error();
  TraceResult& result = *read;
  ReportData& data = result.data;
  const BlockedReport& blocked_report = result.blocked;
  if (deadlocks) *deadlocks = blocked_report.graph.deadlocks.size();
  for (const std::string& w : data.warnings) warnings << "futexscope: warning: " << w << '\n';
  warnings.flush();
  size_t top = opts.effective_top();
  if (opts.format == ReportOptions::Format::kFolded) {
    if (data.header.summary)
      return Error{trace_path + ": a --summary trace holds no stacks; record without --summary"};
    std::unordered_map<uint32_t, std::string> names;
    for (const auto& f : data.futexes) names.emplace(f.stats.tgid, f.comm);
    // A flame graph of a few waits must not pass for one of all of them.
    // (Below 90% the warnings above already said it.)
    const StackCoverage& cover = data.stack_cover;
    const uint64_t drops = data.counters[FXS_CNT_RAW_STACK_DROP];
    if (opts.wakers)
      warnings << "futexscope: note: waker stacks are those of the calls that woke a wait of at least "
                  "--stack-min-wait (1ms by default; --stack-min-wait 0 for all), weighted by waiters woken\n";
    else if (cover.stacked_waits < cover.waits && !stack_coverage_warning(data.header, cover, drops))
      warnings << "futexscope: note: " << stack_coverage_text(data.header, cover, drops) << '\n';
    if (result.stacks.sampled())
      warnings << "futexscope: note: stacks of waits shorter than --stack-min-wait are a sample, each weighted with "
                  "the waits it stands for\n";
    result.stacks.write_folded(out, names, opts.wakers);
  } else if (opts.format == ReportOptions::Format::kJson) {
    json sections = report_json_sections(data, top);
    sections["rseq"] = rseq_json(result.rseq);
    sections["numa"] = numa_json(result.numa);
    if (result.umcg) sections["umcg"] = umcg_json(*result.umcg);
    if (blocked_report.recorded) {
      sections["blocked"] = blocked_json(blocked_report.threads);
      sections.update(wait_for_json(blocked_report.graph, blocked_report.threads));
    }
    NumaFutexLookup numa_of(result.numa);  // futexes[].page_node, .numa
    write_json_report(data, top, sections, out, &numa_of);
  } else {
    if (blocked_report.recorded) {  // what is stuck comes first
      write_wait_for_text(blocked_report.graph, blocked_report.threads, out);
      if (!blocked_report.at_end) out << "(the trace ends early: this is what was blocked when the recording began)\n";
      write_blocked_text(blocked_report.threads, blocked_report.graph, out);
      out << '\n';
    }
    write_text_report(data, top, out);
    write_numa_text(result.numa, top, out);
    write_rseq_text(result.rseq, top, out);
  }
  return {};
}

}  // namespace fxs
