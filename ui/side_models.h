// side_models.h: the models the window keeps beside the timeline and the
// per-futex statistics: those the report reads too (replay/detail_models.h:
// stacks, the futexes' names, rseq, the threads blocked when the recording
// ended), and the window's own: rseq abort times and UMCG lanes.
//
// The loader's futexes stage (ui/ingest_worker.h) feeds them chunk by chunk under the worker's
// side_mutex(), and a few times a second builds new reports WITHOUT the
// mutex (prepare(): the UMCG lanes cost O(all spans)) and then swaps them in
// under it (publish(): moves and a pointer swap), so a view never waits on
// the mutex while a report is rebuilt. The views read under the same mutex;
// the UMCG lanes are an immutable shared object a view takes (umcg()) and
// then draws with the mutex released. Lock order: the timeline mutex before
// this one, never the other way round.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "replay/detail_models.h"
#include "replay/record_types.h"
#include "replay/rseq_timeline.h"
#include "replay/timeline_model.h"
#include "replay/umcg_lanes.h"

namespace fxs::ui {

class SideModels {
 public:
  static constexpr RecordTypes kReads = DetailModels::kReads | RseqAbortTimes::kReads | UmcgLaneBuilder::kReads;
  // Loader side (under the side mutex).
  void add_records(const uint8_t* data, size_t size);
  // The same, record by record, for a loader that walks the chunk anyway:
  // wants() (no lock needed) says whether add() would use a record at all
  // (most futex calls carry no stack: those it skips), add() takes one,
  // end_batch() ends the chunk.
  static bool wants(const fxs_rec_hdr& h, const uint8_t* rec);
  void add(const fxs_rec_hdr& h, const uint8_t* rec);
  void end_batch();
  // Loader's futexes stage, WITHOUT the side mutex (only that stage touches
  // the models it reads): builds the reports the next publish() shows. The
  // UMCG lanes cost O(all spans) to rebuild, so while loading (final ==
  // false) they are rebuilt only when the time since the last rebuild is at
  // least 4x what it took: at most a fifth of the loader's time. final: the
  // stream has ended, rebuild everything.
  void prepare(bool final = false);
  // Loader's futexes stage, under the side mutex: makes what prepare() built visible
  // to the views. Cheap: a few moves and a pointer swap.
  void publish();

  // View side (under the side mutex). Reports as of the last publish().
  const RseqReport& rseq() const { return rseq_report_; }
  const RseqAbortTimes& rseq_times() const { return rseq_times_; }
  const BlockedReport& blocked() const { return blocked_report_; }
  // Grows as name records are loaded (no publish needed: lookups are cheap).
  const FutexNames& names() const { return details_.names; }
  // Never null and never changes once published: copy the pointer under the
  // mutex, draw from it without.
  std::shared_ptr<const UmcgLaneSet> umcg() const { return umcg_; }
  // Also read by the loader's futexes stage without the mutex: it is their only writer.
  const StackModel& stacks() const { return details_.stacks; }
  // Increases at every publish(): caches of the views key on it.
  uint64_t generation() const { return generation_; }

  // Lock-free: when the rseq and UMCG records begin and end (absolute ns;
  // first > last while there are none), so the timeline can fit them in.
  uint64_t first_ns() const { return first_ns_.load(std::memory_order_relaxed); }
  uint64_t last_ns() const { return last_ns_.load(std::memory_order_relaxed); }

 private:
  DetailModels details_;
  RseqAbortTimes rseq_times_;
  UmcgLaneBuilder umcg_builder_;
  RseqReport rseq_report_;
  BlockedReport blocked_report_;
  std::optional<BlockedReport> blocked_next_;
  uint64_t blocked_built_from_ = 0;  // thread state records in blocked_report_
  std::shared_ptr<const UmcgLaneSet> umcg_ = std::make_shared<const UmcgLaneSet>();
  // Built by prepare(), shown by publish() (the futexes stage only).
  std::optional<RseqReport> rseq_next_;
  std::shared_ptr<const UmcgLaneSet> umcg_next_;
  uint64_t generation_ = 0;
  uint64_t umcg_built_from_ = 0;  // UMCG records in the lanes
  std::chrono::steady_clock::time_point umcg_next_build_{};
  std::atomic<uint64_t> first_ns_{UINT64_MAX}, last_ns_{0};
  uint64_t batch_first_ = UINT64_MAX, batch_last_ = 0;  // of the current batch
};

// The time the window shows: from the first to the last futex call, rseq
// abort or UMCG record (absolute ns); {0, 0} while there is nothing.
struct TraceExtent {
  uint64_t first_ns = 0, last_ns = 0;
};
TraceExtent trace_extent(const TimelineModel& tl, const SideModels& side);

}  // namespace fxs::ui
