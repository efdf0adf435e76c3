// min_wait_warning.h: the report's warning when `record --min-wait` left out
// most waits. Every count, wait time and who-woke-whom edge then describes
// the long waits only, and "filtered N" in the lost line is easy to miss.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fxs {

// A warning (without the "futexscope: warning: " prefix) when the waits
// filtered out, shorter than min_wait_ns, outnumber the waits recorded.
std::optional<std::string> min_wait_warning(uint64_t min_wait_ns, uint64_t filtered, uint64_t recorded_waits);

}  // namespace fxs
