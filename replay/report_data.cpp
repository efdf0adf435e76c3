#include "replay/report_data.h"

#include <algorithm>
#include <tuple>

#include "replay/durations.h"
#include "replay/huge_pages.h"
#include "replay/min_wait_warning.h"
#include "replay/permute.h"

namespace fxs {

namespace {

// What the stacks of all the futexes stand for, summed.
StackCoverage stack_coverage(const std::vector<ReportData::Futex>& futexes) {
  StackCoverage c;
  for (const ReportData::Futex& f : futexes) {
    (void)add_saturating(c.waits, f.stats.waits);
    (void)add_saturating(c.stacked_waits, f.stacked.waits);
    (void)add_saturating(c.wait_ns, f.stats.wait_total_ns);
    (void)add_saturating(c.stacked_wait_ns, f.stacked.wait_ns);
  }
  return c;
}

}  // namespace

ReportData build_report(const TraceHeader& header, FutexModel& model,
                        std::vector<std::string> warnings, const WakeModel* wakes,
                        const StackModel* stacks, const BucketModel* buckets) {
  ReportData r;
  r.header = header;
  r.summary = header.summary || model.summary();
  r.events = model.events();
  r.lost = model.lost();
  r.counters = model.counters();
  r.duration_ns = model.duration_ns();
  // A --summary trace holds only periodic snapshots, so its records span less
  // than the recording did: measure from the recorder's start clock instead.
  if (r.summary && header.clock_mono_ns != 0 && model.last_ts_ns() > header.clock_mono_ns &&
      model.first_ts_ns() >= header.clock_mono_ns)
    r.duration_ns = model.last_ts_ns() - header.clock_mono_ns;

  // Each futex's stats go straight into its Futex (no vector of stats
  // beside the futexes: 120 MB for 200,000 of them).
  r.futexes.reserve(model.futex_count());
  prefault(r.futexes.data(), 0, model.futex_count() * sizeof(ReportData::Futex));  // 1.2 KB each
  model.finish_each([&](FutexStats&& s) { r.futexes.emplace_back().stats = std::move(s); });
  auto stats_of = [&](size_t i) -> const FutexStats& { return r.futexes[i].stats; };
  if (buckets) r.buckets = buckets->finish(r.futexes.size(), stats_of);
  std::vector<uint32_t> order = FutexModel::rank_order(r.futexes.size(), stats_of);
  permute_in_place(r.futexes, order);
  for (ReportData::Futex& f : r.futexes) {
    const FutexStats& s = f.stats;
    f.comm = model.process_name(s.tgid);
    if (const FutexWakes* w = wakes ? wakes->find(s.tgid, s.uaddr) : nullptr) f.wakes = *w;
    if (stacks) {
      f.stacks = stacks->top_stacks(s.tgid, s.uaddr, 3);
      f.stacked = stacks->coverage(s.tgid, s.uaddr);
      f.waker_stacks = stacks->top_waker_stacks(s.tgid, s.uaddr, 3);
      f.stack_sampled = stacks->sampled_waits(s.tgid, s.uaddr);
    }
    if (const FutexBucket* b = r.buckets.find(s.tgid, s.uaddr)) f.bucket = *b;
  }
  r.warnings = std::move(warnings);
  for (std::string& w : model.warnings()) r.warnings.push_back(std::move(w));
  uint64_t recorded_waits = 0;
  for (const ReportData::Futex& f : r.futexes) recorded_waits += f.stats.waits;
  if (auto w = min_wait_warning(header.min_wait_ns, r.counters[FXS_CNT_FILTERED], recorded_waits))
    r.warnings.push_back(std::move(*w));
  r.stack_cover = stack_coverage(r.futexes);
  if (stacks && !r.summary)
    if (auto w = stack_coverage_warning(header, r.stack_cover, r.counters[FXS_CNT_RAW_STACK_DROP]))
      r.warnings.push_back(std::move(*w));
  return r;
}

const char* sort_name(FutexSort s) {
  switch (s) {
    case FutexSort::kContention: return "contention";
    case FutexSort::kWait: return "wait";
    case FutexSort::kWaits: return "waits";
    case FutexSort::kWakes: return "wakes";
    case FutexSort::kName: return "name";
  }
  return "wait";
}

std::optional<FutexSort> parse_sort(std::string_view name) {
  for (auto s : {FutexSort::kContention, FutexSort::kWait, FutexSort::kWaits,
                 FutexSort::kWakes, FutexSort::kName})
    if (name == sort_name(s)) return s;
  return std::nullopt;
}

void sort_futexes(std::vector<ReportData::Futex>& futexes, FutexSort s) {
  // An order of indices is sorted and each Futex (1.2 KB) moved once: a
  // stable_sort of the futexes themselves took a buffer as big as them.
  using F = ReportData::Futex;
  std::vector<uint32_t> order(futexes.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = static_cast<uint32_t>(i);
  auto by = [&](auto less) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return less(futexes[a], futexes[b]); });
    permute_in_place(futexes, order);
  };
  auto more = [&](auto key) { by([&](const F& a, const F& b) { return key(a) > key(b); }); };
  switch (s) {
    case FutexSort::kContention: more([](const F& f) { return f.wakes.contended_wait_ns; }); break;
    case FutexSort::kWait: break;  // FutexModel::rank()'s order
    case FutexSort::kWaits: more([](const F& f) { return f.stats.waits; }); break;
    case FutexSort::kWakes: more([](const F& f) { return f.stats.woken; }); break;
    case FutexSort::kName:
      by([](const F& a, const F& b) {
        return std::tie(a.comm, a.stats.tgid, a.stats.uaddr) < std::tie(b.comm, b.stats.tgid, b.stats.uaddr);
      });
      break;
  }
}

}  // namespace fxs
