// stack_coverage_note.h: why a report's stacks stand for fewer waits than it
// counts, said the same way in the JSON warnings, on stderr beside the text
// report and under the folded output: a flame graph of a few waits must not
// pass for one of all of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "replay/trace_format.h"

namespace fxs {

struct StackCoverage {
  uint64_t waits = 0;            // waits counted (queued: woken, timed out, interrupted)
  uint64_t stacked_waits = 0;    // those a stack stands for (sampled ones with their weight)
  uint64_t wait_ns = 0;
  uint64_t stacked_wait_ns = 0;
};

// How record took stacks, from the trace header: "recorded with --no-stacks",
// or which waits got one (older traces: the defaults, said as such).
std::string stack_settings_text(const TraceHeader& h);

// "stacks stand for X of Y waits (A of B waiting): <settings>", plus the
// raw stacks the rings dropped, if any.
std::string stack_coverage_text(const TraceHeader& h, const StackCoverage& c, uint64_t raw_stack_drops);

// That text as a warning when the stacks stand for less than
// kStackCoverageWarnPct of the waits or of their time, and at least
// kStackCoverageMinMissing waits have none; nullopt otherwise,
// for a --summary trace (no stacks to miss), and for a trace whose header
// does not say how stacks were taken.
inline constexpr uint64_t kStackCoverageWarnPct = 90;
inline constexpr uint64_t kStackCoverageMinMissing = 10;
std::optional<std::string> stack_coverage_warning(const TraceHeader& h, const StackCoverage& c,
                                                  uint64_t raw_stack_drops);

}  // namespace fxs
