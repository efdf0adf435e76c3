// The futex addresses a record from the BPF side names: an FXS_REC_FUTEX's
// uaddr, uaddr2 (when not 0) and futex_waitv entries, or an FXS_REC_AGG's
// key. One place, for every collector part that looks up what an address is
// (collector/page_node_resolver.h, collector/futex_namer.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bpf/trace_abi.h"
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

}  // namespace fxs
