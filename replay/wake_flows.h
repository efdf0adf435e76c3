// wake_flows.h: which wake call ended which wait, as (lane, call) pairs of a
// TimelineModel: the timeline's arrows and the Chrome export's flows.
//
// Exact (exact_wake_flows): one flow per wake WakeModel attributed to a
// futex wake-type call (the report's woken_by.futex_wake and its waker
// edges), from the call that woke to the wait it ended. A FUTEX_WAKE that
// woke three waiters has three flows, each to the waiter it really woke.
//
// By time (pair_wakes): for traces without wake records (--summary, or a
// recording older than FXS_REC_WAKE), and for a live view before the exact
// pairing is in. A wake-type call (FUTEX_WAKE, FUTEX_WAKE_BITSET,
// FUTEX_WAKE_OP, futex_wake, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE,
// FUTEX_CMP_REQUEUE_PI, futex_requeue) that returned > 0 points to the wait
// on the same (pid, uaddr) that returned 0 (futex_waitv: >= 0, on the entry
// it names) and exited soonest at or after the wake entered, among the waits
// no earlier wake on that address already points to. Wakes are taken in
// order of their enter time. One flow per wake call even when it woke
// several waiters, so it can point at the wrong waiter: callers say so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "replay/timeline_model.h"
#include "replay/wake_model.h"

namespace fxs {

// One flow: the wake call and the wait it points to, as (lane, call index).
struct WakeFlow {
  uint32_t wake_lane, wake_call;
  uint32_t wait_lane, wait_call;
};

// What a flow needs of an AttributedWake, kept compact (one per wake).
struct WakeAttribution {
  uint32_t waker_tgid = 0, waker_tid = 0;
  uint32_t waiter_tgid = 0, waiter_tid = 0;
  uint64_t wake_ts_ns = 0;     // inside the waker's call
  uint64_t wait_enter_ns = 0;  // the woken wait's enter
  static WakeAttribution of(const AttributedWake& w) {
    return {w.waker_tgid, w.waker_tid, w.tgid, w.waiter_tid, w.wake_ts_ns, w.wait_enter_ns};
  }
};
static_assert(sizeof(WakeAttribution) == 32, "one per wake: keep it compact");

// Each attribution as a flow of `tl`. An attribution whose waker call or
// wait `tl` does not hold (past the window's call limit, a lost record) gets
// no flow and is counted in `*unplaced` (if given).
std::vector<WakeFlow> exact_wake_flows(const TimelineModel& tl, const std::vector<WakeAttribution>& attributions,
                                       uint64_t* unplaced = nullptr);

// The rule by time above; with `only_futex` (an index into tl.futexes()),
// for that futex alone.
std::vector<WakeFlow> pair_wakes(const TimelineModel& tl, uint32_t only_futex = UINT32_MAX);

// The same rule over the calls of a time range only, for a timeline that is
// still growing (the UI's live view): wakes entering and woken waits exiting
// in [from, to). The rule starts afresh at `from`, so a wait exiting soon
// after it may pair differently than over the whole trace (a wake before
// `from` may have taken it): callers start well before what they show.
// Cost O(calls in the range); false (and no flows) when that is more than
// `max_calls`.
bool pair_wakes_between(const TimelineModel& tl, uint64_t from, uint64_t to, size_t max_calls,
                        std::vector<WakeFlow>& flows);

}  // namespace fxs
