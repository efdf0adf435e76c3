// Durations and sums taken from a trace's timestamps. A damaged or hostile
// file can hold any 64-bit value; what a report prints as a fact must be
// something a real clock could have measured, and a sum must never wrap.
#pragma once

#include <cstdint>
#include <optional>

namespace fxs {

// bpf_ktime_get_ns() counts from boot: no real span reaches 2^57 ns (~4.5 years).
inline constexpr uint64_t kMaxPlausibleSpanNs = uint64_t{1} << 57;

// exit - enter, if both are set and the span is one a monotonic clock could
// have produced; nullopt for an unknown (enter 0), reversed or absurd span.
inline std::optional<uint64_t> plausible_span(uint64_t enter_ns, uint64_t exit_ns) {
  if (enter_ns == 0 || exit_ns < enter_ns || exit_ns - enter_ns >= kMaxPlausibleSpanNs) return std::nullopt;
  return exit_ns - enter_ns;
}

// sum += v, stopping at UINT64_MAX; false if it had to stop (the caller
// counts that and warns: the sum is then a lower bound, not a fact).
inline bool add_saturating(uint64_t& sum, uint64_t v) {
  if (__builtin_add_overflow(sum, v, &sum)) {
    sum = UINT64_MAX;
    return false;
  }
  return true;
}

}  // namespace fxs
