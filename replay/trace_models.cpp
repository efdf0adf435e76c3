#include "replay/trace_models.h"

#include <utility>

namespace fxs {

TraceModels::TraceModels(const TraceHeader& header) : header_(header), pairing_(header.cpu_node) {}

void TraceModels::add(const fxs_rec_hdr* h) {
  switch (h->type) {
    case FXS_REC_RSEQ_ABORT:
    case FXS_REC_RSEQ_THREAD:
    case FXS_REC_RSEQ_REG:
    case FXS_REC_RSEQ_STATS:
    case FXS_REC_RSEQ_SYM:
      rseq_.add(h);
      return;
    case FXS_REC_UMCG:
      umcg_.add(h);
      return;
    case FXS_REC_HASH:
    case FXS_REC_CONTENTION:
    case FXS_REC_HASH_GLOBAL:
      buckets_.add(h);
      return;
    case FXS_REC_THREAD_STATE:
      blocked_.add(h);
      return;
    case FXS_REC_FUTEX_NAME:
      names_.add(h);
      return;
    case FXS_REC_TASK:
      rseq_.add(h);  // thread and process names: the rseq report's, and the futex model's below
      break;
    default:
      break;
  }
  // The futex calls and everything about them, and records of unknown types
  // (the futex model counts those).
  kinds_.add(h, futexes_.add(h));
  stacks_.add(h);
  pairing_.add(h);
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
