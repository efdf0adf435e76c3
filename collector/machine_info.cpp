#include "collector/machine_info.h"

#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "collector/sysfs_list.h"

namespace fxs {
namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
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
  // Online nodes may be sparse ("0,2"); without CONFIG_NUMA there are none and all is node 0.
  for (uint32_t node : read_sysfs_list("/sys/devices/system/node/online"))
    for (uint32_t cpu : read_sysfs_list("/sys/devices/system/node/node" + std::to_string(node) + "/cpulist"))
      if (cpu < h.cpu_count) h.cpu_node[cpu] = int32_t(node);
  // Sample the two clocks back to back, twice, keeping the tighter pair.
  uint64_t m1 = clock_ns(CLOCK_MONOTONIC), r = clock_ns(CLOCK_REALTIME), m2 = clock_ns(CLOCK_MONOTONIC);
  h.clock_mono_ns = m1 + (m2 - m1) / 2;
  h.clock_real_ns = r;
}

}  // namespace fxs
