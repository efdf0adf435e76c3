// time_view.h: the timeline's time axis and pan/zoom input (defined in
// view_timeline.cpp), for views that draw on the same visible time range
// (view_umcg.cpp's lanes, view_rseq.cpp's abort histogram), so zooming one
// zooms all of them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "imgui.h"
#include "ui/ui_state.h"

namespace fxs::ui {

// The axis in the rectangle [a0, a1], with grid lines down to grid_bottom.
void draw_time_axis(ImDrawList* dl, ImVec2 a0, ImVec2 a1, const UiState& st, double ns_per_px, float grid_bottom);
// Wheel zooms at the cursor, drag pans, keys (A/D, W/S, Home, Esc) as in the
// timeline. [area0, area1] is where time runs; total = the trace's length.
void handle_time_input(UiState& st, ImVec2 area0, ImVec2 area1, double total, bool hovered);

// The visible range in absolute ns, [first, last), for folding lanes: what
// lies before the trace's origin is clamped to it.
struct VisibleNs {
  uint64_t first, last;
};
inline VisibleNs visible_ns(const UiState& st) {
  const double end_rel = st.view_start + st.view_span;
  return {st.origin_ns + uint64_t(std::max(0.0, st.view_start)),
          end_rel <= 0 ? st.origin_ns : st.origin_ns + uint64_t(end_rel) + 1};
}

// The timeline fits the view to the trace, but only when it has futex calls:
// a trace of rseq or UMCG records alone is fitted by its own view.
inline void fit_view_if_pending(UiState& st, uint64_t futex_calls, double total) {
  if (futex_calls == 0 && (st.fit_pending || st.view_span <= 0)) {
    st.view_span = std::max(total, 1000.0) * 1.02;
    st.view_start = -std::max(total, 1000.0) * 0.01;
  }
}

}  // namespace fxs::ui
