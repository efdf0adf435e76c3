// huge_pages.h: memory for the models' large arrays, made present before
// use, and in 2 MiB pages where the kernel allows. In a VM guest a 4 KiB page
// fault costs microseconds: faulting in the arrays of a wait-heavy trace page
// by page was a quarter of the window's pairing, more than the pairing's own
// work (docs/BENCHMARKS.md).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace fxs {

inline constexpr size_t kHugePage = size_t{2} << 20;
// From this size glibc maps each block afresh (its default mmap threshold).
inline constexpr size_t kPrefaultFrom = size_t{128} << 10;

// Makes the pages of bytes [from, to) of `p` present: one madvise instead of
// a page fault per 4 KiB. Only a hint.
inline void prefault(void* p, size_t from, size_t to) {
  constexpr uintptr_t kPage = 4096;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + from) & ~(kPage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + to) & ~(kPage - 1);
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels say EINVAL and fault as before
#endif
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
}

// Blocks of 2 MiB and more are 2 MiB-aligned and marked MADV_HUGEPAGE (a
// hint, fine if refused); smaller ones come from malloc. Blocks of
// kPrefaultFrom and more are made present at once (an array that doubles
// soon writes them all). Free with std::free.
inline void* huge_page_alloc(size_t bytes) {
  const bool huge = bytes >= kHugePage;
  void* p = huge ? std::aligned_alloc(kHugePage, (bytes + kHugePage - 1) / kHugePage * kHugePage) : std::malloc(bytes);
  if (!p) throw std::bad_alloc();
  if (huge) (void)madvise(p, bytes, MADV_HUGEPAGE);
  if (bytes >= kPrefaultFrom) prefault(p, 0, bytes);
  return p;
}

// The same as a standard allocator, for std::vector.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(huge_page_alloc(n * sizeof(T))); }
  void deallocate(T* p, size_t) { std::free(p); }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
};

}  // namespace fxs
