// wake_arrows.h: every wake -> wait arrow of a loaded trace, under the
// export's pairing rule (replay/chrome_export.h: pair_wakes), indexed by the
// woken wait so the timeline can draw the arrows of the waits in view.
//
// Built once, on a thread of its own, when the trace is complete: the
// timeline no longer changes then (a live view gets them when its
// recording ends), and pairing sorts every wake and woken wait of each
// futex, which can take a second on a big trace. No ImGui here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

#include "replay/timeline_model.h"

namespace fxs::ui {

class WakeArrows {
 public:
  struct Arrow {
    uint32_t wait_call;  // in the lane the arrows are kept under
    uint32_t wake_lane, wake_call;
  };

  WakeArrows() = default;
  ~WakeArrows();  // joins the builder
  WakeArrows(const WakeArrows&) = delete;
  WakeArrows& operator=(const WakeArrows&) = delete;

  // Starts building from `tl`, which must not change any more and must
  // outlive this object. Once only.
  void start(const TimelineModel& tl);
  bool started() const { return builder_.joinable() || ready(); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // When ready(): the arrows into `lane` whose wait is one of its calls
  // [from, to), by call index; empty before.
  std::span<const Arrow> into(size_t lane, size_t from, size_t to) const;
  size_t size() const { return ready() ? count_ : 0; }

 private:
  std::vector<std::vector<Arrow>> by_lane_;
  size_t count_ = 0;
  std::atomic<bool> ready_{false};
  std::thread builder_;
};

}  // namespace fxs::ui
