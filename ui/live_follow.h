// live_follow.h: what a live view (`live`, `ui --connect`: a stream still
// growing) shows. Following, it keeps the newest `window_s` seconds in view
// (all of it while shorter); looking elsewhere (pan, zoom, a jump) pauses
// that; when the stream ends while following, the whole trace is fitted.
// No ImGui here: the window's controls (view_controls.cpp) drive it.
#pragma once

#include <algorithm>

namespace fxs::ui {

struct LiveFollow {
  bool on = true;          // following the newest data
  float window_s = 10.0f;  // how much of it
  bool was_growing = false;

  enum class Step { kNone, kFollow, kFitAll };
  // Once per frame. growing: the stream may still grow; total: its length so
  // far in ns. kFollow sets *start and *span to the newest window; kFitAll:
  // the stream has just ended while following.
  Step frame(bool growing, double total, double* start, double* span) {
    if (!growing) {
      const bool ended = was_growing && on;
      was_growing = false;
      return ended ? Step::kFitAll : Step::kNone;
    }
    was_growing = true;
    if (!on) return Step::kNone;
    *span = std::max(std::min(double(window_s) * 1e9, total), 1e3);
    *start = total - *span;
    return Step::kFollow;
  }
};

}  // namespace fxs::ui
