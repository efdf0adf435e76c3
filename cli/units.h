// Parsing of human units on the command line: durations ("250ms", "10s", "2m")
// and sizes ("64M", "1G").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "replay/error.h"

namespace fxs {

// The units a duration takes, for error and help text.
inline constexpr const char* kDurationUnits = "ns, us, ms, s, m or h";

// Nanoseconds from a number with a unit: ns, us, ms, s, m, h. A bare number
// is refused (is `--min-wait 5` 5 s or 5 us?), except 0, which means the same
// in every unit. The error says why, without the option's name.
Result<uint64_t> parse_duration_ns(const std::string& s);
// An option's DUR (`--min-wait 100us`) into `ns`; returns "" or the usage
// error's one line, naming the option, the units and `example`.
// allow_zero: whether 0 is a meaningful value for this option.
std::string parse_duration_option(const std::string& option, const std::string& s, const char* example,
                                  bool allow_zero, uint64_t& ns);
// Bytes; a bare number means bytes. Accepts K, M, G (powers of 1024), optional trailing B.
std::optional<uint64_t> parse_size_bytes(const std::string& s);
// The window's --memory-limit SIZE (replay, live, ui): a size of at least
// 1 KiB into `bytes`; returns "" or the usage error's text.
std::string parse_memory_limit(const std::string& s, uint64_t& bytes);

}  // namespace fxs
