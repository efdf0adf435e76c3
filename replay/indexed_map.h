// indexed_map.h: a map from (uint32, uint64) keys - (tid, wait entry time)
// of a wait, (tgid, uaddr) of a futex - to values kept in one vector in
// order of first insertion. The pairing models keep an entry per wait of a
// trace: as node-based std::unordered_maps, their allocations, lookups and
// frees were most of the pairing of a wait-heavy trace (docs/BENCHMARKS.md).
// Iteration is in insertion order, so results never depend on hashing.
// No erase.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "replay/futex_index.h"
#include "replay/huge_pages.h"

namespace fxs {

template <typename V>
class IndexedMap {
 public:
  struct Entry {
    uint32_t a;
    uint64_t b;
    V value;
  };

  // The value of (a, b), added as V(args...) if absent; second: it was added.
  template <typename... Args>
  std::pair<V*, bool> try_emplace(uint32_t a, uint64_t b, Args&&... args) {
    bool added = false;
    const uint32_t i = index_.find_or_add(a, b, &added);
    if (added) entries_.push_back(Entry{a, b, V(std::forward<Args>(args)...)});
    return {&entries_[i].value, added};
  }
  V& operator()(uint32_t a, uint64_t b) { return *try_emplace(a, b).first; }
  V* find(uint32_t a, uint64_t b) {
    const uint32_t i = index_.find(a, b);
    return i == FutexIndex::kNone ? nullptr : &entries_[i].value;
  }
  const V* find(uint32_t a, uint64_t b) const {
    const uint32_t i = index_.find(a, b);
    return i == FutexIndex::kNone ? nullptr : &entries_[i].value;
  }
  bool contains(uint32_t a, uint64_t b) const { return index_.find(a, b) != FutexIndex::kNone; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() {
    index_.clear();
    entries_ = decltype(entries_)();
  }
  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  FutexIndex index_;
  std::vector<Entry, HugePageAllocator<Entry>> entries_;
};

}  // namespace fxs
