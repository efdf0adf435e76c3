// Where the tracepoints are listed (tracefs), mounted first if nothing has.
#pragma once

#include <string>

namespace fxs {

struct Tracefs {
  std::string events;  // ".../tracing/events"; empty when no tracefs is readable
  std::string note;    // why it is empty, or what was done (mounted); may be empty
};

// /sys/kernel/tracing, mounted there first when nothing readable is (as root:
// a fresh machine, or a chroot whose /sys was bound without it), else
// /sys/kernel/debug/tracing. libbpf finds tracepoint ids there as well.
Tracefs find_or_mount_tracefs();

}  // namespace fxs
