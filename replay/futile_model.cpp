#include "replay/futile_model.h"

#include <algorithm>
#include <cstring>

#include "replay/futex_ops.h"
#include "replay/trace_format.h"

namespace fxs {
namespace {

// Waits whose 0 return means "a wake released me" (PI waits return 0 holding the lock).
bool plain_wait(uint8_t opi) {
  return opi == FXS_OP_FUTEX_WAIT || opi == FXS_OP_FUTEX_WAIT_BITSET || opi == FXS_OP_FUTEX2_WAIT;
}

}  // namespace

void FutileModel::add(const fxs_rec_hdr* h) {
  fxs_futex_rec r;
  if (h->type != FXS_REC_FUTEX || !read_record(h, r)) return;
  if (!r.enter_ns) return;  // began before tracing: its place in the thread's order is unknown
  const uint64_t uaddr = r.opi == FXS_OP_FUTEX2_WAITV ? 0 : r.uaddr;
  bool added = false;
  uint32_t futex = index_.find_or_add(r.tgid, uaddr, &added);
  if (added) keys_.emplace_back(r.tgid, uaddr);
  uint8_t what = (is_wait_op(r.opi) ? kWait : 0) | (plain_wait(r.opi) && r.ret == 0 ? kWoken : 0);
  // A thread's calls come in runs (a chunk of one CPU): the previous
  // thread's store is looked up once per run (map nodes do not move).
  if (!last_calls_ || last_tid_ != r.tid) {
    last_calls_ = &by_tid_[r.tid];
    last_tid_ = r.tid;
  }
  last_calls_->push_back({r.enter_ns, futex, what});
}

void FutileModel::count(const Call& c, const Call* next) {
  if (!(c.what & kWoken)) return;
  FutileWakes& f = futexes_[Key{keys_[c.futex].first, keys_[c.futex].second}];
  f.woken_waits++;
  if (next && (next->what & kWait) && next->futex == c.futex) f.futile++;
}

void FutileModel::finish() {
  for (auto& [tid, calls] : by_tid_) {
    // Most threads' calls arrive in order (a thread that migrated between
    // CPUs can have a later call arrive first): only those need the sort.
    bool sorted = true;
    const Call* prev = nullptr;
    calls.for_each([&](const Call& c) {
      sorted = sorted && (!prev || prev->enter_ns <= c.enter_ns);
      prev = &c;
    });
    if (sorted) {
      prev = nullptr;
      calls.for_each([&](const Call& c) {
        if (prev) count(*prev, &c);
        prev = &c;
      });
      if (prev) count(*prev, nullptr);
      continue;
    }
    std::vector<Call> v = calls.to_vector();
    std::sort(v.begin(), v.end(), [](const Call& a, const Call& b) { return a.enter_ns < b.enter_ns; });
    for (size_t i = 0; i < v.size(); i++) count(v[i], i + 1 < v.size() ? &v[i + 1] : nullptr);
  }
  by_tid_.clear();
  last_calls_ = nullptr;
}

const FutileWakes* FutileModel::find(uint32_t tgid, uint64_t uaddr) const {
  auto it = futexes_.find(Key{tgid, uaddr});
  return it == futexes_.end() ? nullptr : &it->second;
}

}  // namespace fxs
