// chrome_export.h: a trace as Chrome trace-event JSON, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open. Export only: the native
// format stays the .fxs stream.
//
// What is written (docs/ui.md has the full description):
//  - every futex call as a complete event (ph "X"): name = the op
//    (FUTEX_WAIT, futex_wake, ...), cat = "wait" | "wake" | "other",
//    pid/tid, ts/dur in microseconds of CLOCK_MONOTONIC (ns precision),
//    args {uaddr, ret};
//  - process_name / thread_name metadata (ph "M") from the FXS_REC_TASK names;
//  - one flow arrow (ph "s" on the waking call, ph "f" with bp "e" on the
//    woken wait, same id) per wake that woke someone. The rule is simple and
//    deliberately so: a wake-type call (FUTEX_WAKE, FUTEX_WAKE_BITSET,
//    FUTEX_WAKE_OP, futex_wake, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE,
//    FUTEX_CMP_REQUEUE_PI, futex_requeue) that returned > 0 points to the
//    wait on the same (pid, uaddr) that returned 0 (futex_waitv: >= 0, on
//    the entry it names) and exited soonest at or after the wake entered,
//    among the waits no earlier wake on that address already points to.
//    Wakes are taken in order of their enter time. One arrow per wake even
//    when it woke several waiters; a wake with no such wait (its waiter was
//    requeued from another address, or was not recorded) gets none.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "replay/error.h"
#include "replay/timeline_model.h"

namespace fxs {

struct ChromeExportStats {
  uint64_t calls = 0;    // X events
  uint64_t threads = 0;  // thread_name metadata events
  uint64_t flows = 0;    // s/f pairs
};

// One flow: the wake call and the wait it points to, as (lane, call index).
struct WakeFlow {
  uint32_t wake_lane, wake_call;
  uint32_t wait_lane, wait_call;
};

// Applies the pairing rule above to a loaded model; with `only_futex` (an
// index into tl.futexes()), to that futex alone (the UI's "woken by").
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

// Writes the JSON document for a loaded model.
ChromeExportStats write_chrome_json(const TimelineModel& tl, std::ostream& out);

// Reads `trace_path` and writes its JSON to `out`. Reader warnings (damage
// survived) are appended to `warnings`. `memory_limit`: as report's
// (replay/memory_budget.h; 0: the default for the file).
Result<ChromeExportStats> export_chrome(const std::string& trace_path, std::ostream& out,
                                        std::vector<std::string>& warnings, uint64_t memory_limit = 0);

}  // namespace fxs
