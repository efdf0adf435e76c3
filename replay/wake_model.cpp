#include "replay/wake_model.h"

#include <algorithm>
#include <cstring>

#include "replay/futex_ops.h"

namespace fxs {
namespace {

uint64_t nearest_rank(std::vector<uint64_t>& v, unsigned pct) {
  if (v.empty()) return 0;
  size_t rank = (v.size() * pct + 99) / 100;
  if (rank == 0) rank = 1;
  std::nth_element(v.begin(), v.begin() + long(rank - 1), v.end());
  return v[rank - 1];
}

}  // namespace

void WakeModel::add(const fxs_rec_hdr* h) {
  if (h->type == FXS_REC_WAKE && h->size >= sizeof(fxs_wake_rec)) {
    fxs_wake_rec w;
    std::memcpy(&w, h, sizeof(w));
    wake_records_++;
    const bool by_futex = w.waker_opi != FXS_OP_NONE;
    // The waiter's own address; a futex_waitv waiter (no single address) is
    // attributed to the address its waker's call named, in the same process.
    uint64_t uaddr = w.wakee_uaddr;
    if (!uaddr && by_futex && w.waker_tgid == w.wakee_tgid) uaddr = w.waker_uaddr;
    if (!uaddr) {
      unattributed_++;
      return;
    }
    Key key{w.wakee_tgid, uaddr};
    auto [it, fresh] = index_.try_emplace(key, futexes_.size());
    if (fresh) {
      futexes_.emplace_back();
      keys_.push_back(key);
    }
    Accum& a = futexes_[it->second];
    if (by_futex) {
      a.out.by_futex_call++;
      a.edges[(uint64_t(w.waker_tid) << 32) | w.wakee_tid]++;
    } else {
      a.out.by_other++;
    }
    if (w.wait_enter_ns) pending_[Key{w.wakee_tid, w.wait_enter_ns}] = Pending{it->second, w.ts_ns};
    return;
  }
  if (h->type == FXS_REC_FUTEX && h->size >= sizeof(fxs_futex_rec) && !pending_.empty()) {
    fxs_futex_rec r;
    std::memcpy(&r, h, sizeof(r));
    if (!r.enter_ns || !is_wait_op(r.opi)) return;
    auto it = pending_.find(Key{r.tid, r.enter_ns});
    if (it == pending_.end()) return;
    if (r.exit_ns >= it->second.ts_ns)
      futexes_[it->second.futex_tgid_uaddr_idx].latencies.push_back(r.exit_ns - it->second.ts_ns);
    pending_.erase(it);
  }
}

void WakeModel::finish() {
  for (Accum& a : futexes_) {
    a.out.wakers.clear();
    for (const auto& [k, n] : a.edges) a.out.wakers.push_back({uint32_t(k >> 32), uint32_t(k), n});
    std::sort(a.out.wakers.begin(), a.out.wakers.end(), [](const WakeEdge& x, const WakeEdge& y) {
      if (x.count != y.count) return x.count > y.count;
      if (x.waker_tid != y.waker_tid) return x.waker_tid < y.waker_tid;
      return x.waiter_tid < y.waiter_tid;
    });
    a.out.latency_samples = a.latencies.size();
    a.out.latency_max_ns = a.latencies.empty() ? 0 : *std::max_element(a.latencies.begin(), a.latencies.end());
    a.out.latency_p50_ns = nearest_rank(a.latencies, 50);
    a.out.latency_p99_ns = nearest_rank(a.latencies, 99);
  }
}

const FutexWakes* WakeModel::find(uint32_t tgid, uint64_t uaddr) const {
  auto it = index_.find(Key{tgid, uaddr});
  return it == index_.end() ? nullptr : &futexes_[it->second].out;
}

}  // namespace fxs
