// format.h: numbers as every output of futexscope writes them (text report,
// JSON, the window).
#pragma once

#include <cstdint>
#include <string>

namespace fxs {

// "950ns", "1.50us", "12.3ms", "2.00s": three significant digits.
std::string format_ns(uint64_t ns);
// "0x7f12a4c0" (lower-case hex).
std::string format_uaddr(uint64_t uaddr);

}  // namespace fxs
