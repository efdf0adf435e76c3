// trace_totals.h: the numbers about the whole trace that one frame shows in
// several places: the seek bar's length, the time axes, the status bar, the
// load progress, and what --screenshot-after prints. Each view read them
// where it drew them, so while loading or live the loader had moved on in
// between and one screen showed two lengths and two call counts. They are
// taken once per frame, under the timeline lock, and only read after that.
#pragma once

#include <cstdint>
#include <string>

#include "ui/ingest_worker.h"

namespace fxs::ui {

struct TraceTotals {
  uint64_t calls = 0;    // in the timeline
  uint64_t threads = 0;  // its lanes
  uint64_t timeline_lost = 0, call_limit = 0, calls_over_limit = 0;
  uint64_t newest_ns = 0;  // when the newest call returned (absolute ns)
  TraceExtent extent;      // first to last futex call, rseq abort or UMCG record
  uint64_t span_ns() const { return extent.last_ns - extent.first_ns; }
};

// Takes the timeline mutex.
TraceTotals take_totals(const IngestWorker& w);

// The trace's length as every view says it: the span the timeline shows, or
// for a trace without calls (--summary) the futex model's.
uint64_t shown_duration_ns(const TraceTotals& t, const FutexSnapshot& snap);

// "5,219,230": counts are written the same way everywhere.
std::string thousands(uint64_t v);

}  // namespace fxs::ui
