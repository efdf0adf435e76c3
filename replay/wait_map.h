// wait_map.h: what the pairing models keep per wait, keyed by the wait's
// (tid, enter_ns). The wake, split and holder models each keep entries for
// the same waits: with a hash table each, one record was hashed up to five
// times (docs/BENCHMARKS.md). WaitKeys numbers the waits once for all of
// them (replay/pairing_models.h owns one and hands it to its models); a
// WaitMap is one model's entries, found through that number with an array
// lookup. A model used alone numbers its own waits.
//
// Iteration is in the map's own insertion order, so results never depend on
// hashing or on which model saw a wait first. No erase.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "replay/futex_index.h"
#include "replay/huge_pages.h"

namespace fxs {

// (tid, enter_ns) of a wait -> 0, 1, 2... in order of first appearance.
// find_or_add keeps a one-entry cache: the models given the same record ask
// for the same wait in turn.
class WaitKeys {
 public:
  uint32_t id(uint32_t tid, uint64_t enter_ns) { return index_.find_or_add(tid, enter_ns); }
  // kNone if no model has that wait.
  uint32_t find(uint32_t tid, uint64_t enter_ns) const { return index_.find(tid, enter_ns); }
  size_t size() const { return index_.size(); }
  void clear() { index_.clear(); }
  static constexpr uint32_t kNone = FutexIndex::kNone;

 private:
  FutexIndex index_;
};

// A model's numbering of its waits: its own, or one it shares with the
// other models of a set (share()). A copy keeps pointing at the shared one:
// whoever copies a set re-shares its own (PairingModels' copy).
class WaitNumbering {
 public:
  void share(WaitKeys* keys) { shared_ = keys; }
  WaitKeys& get() { return shared_ ? *shared_ : own_; }
  const WaitKeys& get() const { return shared_ ? *shared_ : own_; }

 private:
  WaitKeys own_;
  WaitKeys* shared_ = nullptr;
};

template <typename V>
class WaitMap {
 public:
  struct Entry {
    uint32_t tid;
    uint64_t enter_ns;
    V value;
  };

  // The value of wait (tid, enter_ns), added as V(args...) if absent; second: it was added.
  template <typename... Args>
  std::pair<V*, bool> try_emplace(WaitKeys& keys, uint32_t tid, uint64_t enter_ns, Args&&... args) {
    const uint32_t id = keys.id(tid, enter_ns);
    if (id >= slot_.size()) slot_.resize(std::max<size_t>(size_t{id} + 1, slot_.size() * 2), kNone);
    uint32_t& s = slot_[id];
    const bool added = s == kNone;
    if (added) {
      s = static_cast<uint32_t>(entries_.size());
      entries_.push_back(Entry{tid, enter_ns, V(std::forward<Args>(args)...)});
    }
    return {&entries_[s].value, added};
  }
  V* find(const WaitKeys& keys, uint32_t tid, uint64_t enter_ns) {
    const uint32_t s = slot(keys, tid, enter_ns);
    return s == kNone ? nullptr : &entries_[s].value;
  }
  const V* find(const WaitKeys& keys, uint32_t tid, uint64_t enter_ns) const {
    const uint32_t s = slot(keys, tid, enter_ns);
    return s == kNone ? nullptr : &entries_[s].value;
  }
  bool contains(const WaitKeys& keys, uint32_t tid, uint64_t enter_ns) const {
    return slot(keys, tid, enter_ns) != kNone;
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() {
    slot_ = decltype(slot_)();
    entries_ = decltype(entries_)();
  }
  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  static constexpr uint32_t kNone = WaitKeys::kNone;
  uint32_t slot(const WaitKeys& keys, uint32_t tid, uint64_t enter_ns) const {
    const uint32_t id = keys.find(tid, enter_ns);
    return id < slot_.size() ? slot_[id] : kNone;
  }
  std::vector<uint32_t, HugePageAllocator<uint32_t>> slot_;  // wait id -> entries_ index, or kNone
  std::vector<Entry, HugePageAllocator<Entry>> entries_;
};

}  // namespace fxs
