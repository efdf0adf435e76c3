// The futex addresses a record from the BPF side names: an FXS_REC_FUTEX's
// uaddr, uaddr2 (when not 0) and futex_waitv entries, an FXS_REC_FUTEX_COUNT's
// uaddr, or an FXS_REC_AGG's key. One place, for every collector part that looks up what an address is
// (collector/page_node_resolver.h, collector/futex_namer.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bpf/trace_abi.h"
#include "replay/futex_index.h"
#include "replay/waitv_entries.h"

namespace fxs {

// Calls fn(tgid, uaddr) for each, in order, until fn returns false; false then.
template <typename Fn>
bool for_each_record_address(const void* data, size_t size, Fn&& fn) {
  fxs_rec_hdr h;
  if (size < sizeof(h)) return true;
  std::memcpy(&h, data, sizeof(h));
  if (h.type == FXS_REC_AGG && size >= sizeof(fxs_agg_rec)) {
    fxs_agg_rec r;
    std::memcpy(&r, data, sizeof(r));
    return fn(r.key.tgid, r.key.uaddr);
  }
  if (h.type == FXS_REC_FUTEX_COUNT && size >= sizeof(fxs_futex_count_rec)) {
    fxs_futex_count_rec r;
    std::memcpy(&r, data, sizeof(r));
    return fn(r.tgid, r.uaddr);
  }
  if (h.type != FXS_REC_FUTEX || size < sizeof(fxs_futex_rec)) return true;
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  if (!fn(r.tgid, r.uaddr)) return false;
  if (r.uaddr2 && !fn(r.tgid, r.uaddr2)) return false;
  if (r.syscall == FXS_SC_FUTEX_WAITV)
    for (size_t i = 0, n = waitv_entry_count(r, size); i < n; i++)
      if (!fn(r.tgid, waitv_entry(data, i))) return false;
  return true;
}

// The addresses of records that no earlier record named, each once: what
// the futex namer and the page-node resolver look up. A hot loop's records
// name the same few thousand futexes again and again, and a lookup of each
// in each of them was a sixth of the collector's CPU (docs/BENCHMARKS.md).
// Past kMax addresses every address passes, as if new (both look them up
// again, as they did without this).
class NewAddresses {
 public:
  static constexpr size_t kMax = size_t{1} << 22;
  // Calls fn(tgid, uaddr) for each new address of the record, until fn returns false; false then.
  template <typename Fn>
  bool for_each_new(const void* data, size_t size, Fn&& fn) {
    return for_each_record_address(data, size, [&](uint32_t tgid, uint64_t uaddr) {
      if (seen_.size() >= kMax) return fn(tgid, uaddr);
      bool fresh = false;
      seen_.find_or_add(tgid, uaddr, &fresh);
      return !fresh || fn(tgid, uaddr);
    });
  }

 private:
  FutexIndex seen_;
};

}  // namespace fxs
