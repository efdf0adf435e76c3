#include "replay/format.h"

#include <cinttypes>
#include <cstdio>
#include <iterator>

namespace fxs {

std::string format_ns(uint64_t ns) {
  if (ns < 1000) return std::to_string(ns) + "ns";
  static constexpr const char* kUnits[] = {"us", "ms", "s"};
  double v = static_cast<double>(ns) / 1e3;
  size_t u = 0;
  // Move up a unit when the value would print as 1000 or more (999.7us -> 1.00ms).
  while (u + 1 < std::size(kUnits) && v >= 999.5) {
    v /= 1e3;
    u++;
  }
  char buf[32];
  if (v < 9.995)
    std::snprintf(buf, sizeof(buf), "%.2f%s", v, kUnits[u]);
  else if (v < 99.95)
    std::snprintf(buf, sizeof(buf), "%.1f%s", v, kUnits[u]);
  else
    std::snprintf(buf, sizeof(buf), "%.0f%s", v, kUnits[u]);
  return buf;
}

std::string format_uaddr(uint64_t uaddr) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%" PRIx64, uaddr);
  return buf;
}

}  // namespace fxs
