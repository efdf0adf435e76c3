#include "replay/futile_model.h"

#include <algorithm>
#include <cstring>

#include "replay/futex_ops.h"

namespace fxs {
namespace {

// Waits whose 0 return means "a wake released me" (PI waits return 0 holding the lock).
bool plain_wait(uint8_t opi) {
  return opi == FXS_OP_FUTEX_WAIT || opi == FXS_OP_FUTEX_WAIT_BITSET || opi == FXS_OP_FUTEX2_WAIT;
}

}  // namespace

FutileModel::Thread& FutileModel::thread(uint32_t tid) {
  if (!last_.thread || last_.tid != tid) {
    last_.tid = tid;
    last_.thread = &threads_[tid];
  }
  return *last_.thread;
}

void FutileModel::settle(const Call& c, const Call* next) {
  if (!(c.what & kWoken)) return;
  FutileWakes& f = futexes_[c.futex];
  f.woken_waits++;
  if (next && (next->what & kWait) && next->futex == c.futex) f.futile++;
}

void FutileModel::add(const fxs_rec_hdr* h) {
  if (h->type != FXS_REC_FUTEX || h->size < sizeof(fxs_futex_rec)) return;
  fxs_futex_rec r;
  std::memcpy(&r, h, sizeof(r));
  if (!r.enter_ns) return;  // began before tracing: its place in the thread's order is unknown
  const uint64_t uaddr = r.opi == FXS_OP_FUTEX2_WAITV ? 0 : r.uaddr;
  bool added = false;
  const uint32_t futex = index_.find_or_add(r.tgid, uaddr, &added);
  if (added) futexes_.emplace_back();
  const Call c{r.enter_ns, futex, uint8_t((is_wait_op(r.opi) ? kWait : 0) | (plain_wait(r.opi) && r.ret == 0 ? kWoken : 0))};
  Thread& t = thread(r.tid);
  if (t.settled_any && c.enter_ns < t.calls[t.first].enter_ns) {
    late_++;  // it belongs before a call whose successor was counted already
    return;
  }
  // In time order; a call that arrived late goes after those of equal time.
  if (t.calls.size() == t.first || t.calls.back().enter_ns <= c.enter_ns) {
    t.calls.push_back(c);
  } else {
    auto at = std::upper_bound(t.calls.begin() + std::ptrdiff_t(t.first), t.calls.end(), c.enter_ns,
                               [](uint64_t ns, const Call& o) { return ns < o.enter_ns; });
    t.calls.insert(at, c);
  }
  if (t.calls.size() - t.first > kWindow) {
    const Call& oldest = t.calls[t.first];
    settle(oldest, &t.calls[t.first + 1]);
    t.settled_any = true;
    if (++t.first >= kWindow) {  // drop the counted ones now and then: one move of 128 KiB per kWindow calls
      t.calls.erase(t.calls.begin(), t.calls.begin() + std::ptrdiff_t(t.first));
      t.first = 0;
    }
  }
}

void FutileModel::finish() {
  for (auto& [tid, t] : threads_)
    for (size_t i = t.first; i < t.calls.size(); i++) settle(t.calls[i], i + 1 < t.calls.size() ? &t.calls[i + 1] : nullptr);
  threads_.clear();
  last_ = LastThread{};
}

const FutileWakes* FutileModel::find(uint32_t tgid, uint64_t uaddr) const {
  const uint32_t i = index_.find(tgid, uaddr);
  if (i == FutexIndex::kNone || i >= futexes_.size()) return nullptr;
  const FutileWakes& f = futexes_[i];
  return f.woken_waits || f.futile ? &f : nullptr;
}

}  // namespace fxs
