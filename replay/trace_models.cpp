#include "replay/trace_models.h"

#include <utility>

namespace fxs {

TraceModels::TraceModels(const TraceHeader& header) : header_(header), pairing_(header.cpu_node) {}

void TraceModels::add(const fxs_rec_hdr* h) {
  // Each model reads the types it declares (kReads). The kind model keeps
  // its state by the futex model's index of the call's futex.
  const uint32_t futex = FutexModel::kReads.has(h->type) ? futexes_.add(h) : FutexIndex::kNone;
  if (KindModel::kReads.has(h->type)) kinds_.add(h, futex);
  feed(stacks_, h);
  feed(pairing_, h);
  feed(buckets_, h);
  feed(names_, h);
  feed(rseq_, h);
  feed(umcg_, h);
  feed(blocked_, h);
}

TraceResult TraceModels::finish(std::vector<std::string> warnings, FutexSort sort, const PairingOutputs& out) {
  TraceResult r;
  // Wakes first: the NUMA matrix counts the wakes they attribute, and the
  // report's ranking by contention needs them.
  r.numa = pairing_.finish(out);
  r.data = build_report(header_, futexes_, std::move(warnings), &pairing_.wake_model(), &stacks_, &buckets_);
  for (ReportData::Futex& f : r.data.futexes) {
    const uint32_t tgid = f.stats.tgid;
    const uint64_t uaddr = f.stats.uaddr;
    if (const WaitSplit* s = pairing_.split(tgid, uaddr)) f.split = *s;
    if (const FutileWakes* w = pairing_.futile(tgid, uaddr)) f.futile = *w;
    f.name = names_.find(tgid, uaddr);
    // Values, bitsets, wake counts, stacks.
    f.stats.kind = kinds_.kind(f.stats, futexes_.index_of(tgid, uaddr), &stacks_);
    // The lock-holder view is for lock words only.
    if (f.stats.kind == FutexKind::kMutex || f.stats.kind == FutexKind::kPiMutex)
      if (const std::vector<HolderTime>* v = pairing_.holders(tgid, uaddr)) f.holders = *v;
  }
  sort_futexes(r.data.futexes, sort);
  r.data.sort = sort;
  r.rseq = rseq_.finish();
  r.data.warnings.insert(r.data.warnings.end(), r.rseq.warnings.begin(), r.rseq.warnings.end());
  if (umcg_.records()) {
    r.umcg = umcg_.finish(futexes_.last_ts_ns());
    if (std::string w = umcg_warning(*r.umcg); !w.empty()) r.data.warnings.push_back(std::move(w));
  }
  r.blocked = blocked_.finish();
  return r;
}

}  // namespace fxs
