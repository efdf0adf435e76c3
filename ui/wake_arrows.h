// wake_arrows.h: the wake -> wait arrows the timeline draws
// (replay/wake_flows.h), indexed by the woken wait so the timeline can draw
// the arrows of the waits in view.
//
// Once the trace is complete (WakeArrows): every arrow, built once on a
// thread of its own. Exact (one per thread woken, from the call that woke
// it) once the loader's wake pairing has attributed every wake
// (ui/pairing_finisher.h); paired by time when there is no pairing (no wake
// records, past the memory limit). While the timeline still grows (a live view, a replay
// still loading: LiveWakeArrows): only the arrows around the visible range,
// paired by time again whenever the range or the data changed. No ImGui here.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "replay/timeline_model.h"
#include "replay/wake_flows.h"

namespace fxs::ui {

// Arrows kept by the lane and call of their wait.
class ArrowIndex {
 public:
  struct Arrow {
    uint32_t wait_call;  // in the lane the arrows are kept under
    uint32_t wake_lane, wake_call;
  };
  void assign(const std::vector<WakeFlow>& flows, size_t lanes);
  // The arrows into `lane` whose wait is one of its calls [from, to), by call index.
  std::span<const Arrow> into(size_t lane, size_t from, size_t to) const;
  // An arrow out of wake call `call` of `lane` (a scan of every arrow: for a
  // selection), as the lane and call of its wait; false if none.
  bool out_of(size_t lane, size_t call, size_t& wait_lane, size_t& wait_call) const;
  size_t size() const { return count_; }

 private:
  std::vector<std::vector<Arrow>> by_lane_;
  size_t count_ = 0;
};

class WakeArrows {
 public:
  WakeArrows() = default;
  ~WakeArrows();  // joins the builder
  WakeArrows(const WakeArrows&) = delete;
  WakeArrows& operator=(const WakeArrows&) = delete;

  // Starts building from `tl`, which must not change any more and must
  // outlive this object. Once only. With `attributed` (the wake pairing's
  // attributions of this same trace): exact; without: paired by time.
  void start(const TimelineModel& tl, std::shared_ptr<const std::vector<WakeAttribution>> attributed = nullptr);
  bool exact() const { return exact_; }
  bool started() const { return builder_.joinable() || ready(); }
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Every arrow once ready(); nullptr before.
  const ArrowIndex* index() const { return ready() ? &index_ : nullptr; }
  size_t size() const { return ready() ? index_.size() : 0; }

 private:
  ArrowIndex index_;
  bool exact_ = false;
  std::atomic<bool> ready_{false};
  std::thread builder_;
};

class LiveWakeArrows {
 public:
  // More calls than this around the view and no arrows are paired: a frame
  // would spend milliseconds on them, and they would be too many to draw.
  static constexpr size_t kMaxCalls = 50000;
  // The arrows into the waits of [t0, t1), paired over the calls of one
  // view width before it to one after it (pair_wakes_between), or nullptr
  // when those are more than kMaxCalls. Call with the timeline's mutex held.
  const ArrowIndex* update(const TimelineModel& tl, uint64_t t0, uint64_t t1);

 private:
  uint64_t t0_ = 0, t1_ = 0, calls_ = UINT64_MAX;  // what index_ was paired for
  bool paired_ = false;
  std::vector<WakeFlow> flows_;
  ArrowIndex index_;
};

}  // namespace fxs::ui
