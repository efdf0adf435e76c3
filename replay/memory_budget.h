// How much memory reading a trace may take. Every size and count in a file
// is checked before use, yet a small file can still legitimately describe
// millions of distinct futexes (a zstd chunk expands up to 10,000-fold): the
// models grow with the data decoded, and this budget says where they stop.
#pragma once

#include <cstdint>
#include <string>

namespace fxs {

// The default limit of the window (and of a stream that is still growing):
// half of this machine's physical memory.
uint64_t default_memory_limit();
// The default limit for reading a whole file of `file_bytes`: what its data
// can legitimately need (kBytesPerFileByte per byte of the file, real chunks
// expanding ~10:1 and the models taking about the decoded size), at least
// kMinDefaultLimit, at most default_memory_limit(). A small file that
// expands a thousandfold stops there instead of taking the machine.
uint64_t default_memory_limit(uint64_t file_bytes);
inline constexpr uint64_t kBytesPerFileByte = 32;
inline constexpr uint64_t kMinDefaultLimit = uint64_t{1} << 30;
// `limit` if set (non-zero), else default_memory_limit() of the file at `path`.
uint64_t memory_limit_for_file(const std::string& path, uint64_t limit);

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}
  // True once reading should stop: the heap this process uses passed half
  // the limit, since finishing the models (ranking, the report's rows) takes
  // about as much again, and the peak must stay within the limit. Checked
  // every kCheckEvery calls: the check itself walks the allocator's arenas.
  bool exceeded() {
    if (++calls_ % kCheckEvery != 0) return over_;
    return exceeded_now();
  }
  // The same, checked now (between chunks, say).
  bool exceeded_now() { return over_ = over_ || heap_in_use() > limit_ / 2; }
  uint64_t limit() const { return limit_; }
  // "memory limit of 12.0 GiB reached after N records: ..." for `what` ("the report").
  // (`records`: what the caller counts: records, or calls for the export.)
  std::string warning(uint64_t records, const std::string& what) const;

  static constexpr uint64_t kCheckEvery = 1 << 16;
  // Bytes allocated and not freed (glibc's mallinfo2).
  static uint64_t heap_in_use();

 private:
  uint64_t limit_;
  uint64_t calls_ = 0;
  bool over_ = false;
};

}  // namespace fxs
