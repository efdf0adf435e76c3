#include "replay/stack_coverage_note.h"

#include <algorithm>

#include "replay/report.h"  // format_ns

namespace fxs {

std::string stack_settings_text(const TraceHeader& h) {
  if (!h.stack_settings_known)
    return "record takes a stack for each wait of at least --stack-min-wait (1ms by default; 0 for all) and for 1 in "
           "--stack-sample (16) of the shorter ones, unless --no-stacks";
  if (!h.stacks) return "it was recorded with --no-stacks";
  std::string s = "record took a stack for each wait of at least " + format_ns(h.stack_min_wait_ns) +
                  " (--stack-min-wait; 0 for all)";
  if (h.stack_sample_every)
    s += " and for 1 in " + std::to_string(h.stack_sample_every) + " of the shorter ones (--stack-sample)";
  else
    s += " and none of the shorter ones (--stack-sample 0)";
  return s;
}

std::string stack_coverage_text(const TraceHeader& h, const StackCoverage& c, uint64_t raw_stack_drops) {
  std::string s = "stacks stand for " + std::to_string(c.stacked_waits) + " of " + std::to_string(c.waits) +
                  " waits (" + format_ns(c.stacked_wait_ns) + " of " + format_ns(c.wait_ns) +
                  " waiting): " + stack_settings_text(h);
  if (raw_stack_drops)
    s += "; " + std::to_string(raw_stack_drops) +
         " waits kept only their frame-pointer stack (raw_stack_drop: the ring buffer was full)";
  return s;
}

std::optional<std::string> stack_coverage_warning(const TraceHeader& h, const StackCoverage& c,
                                                  uint64_t raw_stack_drops) {
  // Only where the trace says how its stacks were taken: older traces, and
  // traces not made by record, may have none by design.
  if (!h.stack_settings_known || h.summary || c.waits == 0) return std::nullopt;
  // Integer percentages: a cover of 89.9% warns, 90% does not.
  // In 128 bits: a hostile trace's sums may be near 2^64.
  using u128 = unsigned __int128;
  // A handful of waits without a stack (a join, a sleep) is not worth one.
  if (c.waits - std::min(c.stacked_waits, c.waits) < kStackCoverageMinMissing) return std::nullopt;
  const bool few_waits = u128(c.stacked_waits) * 100 < u128(c.waits) * kStackCoverageWarnPct;
  const bool little_time = c.wait_ns && u128(c.stacked_wait_ns) * 100 < u128(c.wait_ns) * kStackCoverageWarnPct;
  if (!few_waits && !little_time) return std::nullopt;
  return stack_coverage_text(h, c, raw_stack_drops);
}

}  // namespace fxs
