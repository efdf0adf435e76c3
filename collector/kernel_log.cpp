#include "collector/kernel_log.h"

#include <sys/klog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace fxs {

Result<uint32_t> futex_hash_entries_from_kernel_log() {
  int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0);
  if (size <= 0) return Error{errno_message("read kernel log size", errno)};
  std::string buf(static_cast<size_t>(size), '\0');
  int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf.data(), size);
  if (n < 0) return Error{errno_message("read kernel log", errno)};
  buf.resize(static_cast<size_t>(n));
  const char* key = "futex hash table entries: ";
  size_t at = buf.find(key);
  if (at == std::string::npos) return Error{"no \"futex hash table entries\" line in the kernel log (rotated)"};
  long v = std::atol(buf.c_str() + at + std::strlen(key));
  // The kernel sizes its tables in powers of two; anything else is not that line.
  if (v <= 0 || v > (1l << 30) || (v & (v - 1)) != 0)
    return Error{"unexpected futex hash size " + std::to_string(v) + " in the kernel log"};
  return uint32_t(v);
}

}  // namespace fxs
