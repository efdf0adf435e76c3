#include "replay/blocked_model.h"

#include "replay/thread_state_record.h"

namespace fxs {

void BlockedModel::add(const fxs_rec_hdr* h) {
  if (h->type != FXS_REC_THREAD_STATE) return;
  records_++;
  if (auto d = decode_thread_state(h))
    (d->when == FXS_SNAPSHOT_END ? end_ : attach_)[d->thread.tid] = std::move(d->thread);
}

BlockedReport BlockedModel::finish() const {
  BlockedReport r;
  r.at_end = !end_.empty();
  r.recorded = r.at_end || !attach_.empty();
  for (const auto& [tid, t] : r.at_end ? end_ : attach_) r.threads.push_back(t);
  r.graph = analyze_wait_for(r.threads);
  return r;
}

}  // namespace fxs
