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
//    woken wait, same id) per thread a wake call woke, exactly as the
//    report attributes it (replay/wake_flows.h): a FUTEX_WAKE that woke three
//    waiters has three arrows. A trace without wake records (--summary, or an
//    older recording) gets arrows paired by time instead, one per wake call,
//    and the export warns that they are approximate.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "replay/error.h"
#include "replay/timeline_model.h"
#include "replay/wake_flows.h"

namespace fxs {

struct ChromeExportStats {
  uint64_t calls = 0;    // X events
  uint64_t threads = 0;  // thread_name metadata events
  uint64_t flows = 0;    // s/f pairs
  bool exact_flows = false;  // from the wake records (else paired by time)
  uint64_t unplaced_flows = 0;  // attributed wakes whose call or wait is not in the export
};

// Writes the JSON document for a loaded model and its flows.
ChromeExportStats write_chrome_json(const TimelineModel& tl, const std::vector<WakeFlow>& flows, std::ostream& out);

// Reads `trace_path` and writes its JSON to `out`. Reader warnings (damage
// survived) are appended to `warnings`. `memory_limit`: as report's
// (replay/memory_budget.h; 0: the default for the file).
Result<ChromeExportStats> export_chrome(const std::string& trace_path, std::ostream& out,
                                        std::vector<std::string>& warnings, uint64_t memory_limit = 0);

}  // namespace fxs
