#include "ui/side_models.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <utility>

#include "replay/trace_format.h"

namespace fxs::ui {

bool SideModels::wants(const fxs_rec_hdr& h, const uint8_t* rec) {
  if (h.type == FXS_REC_FUTEX) {
    // Most calls carry no stack (wakes, EAGAIN, --min-wait): skip those
    // without copying the whole record.
    int32_t stack_id = -1;
    if (h.size >= sizeof(fxs_futex_rec))
      std::memcpy(&stack_id, rec + offsetof(fxs_futex_rec, ustack_id), sizeof stack_id);
    return stack_id >= 0;
  }
  return kReads.has(h.type);
}

void SideModels::add(const fxs_rec_hdr& h, const uint8_t* data) {
  const auto* rec = reinterpret_cast<const fxs_rec_hdr*>(data);
  feed(details_, rec);
  feed(rseq_times_, rec);
  feed(umcg_builder_, rec);
  // Rseq aborts, UMCG calls and looks at the blocked threads are part of the trace's time.
  std::optional<uint64_t> ts;
  if (fxs_thread_state_rec r; h.type == FXS_REC_THREAD_STATE && read_record(rec, r)) ts = r.ts_ns;
  if (fxs_umcg_rec r; h.type == FXS_REC_UMCG && read_record(rec, r)) ts = r.ts_ns;
  if (fxs_rseq_abort_rec r; h.type == FXS_REC_RSEQ_ABORT && read_record(rec, r)) ts = r.ts_ns;
  if (ts) {
    batch_first_ = std::min(batch_first_, *ts);
    batch_last_ = std::max(batch_last_, *ts);
  }
}

void SideModels::end_batch() {
  rseq_times_.finish_batch();
  uint64_t first = std::exchange(batch_first_, UINT64_MAX), last = std::exchange(batch_last_, 0);
  if (first <= last) {
    if (first < first_ns_.load(std::memory_order_relaxed)) first_ns_.store(first, std::memory_order_relaxed);
    if (last > last_ns_.load(std::memory_order_relaxed)) last_ns_.store(last, std::memory_order_relaxed);
  }
}

void SideModels::add_records(const uint8_t* data, size_t size) {
  for_each_chunk_record(data, size, [&](const uint8_t* rec, const fxs_rec_hdr& h) {
    if (wants(h, rec)) add(h, rec);
  });
  end_batch();
}

void SideModels::prepare(bool final) {
  rseq_next_ = details_.rseq.finish();
  if (details_.blocked.records() != blocked_built_from_) {  // the graph and copies of every stack: only when new
    blocked_next_ = details_.blocked.finish();
    blocked_built_from_ = details_.blocked.records();
  }
  auto now = std::chrono::steady_clock::now();
  if (umcg_builder_.records() != umcg_built_from_ && (final || now >= umcg_next_build_)) {
    umcg_next_ = std::make_shared<const UmcgLaneSet>(umcg_builder_.finish());
    umcg_built_from_ = umcg_builder_.records();
    umcg_next_build_ = std::chrono::steady_clock::now() + 4 * (std::chrono::steady_clock::now() - now);
  }
}

void SideModels::publish() {
  if (rseq_next_) rseq_report_ = std::move(*rseq_next_);
  rseq_next_.reset();
  if (umcg_next_) umcg_ = std::move(umcg_next_);
  if (blocked_next_) blocked_report_ = std::move(*blocked_next_);
  blocked_next_.reset();
  generation_++;
}

TraceExtent trace_extent(const TimelineModel& tl, const SideModels& side) {
  uint64_t first = UINT64_MAX, last = 0;
  if (tl.calls()) {
    first = tl.first_ns();
    last = tl.last_ns();
  }
  uint64_t sf = side.first_ns(), sl = side.last_ns();
  if (sf <= sl) {
    first = std::min(first, sf);
    last = std::max(last, sl);
  }
  return first <= last ? TraceExtent{first, last} : TraceExtent{};
}

}  // namespace fxs::ui
