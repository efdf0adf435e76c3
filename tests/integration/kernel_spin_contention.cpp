#include "kernel_spin_contention.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace fxs::test {
namespace {

// LCB_F_SPIN alone (include/trace/events/lock.h): the queued spinlock's slow
// path. A rwlock adds LCB_F_READ or LCB_F_WRITE and is traced in qrwlock.c,
// outside virt_spin_lock(), so it is seen even where spinlocks are not.
constexpr unsigned kLcbFSpin = 1;

std::string tracefs_root() {
  for (const char* d : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
    if (access((std::string(d) + "/instances").c_str(), F_OK) == 0) return d;
  if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) return "/sys/kernel/tracing";
  return "";
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.flush();
  return bool(f);
}

}  // namespace

KernelSpinContention::KernelSpinContention() {
  const std::string root = tracefs_root();
  if (root.empty()) {
    error_ = "tracefs is not mounted and could not be mounted";
    return;
  }
  const std::string dir = root + "/instances/fxs_test_spin_" + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error_ = "mkdir " + dir + ": " + std::strerror(errno);
    return;
  }
  dir_ = dir;
  const std::string ev = dir + "/events/lock/contention_begin";
  if (!write_file(ev + "/filter", "flags == " + std::to_string(kLcbFSpin)) || !write_file(ev + "/enable", "1"))
    error_ = "cannot enable lock:contention_begin in " + dir;
}

KernelSpinContention::~KernelSpinContention() {
  if (dir_.empty()) return;
  write_file(dir_ + "/events/lock/contention_begin/enable", "0");
  rmdir(dir_.c_str());
}

long KernelSpinContention::count() const {
  if (dir_.empty() || !error_.empty()) return -1;
  std::ifstream f(dir_ + "/trace");
  long n = 0;
  for (std::string line; std::getline(f, line);)
    if (!line.empty() && line[0] != '#') n++;
  return n;
}

std::string KernelSpinContention::none_reported() const {
  if (count() != 0) return "";
  return "the kernel reported no spinlock contention at all (ftrace counted 0 lock:contention_begin "
         "with LCB_F_SPIN): a VM guest without paravirtual spinlocks spins in virt_spin_lock(), "
         "which has no tracepoint, so bucket-lock contention cannot be seen here";
}

}  // namespace fxs::test
