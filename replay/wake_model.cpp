#include "replay/wake_model.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <utility>

#include "replay/durations.h"
#include "replay/futex_ops.h"
#include "replay/percentile.h"
#include "replay/trace_format.h"
#include "replay/waitv_entries.h"

namespace fxs {
namespace {

}  // namespace

uint32_t WakeModel::futex_index(uint32_t tgid, uint64_t uaddr) {
  bool fresh = false;
  const uint32_t i = index_.find_or_add(tgid, uaddr, &fresh);
  if (fresh) {
    futexes_.emplace_back();
    futex_uaddrs_.push_back(uaddr);
    futex_tgids_.push_back(tgid);
  }
  return i;
}

void WakeModel::add(const fxs_rec_hdr* h) {
  if (fxs_wake_rec w; h->type == FXS_REC_WAKE && read_record(h, w)) {
    add_wake(w);
  } else if (fxs_futex_rec r; h->type == FXS_REC_FUTEX && read_record(h, r)) {
    add_call(r, h);
  } else if (fxs_thread_exit_rec e; h->type == FXS_REC_THREAD_EXIT && read_record(h, e)) {
    exits_.emplace_back(e.tid, e.ts_ns);
  }
}

bool WakeModel::released_at_exit(uint32_t futex, uint32_t tid, uint64_t ts_ns) {
  auto exit = std::lower_bound(exits_.begin(), exits_.end(), std::pair{tid, ts_ns});
  if (exit == exits_.end() || exit->first != tid || exit->second - ts_ns > kReleasedAtExitNs) return false;
  // Its last wake call on this futex: a lock it released again and again is not released at exit.
  auto calls = wake_calls_.find(futex);
  if (calls == wake_calls_.end()) return true;
  const CallsOfFutex& cf = calls->second;
  auto after = std::upper_bound(cf.by_tid.begin(), cf.by_tid.end(), tid,
                                [&](uint32_t t, uint32_t i) { return t < cf.by_enter[i].tid; });
  if (after == cf.by_tid.begin() || cf.by_enter[*std::prev(after)].tid != tid) return true;
  return ts_ns >= cf.by_enter[*std::prev(after)].enter_ns;
}

void WakeModel::count_contended(uint32_t futex, uint32_t waker_tid, uint64_t wake_ns, uint64_t wait_enter_ns,
                                uint64_t wait_exit_ns) {
  Accum& a = futexes_[futex];
  const bool at_exit = released_at_exit(futex, waker_tid, wake_ns);
  if (at_exit) a.out.released_at_exit++;
  if (auto span = plausible_span(wait_enter_ns, wait_exit_ns))
    (void)add_saturating(at_exit ? a.released_at_exit_ns : a.out.contended_wait_ns, *span);
}

void WakeModel::add_wake(const fxs_wake_rec& w) {
  wake_records_++;
  // FUTEX_UNLOCK_PI wakes the lock's top waiter and hands it the lock: a wake call too.
  const bool by_pi_handoff = w.waker_opi == FXS_OP_FUTEX_UNLOCK_PI;
  const bool by_wake_call = by_pi_handoff || (w.waker_opi != FXS_OP_NONE &&
                                              is_wake_or_requeue_op(w.waker_opi));
  // The waiter's own address; a futex_waitv waiter (no single address) is
  // attributed to the address its waker's call named, in the same process.
  uint64_t uaddr = w.wakee_uaddr;
  if (!uaddr && by_wake_call && w.waker_tgid == w.wakee_tgid) uaddr = w.waker_uaddr;
  uint32_t futex = uaddr ? futex_index(w.wakee_tgid, uaddr) : kVectorWait;
  const bool by_exit = !by_wake_call && (w.flags & FXS_WAKE_F_WAKER_EXITING);
  wakes_.push_back({futex, w.wakee_tgid, w.waker_tgid, w.waker_tid, w.wakee_tid, by_wake_call, by_pi_handoff, by_exit, w.cpu,
                    w.ts_ns, w.wait_enter_ns});
}

void WakeModel::add_call(const fxs_futex_rec& r, const fxs_rec_hdr* h) {
  if (is_wait_op(r.opi)) {
    WaitOutcome o = wait_outcome(r.ret);
    if (!r.enter_ns || o == WaitOutcome::kEagain || o == WaitOutcome::kNotCounted) return;
    WaitEnd& end = *wait_ends_.try_emplace(keys(), r.tid, r.enter_ns).first;
    end.exit_ns = r.exit_ns;
    end.ret = r.ret;
    end.tgid = r.tgid;
    end.exit_cpu = r.exit_cpu;
    end.uaddr = r.opi == FXS_OP_FUTEX2_WAITV ? 0 : r.uaddr;
    if (r.opi == FXS_OP_FUTEX2_WAITV) end.vector = waitv_entries(r, h, h->size);
    return;
  }
  // Herd sizes: how many waiters each wake call woke on its first address.
  if (!is_wake_or_requeue_op(r.opi) || r.ret < 0) return;  // a failed call is not a wake
  const uint64_t woken = waiters_woken(r.opi, r.ret, r.val, r.val3);
  uint32_t futex = futex_index(r.tgid, r.uaddr);
  FutexWakes& out = futexes_[futex].out;
  if (woken) out.herd_sizes[woken]++;
  else out.empty_wakes++;
  if (woken && r.enter_ns) wake_calls_[futex].by_enter.push_back({r.enter_ns, r.exit_ns, r.tid, r.enter_cpu, woken});
}

// What ended the wait `w` woke, counted on futex `futex`.
void WakeModel::classify(const Wake& w, uint32_t futex, const WaitEnd* end) {
  Accum& a = futexes_[futex];
  if (end && end->ret == kRetETIMEDOUT) {
    a.out.by_timeout++;
  } else if (end && is_interrupted(end->ret)) {
    a.out.by_signal++;
  } else if (w.by_wake_call) {
    (w.by_pi_handoff ? a.out.by_pi_handoff : a.out.by_futex_wake)++;
    if (end) {
      if (w.by_pi_handoff) {  // a lock handed over: contention whenever its owner goes
        if (auto span = plausible_span(w.wait_enter_ns, end->exit_ns)) (void)add_saturating(a.out.contended_wait_ns, *span);
      } else {
        count_contended(futex, w.waker_tid, w.ts_ns, w.wait_enter_ns, end->exit_ns);
      }
    }
    a.edges[(uint64_t(w.waker_tid) << 32) | w.waiter_tid]++;
    if (on_wake_) {
      AttributedWake aw;
      aw.tgid = w.tgid;
      aw.uaddr = futex_uaddrs_[futex];
      aw.waker_tgid = w.waker_tgid;
      aw.waker_tid = w.waker_tid;
      aw.waiter_tid = w.waiter_tid;
      aw.wake_ts_ns = w.ts_ns;
      aw.wait_enter_ns = w.wait_enter_ns;
      aw.waker_cpu = w.cpu;
      aw.waiter_cpu = end ? end->exit_cpu : -1;
      aw.has_latency = end && end->exit_ns >= w.ts_ns;
      aw.latency_ns = aw.has_latency ? end->exit_ns - w.ts_ns : 0;
      on_wake_(aw);
    }
  } else if (w.by_exit) {
    a.out.by_thread_exit++;
  } else {
    a.out.by_other++;
  }
  if (end && end->exit_ns >= w.ts_ns) a.latencies.push_back(end->exit_ns - w.ts_ns);
}

// Waits that a wake call dequeued before they fell asleep produce no
// sched_waking (the waiter was still running), yet the call counted them as
// woken. Pair each such wait (returned >= 0, no wake record) with a wake call
// on the same futex that overlapped it and still has unpaired wakes.
void WakeModel::pair_unobserved_wakes() {
  for (const auto& [waiter_tid, wait_enter, end] : wait_ends_) {
    if (end.paired || end.ret < 0 || !end.uaddr) continue;
    const uint32_t idx = index_.find(end.tgid, end.uaddr);
    if (idx == FutexIndex::kNone) continue;
    auto calls = wake_calls_.find(idx);
    if (calls == wake_calls_.end()) continue;
    CallsOfFutex& cf = calls->second;
    std::vector<WakeCall>& v = cf.by_enter;
    // The earliest call that entered before the wait ended and left after it began.
    auto wholly_before = [](const WakeCall& c, uint64_t t) { return c.exit_ns < t && c.enter_ns < t; };
    size_t first = size_t(std::lower_bound(v.begin(), v.end(), wait_enter, wholly_before) - v.begin());
    // Calls with no wake left are stepped over through next_live (path
    // compression), and calls that ended before the wait began at most
    // kMaxOverlapSteps times: no wait scans the whole futex's calls.
    size_t steps = 0;
    for (size_t i = cf.live_from(first); i < v.size() && v[i].enter_ns <= end.exit_ns; i = cf.live_from(i + 1)) {
      WakeCall* c = &v[i];
      if (c->exit_ns < wait_enter) {
        if (++steps > kMaxOverlapSteps) break;
        continue;
      }
      c->remaining--;
      Accum& a = futexes_[idx];
      a.out.by_futex_wake++;
      count_contended(idx, c->tid, c->enter_ns, wait_enter, end.exit_ns);
      a.edges[(uint64_t(c->tid) << 32) | waiter_tid]++;
      if (on_wake_) {
        // No sched_waking: the waker's node is that of its call, no latency.
        AttributedWake aw;
        aw.tgid = end.tgid;
        aw.uaddr = end.uaddr;
        aw.waker_tgid = end.tgid;  // the call is on the wait's own (tgid, uaddr)
        aw.waker_tid = c->tid;
        aw.waiter_tid = waiter_tid;
        aw.wake_ts_ns = c->enter_ns;
        aw.wait_enter_ns = wait_enter;
        aw.waker_cpu = c->cpu;
        aw.waiter_cpu = end.exit_cpu;
        on_wake_(aw);
      }
      break;
    }
  }
}

void WakeModel::CallsOfFutex::index() {
  std::sort(by_enter.begin(), by_enter.end(),
            [](const WakeCall& a, const WakeCall& b) { return a.enter_ns < b.enter_ns; });
  by_tid.resize(by_enter.size());
  for (uint32_t i = 0; i < by_tid.size(); i++) by_tid[i] = i;
  std::sort(by_tid.begin(), by_tid.end(), [&](uint32_t a, uint32_t b) {
    const WakeCall &x = by_enter[a], &y = by_enter[b];
    return x.tid != y.tid ? x.tid < y.tid : x.enter_ns < y.enter_ns;
  });
  next_live.resize(by_enter.size() + 1);
  for (uint32_t i = 0; i < next_live.size(); i++) next_live[i] = i;
}

void WakeModel::CallsOfFutex::take_one(uint32_t tid, uint64_t ts_ns) {
  // A thread makes one call at a time: its call that contains ts_ns is its
  // last one that entered at or before ts_ns.
  auto it = std::upper_bound(by_tid.begin(), by_tid.end(), std::pair{tid, ts_ns},
                             [&](const std::pair<uint32_t, uint64_t>& k, uint32_t i) {
                               const WakeCall& c = by_enter[i];
                               return k.first != c.tid ? k.first < c.tid : k.second < c.enter_ns;
                             });
  if (it == by_tid.begin()) return;
  WakeCall& c = by_enter[*std::prev(it)];
  if (c.tid == tid && ts_ns <= c.exit_ns && c.remaining) c.remaining--;
}

size_t WakeModel::CallsOfFutex::live_from(size_t i) {
  // The first call at or after i with wakes left. A call found exhausted
  // points past itself from then on, and every call on the walked path is
  // pointed straight at the answer (path compression): near-constant time.
  size_t r = i;
  for (;;) {
    if (next_live[r] != r) {
      r = next_live[r];
    } else if (r < by_enter.size() && by_enter[r].remaining == 0) {
      next_live[r] = uint32_t(r + 1);
      r++;
    } else {
      break;
    }
  }
  while (i != r) i = std::exchange(next_live[i], uint32_t(r));
  return r;
}

void WakeModel::finish(const std::function<void(const AttributedWake&)>& on_wake) {
  on_wake_ = on_wake;
  std::sort(exits_.begin(), exits_.end());
  for (auto& [futex, calls] : wake_calls_) calls.index();
  for (const Wake& w : wakes_) {
    WaitEnd* end = w.wait_enter_ns ? wait_ends_.find(keys(), w.waiter_tid, w.wait_enter_ns) : nullptr;
    if (end) end->paired = true;
    // The wake call that produced this record has one wake fewer left to pair.
    if (w.by_wake_call && w.futex != kVectorWait) {
      auto calls = wake_calls_.find(w.futex);
      if (calls != wake_calls_.end()) calls->second.take_one(w.waker_tid, w.ts_ns);
    }
    if (w.futex != kVectorWait) {
      classify(w, w.futex, end);
    } else if (end && !end->vector.empty()) {
      // A futex_waitv wait ended by a timeout or a signal ended on every address it named.
      for (uint64_t uaddr : end->vector) classify(w, futex_index(w.tgid, uaddr), end);
    } else {
      unattributed_++;
    }
  }
  // A wait that timed out or was interrupted ended so whether or not a wake
  // record named it: the timer or signal can come before the waiter slept,
  // and then nothing wakes it (seen on 6.1 under qemu for futex_waitv).
  for (const auto& entry : wait_ends_) {
    const WaitEnd& end = entry.value;  // a named reference: clang 14 lambdas cannot capture a binding
    const bool timeout = end.ret == kRetETIMEDOUT;
    if (end.paired || !(timeout || is_interrupted(end.ret))) continue;
    auto count = [&](uint64_t uaddr) {
      const uint32_t futex = futex_index(end.tgid, uaddr);  // may grow futexes_
      FutexWakes& out = futexes_[futex].out;
      (timeout ? out.by_timeout : out.by_signal)++;
    };
    if (end.uaddr) count(end.uaddr);
    for (uint64_t uaddr : end.vector) count(uaddr);
  }
  pair_unobserved_wakes();
  on_wake_ = nullptr;
  wakes_.clear();
  wait_ends_.clear();
  wake_calls_.clear();
  for (Accum& a : futexes_) {
    // Some waits, not all, released as their wakers ended: a lock, contention still.
    if (!a.out.join_like()) (void)add_saturating(a.out.contended_wait_ns, a.released_at_exit_ns);
    for (const auto& [k, n] : a.edges) a.out.wakers.push_back({uint32_t(k >> 32), uint32_t(k), n});
    std::sort(a.out.wakers.begin(), a.out.wakers.end(), [](const WakeEdge& x, const WakeEdge& y) {
      if (x.count != y.count) return x.count > y.count;
      if (x.waker_tid != y.waker_tid) return x.waker_tid < y.waker_tid;
      return x.waiter_tid < y.waiter_tid;
    });
    a.out.latency_samples = a.latencies.size();
    a.out.latency_max_ns = a.latencies.empty() ? 0 : *std::max_element(a.latencies.begin(), a.latencies.end());
    a.out.latency_p50_ns = nearest_rank_pct(a.latencies, 50);
    a.out.latency_p99_ns = nearest_rank_pct(a.latencies, 99);
  }
}

const FutexWakes* WakeModel::find(uint32_t tgid, uint64_t uaddr) const {
  const uint32_t i = index_.find(tgid, uaddr);
  return i == FutexIndex::kNone ? nullptr : &futexes_[i].out;
}

WakesByFutex WakeModel::results() const {
  WakesByFutex out;
  out.reserve(index_.size());
  for (size_t i = 0; i < futexes_.size(); i++) out.emplace(Key{futex_tgids_[i], futex_uaddrs_[i]}, futexes_[i].out);
  return out;
}

}  // namespace fxs
