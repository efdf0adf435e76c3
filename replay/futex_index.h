// futex_index.h: (tgid, uaddr) -> a dense index 0, 1, 2... in order of first
// appearance. Open addressing with linear probing, at most half full, and a
// one-entry cache: programs cycle through many futexes (a hash benchmark
// touches thousands in turn), so this lookup is a hot path of every model
// that keeps something per futex (futex, timeline, bucket models).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "replay/huge_pages.h"

namespace fxs {

class FutexIndex {
 public:
  // The index of (tgid, uaddr); `*added` (if given) says it is new (== size() - 1).
  uint32_t find_or_add(uint32_t tgid, uint64_t uaddr, bool* added = nullptr) {
    if (last_ != UINT32_MAX && last_uaddr_ == uaddr && last_tgid_ == tgid) {
      if (added) *added = false;
      return last_;
    }
    return slow(tgid, uaddr, added);
  }
  static constexpr uint32_t kNone = UINT32_MAX;
  // The index of (tgid, uaddr), or kNone; adds nothing (and leaves the cache alone).
  uint32_t find(uint32_t tgid, uint64_t uaddr) const {
    if (slots_.empty()) return kNone;
    const Slot& s = slots_[probe(tgid, uaddr)];
    return s.idx1 == 0 ? kNone : s.idx1 - 1;
  }
  size_t size() const { return size_; }
  void clear() { *this = FutexIndex(); }
  // Empties the table but keeps its slots, for a table refilled again and
  // again with about as many keys (one per chunk: ChunkFutexKeys).
  void reset() {
    for (Slot& s : slots_) s.idx1 = 0;
    size_ = 0;
    last_ = UINT32_MAX;
  }

 private:
  struct Slot {
    uint64_t uaddr;
    uint32_t tgid;
    uint32_t idx1;  // index + 1; 0 = empty
  };
  // Fibonacci hashing: one multiply, the slot from the product's top bits
  // (which every key bit reaches), so aligned and clustered futex words
  // spread out. The hash sits on a dependency chain from each record's
  // address to the slot load, and the lookups of two models are a fifth of
  // the loader's time: the splitmix64 finalizer's three multiplies were
  // measurably slower (docs/BENCHMARKS.md).
  static uint64_t hash(uint32_t tgid, uint64_t uaddr) {
    return (uaddr ^ (uint64_t{tgid} << 40 | uint64_t{tgid} >> 24)) * 0x9e3779b97f4a7c15ull;
  }
  size_t slot_of(uint32_t tgid, uint64_t uaddr) const { return hash(tgid, uaddr) >> shift_; }
  // The slot holding (tgid, uaddr), or the empty slot where it would go.
  size_t probe(uint32_t tgid, uint64_t uaddr) const {
    const size_t mask = slots_.size() - 1;
    size_t i = slot_of(tgid, uaddr);
    while (slots_[i].idx1 != 0 && !(slots_[i].uaddr == uaddr && slots_[i].tgid == tgid)) i = (i + 1) & mask;
    return i;
  }
  uint32_t slow(uint32_t tgid, uint64_t uaddr, bool* added);
  void grow();

  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  size_t size_ = 0;
  unsigned shift_ = 64;  // 64 - log2(slots_.size())
  uint32_t last_ = UINT32_MAX;
  uint32_t last_tgid_ = 0;
  uint64_t last_uaddr_ = 0;
};

inline uint32_t FutexIndex::slow(uint32_t tgid, uint64_t uaddr, bool* added) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const size_t i = probe(tgid, uaddr);
  const bool is_new = slots_[i].idx1 == 0;
  if (is_new) slots_[i] = Slot{uaddr, tgid, uint32_t(++size_)};
  if (added) *added = is_new;
  last_tgid_ = tgid;
  last_uaddr_ = uaddr;
  return last_ = slots_[i].idx1 - 1;
}

inline void FutexIndex::grow() {
  decltype(slots_) old(slots_.empty() ? 1024 : slots_.size() * 2, Slot{0, 0, 0});
  old.swap(slots_);
  shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(slots_.size()));
  for (const Slot& s : old)
    if (s.idx1 != 0) slots_[probe(s.tgid, s.uaddr)] = s;  // keys are distinct: lands on an empty slot
}

}  // namespace fxs
