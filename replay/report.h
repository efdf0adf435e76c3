// report.h: `futexscope report` - a trace file rendered as text or JSON.
// The JSON keys are a contract (DESIGN.md "JSON report", docs/report-json.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/stack_coverage_note.h"
#include "replay/bucket_model.h"
#include "replay/error.h"
#include "replay/futex_model.h"
#include "replay/futile_model.h"
#include "replay/holder_model.h"
#include "replay/split_model.h"
#include "replay/stack_model.h"
#include "replay/wake_model.h"
#include "replay/trace_format.h"

namespace fxs {

struct ReportOptions {
  enum class Format { kText, kJson, kFolded };
  Format format = Format::kText;
  // How many futexes to list, best-ranked first. Unset: 20 in text, all in
  // JSON. 0 = all.
  std::optional<size_t> top;

  // Heap the models may take (replay/memory_budget.h); 0: memory_limit_for_file()'s default.
  uint64_t memory_limit = 0;

  // The order of the futexes (and so which --top keeps). kContention: time
  // blocked until another thread's wake call (FutexWakes::contended_wait_ns),
  // so idle waits (joins, timed sleeps, a pool waiting for work that
  // comes by timeout) sink; ties, and traces without wake records, by wait.
  enum class Sort { kContention, kWait, kWaits, kWakes, kName };
  Sort sort = Sort::kContention;

  // kFolded: the stacks of the calls that woke waits, weighted by waiters
  // woken, instead of the waits' stacks weighted by wait time.
  bool wakers = false;

  static constexpr size_t kDefaultTextTop = 20;
  // The limit in effect for `format` (0 = all).
  size_t effective_top() const {
    if (top) return *top;
    return format == Format::kText ? kDefaultTextTop : 0;
  }
};

// Reads `trace_path` with TraceReader, builds the model and writes the report
// to `out`. The reader's and the model's warnings go to `warnings`, one line
// each, prefixed "futexscope: warning: " (and into the JSON "warnings" list).
// Errors (unreadable file, folded format) come back as a Status; nothing is
// written to `out` then.
Status write_report(const std::string& trace_path, const ReportOptions& opts, std::ostream& out,
                    std::ostream& warnings,
                    size_t* deadlocks = nullptr);  // set to the deadlocks found (report --fail-on-deadlock)

// ---- The pieces, for tests and other front ends ----------------------------

// Everything a report shows, computed once from the model.
struct ReportData {
  TraceHeader header;
  bool summary = false;        // header says --summary, or aggregates were found
  uint64_t events = 0;         // FutexModel::events()
  uint64_t lost = 0;           // ring buffer drops (FXS_CNT_RINGBUF_DROP)
  uint64_t duration_ns = 0;
  std::array<uint64_t, FXS_NR_COUNTERS> counters{};
  struct Futex {
    FutexStats stats;
    std::string comm;          // process name, "" if unknown
    FutexWakes wakes;          // who woke its waiters (per-event traces)
    std::vector<StackWait> stacks;  // top user stacks of its waits, by wait time
    StackWait stacked;              // how many waits (and their time) have a stack at all
    std::optional<FutexBucket> bucket;  // its kernel hash bucket (per-event traces)
    // Filled by write_report from their own models (per-event traces):
    WaitSplit split;           // where its waits that slept spent their time
    FutileWakes futile;        // woken waiters that went straight back to waiting
    std::vector<HolderTime> holders;  // mutex-like: who held it while its waiters slept
    std::string name;          // what the word is (replay/futex_names.h), "" if unnamed
    std::vector<StackWake> waker_stacks;  // top stacks of the calls that woke its waits
    uint64_t stack_sampled = 0;  // of stacked.waits, those a sampled stack stands for (no stack of their own)
  };
  std::vector<Futex> futexes;  // ranked: FutexModel::rank(), then sort_futexes() by `sort`
  ReportOptions::Sort sort = ReportOptions::Sort::kWait;
  BucketReport buckets;        // hash buckets, their contention, per-process tables
  std::vector<std::string> warnings;
  StackCoverage stack_cover;  // what the stacks of all the futexes stand for, summed
};

// "contention", "wait", "waits", "wakes", "name"; parse_sort() is its inverse.
const char* sort_name(ReportOptions::Sort s);
std::optional<ReportOptions::Sort> parse_sort(std::string_view name);
// Stable: futexes equal under `s` keep their order (the wait ranking).
void sort_futexes(std::vector<ReportData::Futex>& futexes, ReportOptions::Sort s);

// Finishes `model` (see FutexModel::finish) and gathers what the report shows.
// `warnings` are the reader's; the model's are appended.
// `wakes` (optional) adds who-woke-whom per futex; it must be finish()ed.
ReportData build_report(const TraceHeader& header, FutexModel& model,
                        std::vector<std::string> warnings, const WakeModel* wakes = nullptr,
                        const StackModel* stacks = nullptr,
                        const BucketModel* buckets = nullptr);

// The JSON document's top-level keys but "futexes" (top: how many futexes,
// buckets... to list, 0 = all); a front end adds its own sections to it.
nlohmann::json report_json_sections(const ReportData& r, size_t top);
// Writes `sections` plus the "futexes" list, one futex at a time (memory
// stays that of ReportData, however many futexes there are); `extend_futex`
// (optional) adds keys to each futex's object.
void write_json_report(const ReportData& r, size_t top, const nlohmann::json& sections, std::ostream& out,
                       const std::function<void(const ReportData::Futex&, nlohmann::json&)>& extend_futex = nullptr);
// The whole document, parsed back (for tests and small reports).
nlohmann::json report_json(const ReportData& r, size_t top);
// One futex's JSON object.
nlohmann::json futex_json(const ReportData::Futex& f);

// The human-readable report.
void write_text_report(const ReportData& r, size_t top, std::ostream& out);

// "950ns", "1.50us", "12.3ms", "2.00s": three significant digits.
std::string format_ns(uint64_t ns);
// "0x7f12a4c0" (lower-case hex).
std::string format_uaddr(uint64_t uaddr);

}  // namespace fxs
