// waitv_entries.h: the futex addresses of a futex_waitv record's vector
// (the __u64 entries after its fxs_futex_rec), as many as the record's size
// holds: one reader for every model and collector part that needs them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bpf/trace_abi.h"

namespace fxs {

// Entries of `r`'s vector that the record (`size` bytes) holds.
inline size_t waitv_entry_count(const fxs_futex_rec& r, size_t size) {
  return size < sizeof(r) ? 0 : std::min<size_t>(r.nr_uaddrs, (size - sizeof(r)) / sizeof(uint64_t));
}

// Entry i (< waitv_entry_count) of the record at `rec`.
inline uint64_t waitv_entry(const void* rec, size_t i) {
  uint64_t a;
  std::memcpy(&a, static_cast<const uint8_t*>(rec) + sizeof(fxs_futex_rec) + i * sizeof(a), sizeof(a));
  return a;
}

// All of them.
inline std::vector<uint64_t> waitv_entries(const fxs_futex_rec& r, const void* rec, size_t size) {
  std::vector<uint64_t> out(waitv_entry_count(r, size));
  if (!out.empty()) std::memcpy(out.data(), static_cast<const uint8_t*>(rec) + sizeof(r), out.size() * sizeof(uint64_t));
  return out;
}

}  // namespace fxs
