#include "replay/memory_budget.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace fxs {

uint64_t default_memory_limit() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) / 2 : uint64_t{4} << 30;
}

uint64_t MemoryBudget::heap_in_use() {
  struct mallinfo2 m = mallinfo2();
  return uint64_t(m.uordblks) + uint64_t(m.hblkhd);  // small blocks in use + mmap()ed blocks
}

std::string MemoryBudget::warning(uint64_t records, const std::string& what) const {
  char gib[32];
  std::snprintf(gib, sizeof gib, "%.1f GiB", double(limit_) / double(uint64_t{1} << 30));
  return std::string("memory limit of ") + gib + " reached after " + std::to_string(records) +
         " records: " + what + " covers only those (raise --memory-limit to read further)";
}

}  // namespace fxs
