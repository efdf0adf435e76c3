#include "replay/min_wait_warning.h"

#include "replay/report.h"  // format_ns

namespace fxs {

std::optional<std::string> min_wait_warning(uint64_t min_wait_ns, uint64_t filtered, uint64_t recorded_waits) {
  if (min_wait_ns == 0 || filtered <= recorded_waits) return std::nullopt;
  const uint64_t all = filtered + recorded_waits;
  const std::string min = format_ns(min_wait_ns);
  return "--min-wait " + min + " left out " + std::to_string(filtered) + " of " + std::to_string(all) +
         " waits (" + std::to_string(filtered * 100 / all) + "%): the counts, wait times and wakers below are of the " +
         std::to_string(recorded_waits) + " waits of " + min + " or longer only";
}

}  // namespace fxs
