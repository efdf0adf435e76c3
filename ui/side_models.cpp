#include "ui/side_models.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace fxs::ui {

void SideModels::add_records(const uint8_t* data, size_t size) {
  uint64_t first = UINT64_MAX, last = 0;
  for (size_t off = 0; size - off >= sizeof(fxs_rec_hdr);) {
    fxs_rec_hdr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.size < sizeof h || h.size > size - off) break;  // the reader checked the framing
    const auto* rec = reinterpret_cast<const fxs_rec_hdr*>(data + off);
    off += h.size;
    switch (h.type) {
      case FXS_REC_FUTEX: {
        // Most calls carry no stack (wakes, EAGAIN, --min-wait): skip those
        // without copying the whole record.
        int32_t stack_id = -1;
        if (h.size >= sizeof(fxs_futex_rec))
          std::memcpy(&stack_id, data + off - h.size + offsetof(fxs_futex_rec, ustack_id), sizeof stack_id);
        if (stack_id >= 0) stacks_.add(rec);
        break;
      }
      case FXS_REC_STACK:
        stacks_.add(rec);
        break;
      case FXS_REC_TASK:
        rseq_model_.add(rec);  // names of threads and processes
        break;
      case FXS_REC_UMCG:
        umcg_builder_.add(rec);
        if (h.size >= sizeof(fxs_umcg_rec)) {
          uint64_t ts;
          std::memcpy(&ts, data + off - h.size + offsetof(fxs_umcg_rec, ts_ns), sizeof ts);
          first = std::min(first, ts);
          last = std::max(last, ts);
        }
        break;
      default:
        if (rseq_model_.add(rec) && rseq_times_.add(rec) && h.size >= sizeof(fxs_rseq_abort_rec)) {
          uint64_t ts;
          std::memcpy(&ts, data + off - h.size + offsetof(fxs_rseq_abort_rec, ts_ns), sizeof ts);
          first = std::min(first, ts);
          last = std::max(last, ts);
        }
        break;
    }
  }
  rseq_times_.finish_batch();
  if (first <= last) {
    if (first < first_ns_.load(std::memory_order_relaxed)) first_ns_.store(first, std::memory_order_relaxed);
    if (last > last_ns_.load(std::memory_order_relaxed)) last_ns_.store(last, std::memory_order_relaxed);
  }
}

void SideModels::publish(bool final) {
  rseq_report_ = rseq_model_.finish();
  auto now = std::chrono::steady_clock::now();
  if (umcg_builder_.records() != umcg_built_from_ && (final || now >= umcg_next_build_)) {
    umcg_ = umcg_builder_.finish();
    umcg_built_from_ = umcg_builder_.records();
    umcg_next_build_ = std::chrono::steady_clock::now() + 4 * (std::chrono::steady_clock::now() - now);
  }
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
