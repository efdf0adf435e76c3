// report_data.h: what a report shows, computed once from the finished
// models (replay/trace_models.h): the text and JSON reports, the folded
// output and the window read it. No JSON here: replay/report.h writes it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replay/bucket_model.h"
#include "replay/futex_model.h"
#include "replay/futile_model.h"
#include "replay/holder_model.h"
#include "replay/split_model.h"
#include "replay/stack_coverage_note.h"
#include "replay/stack_model.h"
#include "replay/trace_format.h"
#include "replay/wake_model.h"

namespace fxs {

// The order of the futexes (and so which --top keeps). kContention: time
// blocked until another thread's wake call (FutexWakes::contended_wait_ns),
// so idle waits (joins, timed sleeps, a pool waiting for work that
// comes by timeout) sink; ties, and traces without wake records, by wait.
enum class FutexSort { kContention, kWait, kWaits, kWakes, kName };

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
    // From the pairing models (replay/pairing_models.h; per-event traces):
    WaitSplit split;           // where its waits that slept spent their time
    FutileWakes futile;        // woken waiters that went straight back to waiting
    std::vector<HolderTime> holders;  // mutex-like: who held it while its waiters slept
    std::string name;          // what the word is (replay/futex_names.h), "" if unnamed
    std::vector<StackWake> waker_stacks;  // top stacks of the calls that woke its waits
    uint64_t stack_sampled = 0;  // of stacked.waits, those a sampled stack stands for (no stack of their own)
  };
  std::vector<Futex> futexes;  // ranked: FutexModel::rank(), then sort_futexes() by `sort`
  FutexSort sort = FutexSort::kWait;
  BucketReport buckets;        // hash buckets, their contention, per-process tables
  std::vector<std::string> warnings;
  StackCoverage stack_cover;  // what the stacks of all the futexes stand for, summed
};

// "contention", "wait", "waits", "wakes", "name"; parse_sort() is its inverse.
const char* sort_name(FutexSort s);
std::optional<FutexSort> parse_sort(std::string_view name);
// Stable: futexes equal under `s` keep their order (the wait ranking).
void sort_futexes(std::vector<ReportData::Futex>& futexes, FutexSort s);

// Finishes `model` (see FutexModel::finish) and gathers what the report shows.
// `warnings` are the reader's; the model's are appended.
// `wakes` (optional) adds who-woke-whom per futex; it must be finish()ed.
ReportData build_report(const TraceHeader& header, FutexModel& model,
                        std::vector<std::string> warnings, const WakeModel* wakes = nullptr,
                        const StackModel* stacks = nullptr,
                        const BucketModel* buckets = nullptr);

}  // namespace fxs
