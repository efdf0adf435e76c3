// Parsing of human units on the command line: durations ("250ms", "10s", "2m")
// and sizes ("64M", "1G").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fxs {

// Nanoseconds; a bare number means seconds. Accepts ns, us, ms, s, m, h.
std::optional<uint64_t> parse_duration_ns(const std::string& s);
// Bytes; a bare number means bytes. Accepts K, M, G (powers of 1024), optional trailing B.
std::optional<uint64_t> parse_size_bytes(const std::string& s);
// The window's --memory-limit SIZE (replay, live, ui): a size of at least
// 1 KiB into `bytes`; returns "" or the usage error's text.
std::string parse_memory_limit(const std::string& s, uint64_t& bytes);

}  // namespace fxs
