// trace_totals.cpp: see trace_totals.h.
#include "ui/trace_totals.h"

#include <mutex>

namespace fxs::ui {

TraceTotals take_totals(const IngestWorker& w) {
  std::lock_guard lk(w.timeline_mutex());
  const TimelineModel& tl = w.timeline();
  TraceTotals t;
  t.calls = tl.calls();
  t.threads = tl.lanes().size();
  t.timeline_lost = tl.lost();
  t.call_limit = tl.call_limit();
  t.calls_over_limit = tl.calls_over_limit();
  t.newest_ns = tl.calls() ? tl.last_ns() : 0;
  t.extent = trace_extent(tl, w.side());  // the side models' extent needs no lock
  return t;
}

uint64_t shown_duration_ns(const TraceTotals& t, const FutexSnapshot& snap) {
  return t.span_ns() ? t.span_ns() : snap.duration_ns;
}

std::string thousands(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

}  // namespace fxs::ui
