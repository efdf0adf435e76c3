#include "replay/memory_budget.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <system_error>

// ASan replaces glibc's allocator: its own count is the heap in use there.
#if defined(__SANITIZE_ADDRESS__)
#define FXS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FXS_ASAN 1
#endif
#endif
#if FXS_ASAN
// From the sanitizer runtime (gcc's libasan and clang's alike); declared here
// because gcc ships no header for it.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace fxs {

uint64_t default_memory_limit() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) / 2 : uint64_t{4} << 30;
}

uint64_t default_memory_limit(uint64_t file_bytes) {
  const uint64_t scaled = file_bytes > UINT64_MAX / kBytesPerFileByte ? UINT64_MAX : file_bytes * kBytesPerFileByte;
  return std::min(default_memory_limit(), std::max(kMinDefaultLimit, scaled));
}

uint64_t memory_limit_for_file(const std::string& path, uint64_t limit) {
  if (limit) return limit;
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? default_memory_limit() : default_memory_limit(uint64_t(size));
}

uint64_t MemoryBudget::heap_in_use() {
#if FXS_ASAN
  return __sanitizer_get_current_allocated_bytes();  // ASan's allocator replaces glibc's
#else
  struct mallinfo2 m = mallinfo2();
  return uint64_t(m.uordblks) + uint64_t(m.hblkhd);  // small blocks in use + mmap()ed blocks
#endif
}

std::string MemoryBudget::warning(uint64_t records, const std::string& what) const {
  char gib[32];
  std::snprintf(gib, sizeof gib, "%.1f GiB", double(limit_) / double(uint64_t{1} << 30));
  return std::string("memory limit of ") + gib + " reached after " + std::to_string(records) +
         " records: " + what + " covers only those (raise --memory-limit to read further)";
}

}  // namespace fxs
