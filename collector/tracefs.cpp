#include "collector/tracefs.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "replay/error.h"

namespace fxs {
namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Tracefs find_or_mount_tracefs() {
  Tracefs t;
  const std::string tracing = "/sys/kernel/tracing";
  if (!is_dir(tracing + "/events") && geteuid() == 0 && is_dir(tracing)) {
    if (mount("nodev", tracing.c_str(), "tracefs", 0, nullptr) == 0)
      t.note = "tracefs was not mounted: mounted it at " + tracing;
    else if (errno != EBUSY)
      t.note = errno_message("mount tracefs at " + tracing, errno);
  }
  int err = 0;
  for (const std::string& dir : {tracing, std::string("/sys/kernel/debug/tracing")}) {
    if (is_dir(dir + "/events")) {
      t.events = dir + "/events";
      return t;
    }
    if (!err) err = errno;
  }
  std::string why = err == EACCES ? "tracefs not readable (needs root)"
                                  : "no tracefs at " + tracing + " or /sys/kernel/debug/tracing";
  t.note = t.note.empty() ? why : t.note + "; " + why;
  return t;
}

}  // namespace fxs
