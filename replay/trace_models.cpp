#include "replay/trace_models.h"

#include <utility>

namespace fxs {

TraceModels::TraceModels(const TraceHeader& header, Analyses analyses)
    : header_(header),
      analyses_(analyses),
      pairing_(header.cpu_node, analyses.report ? PairingScope::kEverything : PairingScope::kWakesOnly) {}

void TraceModels::add(const fxs_rec_hdr* h) {
  if (analyses_.timeline) feed(timeline_, h);
  if (!analyses_.report) {
    if (analyses_.attributions) feed(pairing_, h);
    if (kEndRecords.has(h->type)) table_.futexes.add(h);  // the loss counters and the stop record
    return;
  }
  // Each model reads the types it declares (kReads).
  feed(table_, h);
  feed(details_, h);
  feed(pairing_, h);
  feed(umcg_, h);
}

void TraceModels::read(TraceReader& reader, MemoryBudget& budget, const std::string& what,
                       std::vector<std::string>& warnings) {
  uint64_t records = 0;
  bool over_budget = false;
  Status st = reader.for_each_record_while([&](const fxs_rec_hdr* h) {
    if (!over_budget && budget.exceeded()) over_budget = true;
    if (over_budget) {
      add_end_only(h);
    } else {
      records++;
      add(h);
    }
    return true;
  });
  warnings.insert(warnings.end(), reader.warnings().begin(), reader.warnings().end());
  // A read error ends the stream; the result covers what was read before it.
  if (!st.ok()) warnings.push_back(st.message() + "; " + what + " covers the records read before it");
  if (over_budget) warnings.push_back(budget.warning(records, what));
  if (!has_stop_record()) warnings.push_back(kNoStopRecordWarning);
}

TraceResult TraceModels::finish(std::vector<std::string> warnings, FutexSort sort) {
  TraceResult r;
  r.wake_records = pairing_.has_wake_records();
  timeline_.finish_batch();  // its calls in time order (records of a thread come from several CPUs' rings)
  r.timeline = std::move(timeline_);
  if (!analyses_.report) {
    if (analyses_.attributions) pairing_.finish({.attributed = &r.attributed});
    r.data.header = header_;
    r.data.warnings = std::move(warnings);
    return r;
  }
  // Wakes first: the NUMA matrix counts the wakes they attribute, and the
  // report's ranking by contention needs them.
  r.numa = pairing_.finish({.attributed = analyses_.attributions ? &r.attributed : nullptr});
  FutexModel& futexes = table_.futexes;
  const StackModel& stacks = details_.stacks;
  r.data = build_report(header_, futexes, std::move(warnings), &pairing_.wake_model(), &stacks, &table_.buckets);
  for (ReportData::Futex& f : r.data.futexes) {
    const uint32_t tgid = f.stats.tgid;
    const uint64_t uaddr = f.stats.uaddr;
    if (const WaitSplit* s = pairing_.split(tgid, uaddr)) f.split = *s;
    if (const FutileWakes* w = pairing_.futile(tgid, uaddr)) f.futile = *w;
    f.name = details_.names.find(tgid, uaddr);
    // Values, bitsets, wake counts, stacks.
    f.stats.kind = table_.kinds.kind(f.stats, futexes.index_of(tgid, uaddr), &stacks);
    // The lock-holder view is for lock words only.
    if (f.stats.kind == FutexKind::kMutex || f.stats.kind == FutexKind::kPiMutex)
      if (const std::vector<HolderTime>* v = pairing_.holders(tgid, uaddr)) f.holders = *v;
  }
  sort_futexes(r.data.futexes, sort);
  r.data.sort = sort;
  r.rseq = details_.rseq.finish();
  r.data.warnings.insert(r.data.warnings.end(), r.rseq.warnings.begin(), r.rseq.warnings.end());
  if (umcg_.records()) {
    r.umcg = umcg_.finish(futexes.last_ts_ns());
    if (std::string w = umcg_warning(*r.umcg); !w.empty()) r.data.warnings.push_back(std::move(w));
  }
  r.blocked = details_.blocked.finish();
  r.stacks = std::move(details_.stacks);  // build_report and the kinds took what they needed from it
  return r;
}

Result<TraceResult> read_trace(const std::string& path, Analyses analyses, uint64_t memory_limit, FutexSort sort) {
  Result<TraceReader> reader = TraceReader::open(path);
  if (!reader.ok()) return reader.error();
  TraceModels models(reader->header(), analyses);
  MemoryBudget budget(memory_limit_for_file(path, memory_limit));
  std::vector<std::string> warnings;
  models.read(*reader, budget, analyses.report ? "the report" : "the export", warnings);
  return models.finish(std::move(warnings), sort);
}

}  // namespace fxs
