// chunk_futex_keys.h: the futexes one chunk's calls name, looked up by the
// loader thread that decodes the chunk instead of by every model.
//
// The window's loader decompresses chunks on several threads at once, but
// the models must take the chunks one at a time in file order, so their
// per-call (tgid, uaddr) hash lookups (a fifth of the loader's time, two
// models each doing one) bound how fast a trace loads. A loader thread builds
// a ChunkFutexKeys right after decompressing, in parallel with the others;
// each model then turns a call's chunk-local id into its own index with a
// ChunkFutexMap: an array load, and a lookup of its own only the first time a
// chunk names a futex. Resolving on first use keeps every model's numbering
// (first-seen order) exactly what a walk without keys gives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/futex_index.h"

namespace fxs {

class ChunkFutexKeys {
 public:
  static constexpr uint32_t kNone = FutexIndex::kNone;
  struct Key {
    uint32_t tgid;
    uint64_t uaddr;
  };

  // Walks a decoded chunk (whole records back to back, as ChunkDecoder
  // leaves them). Every FXS_REC_FUTEX record gets an id, in order: its
  // (tgid, uaddr)'s place in keys(), or kNone for futex_waitv (it names
  // several) and for records shorter than struct fxs_futex_rec.
  void build(const uint8_t* data, size_t size);
  // build() in steps, for a walk over the chunk that is already going on
  // (ChunkDecoder::decode): start(), then add() on every record in order.
  void start(const uint8_t* data, size_t size) {
    data_ = data;
    size_ = size;
    index_.reset();
    keys_.clear();
    ids_.clear();
  }
  void add(const uint8_t* rec, const fxs_rec_hdr& h) {
    if (h.type != FXS_REC_FUTEX) return;
    uint32_t id = kNone;
    if (h.size >= sizeof(fxs_futex_rec) && rec[offsetof(fxs_futex_rec, opi)] != FXS_OP_FUTEX2_WAITV) {
      uint32_t tgid;
      uint64_t uaddr;
      std::memcpy(&tgid, rec + offsetof(fxs_futex_rec, tgid), sizeof tgid);
      std::memcpy(&uaddr, rec + offsetof(fxs_futex_rec, uaddr), sizeof uaddr);
      bool added = false;
      id = index_.find_or_add(tgid, uaddr, &added);
      if (added) keys_.push_back({tgid, uaddr});
    }
    ids_.push_back(id);
  }
  // The id of the n-th FXS_REC_FUTEX record of the chunk.
  uint32_t id(size_t n) const { return n < ids_.size() ? ids_[n] : kNone; }
  const std::vector<Key>& keys() const { return keys_; }
  // Built from exactly these bytes: a model given the keys of another chunk
  // would mix up futexes, so it checks and looks up on its own instead.
  bool built_for(const uint8_t* data, size_t size) const { return data == data_ && size == size_; }

 private:
  FutexIndex index_;
  std::vector<Key> keys_;
  std::vector<uint32_t> ids_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// One model's index for each key of the chunk being applied.
class ChunkFutexMap {
 public:
  // Starts a chunk: `keys` may be null (no keys: every call is looked up).
  void start(const ChunkFutexKeys* keys, const uint8_t* data, size_t size) {
    active_ = keys != nullptr && keys->built_for(data, size);
    if (active_) map_.assign(keys->keys().size(), ChunkFutexKeys::kNone);
  }
  // The model's index for chunk-local id `id`; `lookup()` gives it the first
  // time (and every time when id is kNone or there are no keys).
  template <typename Lookup>
  uint32_t index(uint32_t id, Lookup&& lookup) {
    if (!active_ || id >= map_.size()) return lookup();
    uint32_t& m = map_[id];
    if (m == ChunkFutexKeys::kNone) m = lookup();
    return m;
  }
  void stop() { active_ = false; }

 private:
  std::vector<uint32_t> map_;
  bool active_ = false;
};

}  // namespace fxs
