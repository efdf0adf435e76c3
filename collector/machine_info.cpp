#include "collector/machine_info.h"

#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace fxs {
namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// Parses a sysfs CPU list such as "0-3,8,10-11" and calls fn for each CPU.
template <typename Fn>
void for_each_cpu_in_list(const std::string& list, Fn fn) {
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty()) continue;
    size_t dash = part.find('-');
    int lo = std::stoi(part.substr(0, dash));
    int hi = dash == std::string::npos ? lo : std::stoi(part.substr(dash + 1));
    for (int c = lo; c <= hi; c++) fn(c);
  }
}

}  // namespace

uint64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }

void fill_machine_info(TraceHeader& h) {
  utsname u{};
  if (uname(&u) == 0) {
    h.kernel_release = u.release;
    h.hostname = u.nodename;
  }
  long ncpu = sysconf(_SC_NPROCESSORS_CONF);
  h.cpu_count = ncpu > 0 ? uint32_t(ncpu) : 1;
  h.cpu_node.assign(h.cpu_count, 0);
  for (int node = 0; node < 1024; node++) {
    std::ifstream f("/sys/devices/system/node/node" + std::to_string(node) + "/cpulist");
    if (!f) {
      if (node > 0) break;
      continue;
    }
    std::string list;
    std::getline(f, list);
    try {
      for_each_cpu_in_list(list, [&](int cpu) {
        if (cpu >= 0 && uint32_t(cpu) < h.cpu_count) h.cpu_node[cpu] = node;
      });
    } catch (const std::exception&) {
      // A malformed list leaves those CPUs on node 0.
    }
  }
  // Sample the two clocks back to back, twice, keeping the tighter pair.
  uint64_t m1 = clock_ns(CLOCK_MONOTONIC), r = clock_ns(CLOCK_REALTIME), m2 = clock_ns(CLOCK_MONOTONIC);
  h.clock_mono_ns = m1 + (m2 - m1) / 2;
  h.clock_real_ns = r;
}

}  // namespace fxs
