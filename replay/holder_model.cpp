#include "replay/holder_model.h"

#include <algorithm>
#include <cstring>

#include "replay/futex_ops.h"
#include "replay/trace_format.h"

namespace fxs {

void HolderModel::add(const fxs_rec_hdr* h) {
  switch (h->type) {
    case FXS_REC_WAIT_SPLIT: {
      fxs_wait_split_rec s;
      if (!read_record(h, s)) return;
      if (!s.waking_ns || !s.uaddr) return;
      const Sleep sleep{s.sleep_ns, s.waking_ns, s.uaddr, s.tgid, s.sleeps};
      auto [it, fresh] = sleeps_.try_emplace(keys(), s.tid, s.wait_enter_ns, sleep);
      if (!fresh && s.sleeps >= it->sleeps) *it = sleep;
      break;
    }
    case FXS_REC_WAKE: {
      fxs_wake_rec w;
      if (!read_record(h, w)) return;
      // Only a wake call on the waiter's own futex, in its own process, names a holder.
      if (w.waker_opi == FXS_OP_NONE || !is_wake_or_requeue_op(w.waker_opi)) return;
      if (!w.wakee_uaddr || w.waker_uaddr != w.wakee_uaddr || w.waker_tgid != w.wakee_tgid) return;
      auto [it, fresh] = wakers_.try_emplace(keys(), w.wakee_tid, w.wait_enter_ns, Waker{w.ts_ns, w.waker_tid});
      if (!fresh && w.ts_ns >= it->ts) *it = {w.ts_ns, w.waker_tid};
      break;
    }
    case FXS_REC_SWITCH: {
      fxs_switch_rec r;
      if (!read_record(h, r)) return;
      if (r.flags & FXS_SWITCH_PREV_TRACED) {
        const bool runnable = (r.flags & FXS_SWITCH_PREEMPT) || r.prev_state == 0;
        timelines_[r.prev_tid].push_back({r.ts_ns, uint8_t(runnable ? 1 : 2)});
      }
      if (r.flags & FXS_SWITCH_NEXT_TRACED) timelines_[r.next_tid].push_back({r.ts_ns, 0});
      break;
    }
    case FXS_REC_WAKEUP: {
      fxs_wakeup_rec r;
      if (!read_record(h, r)) return;
      timelines_[r.tid].push_back({r.ts_ns, 3});
      break;
    }
    default: break;
  }
}

// Adds to `h` the holder's time in each state over [from, to).
void HolderModel::charge(const std::vector<Event>& tl, uint64_t from, uint64_t to, HolderTime& h) const {
  auto it = std::upper_bound(tl.begin(), tl.end(), from, [](uint64_t t, const Event& e) { return t < e.ts; });
  auto next_state = [](State s, uint8_t what) {
    switch (what) {
      case 0: return State::kRunning;
      case 1: return State::kRunnable;
      case 2: return State::kBlocked;
      default: return s == State::kBlocked || s == State::kUnknown ? State::kRunnable : s;  // woken up
    }
  };
  // The state at `from`: after the last event at or before it.
  State s = State::kUnknown;
  if (it != tl.begin()) {
    // Replaying from the start would be O(n); the last switch fixes the state,
    // a later wakeup moves blocked to runnable.
    auto back = it;
    while (back != tl.begin()) {
      --back;
      if (back->what != 3) break;
    }
    s = next_state(State::kUnknown, back->what);
    for (auto e = back + 1; e != it; ++e) s = next_state(s, e->what);
  }
  uint64_t t = from;
  auto add = [&](uint64_t until) {
    const uint64_t d = until - t;
    switch (s) {
      case State::kRunning: h.on_cpu_ns += d; break;
      case State::kRunnable: h.runnable_ns += d; break;
      case State::kBlocked: h.blocked_ns += d; break;
      case State::kUnknown: h.unknown_ns += d; break;
    }
    t = until;
  };
  for (; it != tl.end() && it->ts < to; ++it) {
    add(it->ts);
    s = next_state(s, it->what);
  }
  add(to);
}

void HolderModel::finish() {
  for (auto& [tid, tl] : timelines_)
    std::stable_sort(tl.begin(), tl.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  std::unordered_map<Key, std::unordered_map<uint32_t, HolderTime>, KeyHash> acc;
  static const std::vector<Event> kNone;
  for (const auto& [tid, wait_enter_ns, sl] : sleeps_) {
    const Waker* w = wakers_.find(keys(), tid, wait_enter_ns);
    if (!w || sl.t1 < sl.t0) continue;
    HolderTime& h = acc[Key{sl.tgid, sl.uaddr}][w->tid];
    h.holder_tid = w->tid;
    h.waits++;
    h.wait_ns += sl.t1 - sl.t0;
    auto tl = timelines_.find(w->tid);
    charge(tl == timelines_.end() ? kNone : tl->second, sl.t0, sl.t1, h);
  }
  for (auto& [key, holders] : acc) {
    std::vector<HolderTime>& v = futexes_[key];
    for (auto& [tid, h] : holders) v.push_back(h);
    std::sort(v.begin(), v.end(), [](const HolderTime& a, const HolderTime& b) {
      return a.wait_ns != b.wait_ns ? a.wait_ns > b.wait_ns : a.holder_tid < b.holder_tid;
    });
  }
  sleeps_.clear();
  wakers_.clear();
  timelines_.clear();
}

const std::vector<HolderTime>* HolderModel::find(uint32_t tgid, uint64_t uaddr) const {
  auto it = futexes_.find(Key{tgid, uaddr});
  return it == futexes_.end() ? nullptr : &it->second;
}

}  // namespace fxs
