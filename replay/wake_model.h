// Who woke whom: pairs each FXS_REC_WAKE (sched_waking of a thread inside a
// futex wait) with the wait's own FXS_REC_FUTEX record, then classifies what
// ended the wait: a futex wake-type call (an edge waker -> waiter), the wait's
// timeout, a signal, or something else. Also: herd sizes (waiters woken per
// wake call) and wake calls that woke nobody. Records may arrive in any order
// (one ring buffer per CPU), so pairing happens in finish().
#pragma once

#include <cstddef>
#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/futex_index.h"
#include "replay/pair_key.h"
#include "replay/record_types.h"
#include "replay/wait_map.h"

namespace fxs {

struct WakeEdge {
  uint32_t waker_tid = 0;
  uint32_t waiter_tid = 0;
  uint64_t count = 0;
};

struct FutexWakes {
  std::vector<WakeEdge> wakers;    // by count, descending
  uint64_t by_futex_wake = 0;      // ended by a thread in a futex wake-type call
  // Contention: the time those waits (by_futex_wake) were blocked, each from its
  // enter to its return: time threads spent on this futex until another thread
  // released it (PI handoffs included). Joins, timeouts and signals are not in it.
  uint64_t contended_wait_ns = 0;
  uint64_t by_timeout = 0;         // the wait returned ETIMEDOUT
  uint64_t by_signal = 0;          // the wait was interrupted
  uint64_t by_thread_exit = 0;     // a thread's exit woke it (CLEARTID, how pthread_join waits)
  uint64_t by_pi_handoff = 0;      // a FUTEX_UNLOCK_PI handed it the PI lock (counted as a waker edge too)
  uint64_t by_other = 0;           // woken, but by none of the above (or the wait is unknown)
  // Of by_futex_wake: waits woken in their waker thread's last wake call
  // on this futex, the thread exiting within WakeModel::kReleasedAtExitNs
  // after (FXS_REC_THREAD_EXIT). When that is
  // all of them, the word is a join by another name (Python's Thread.join,
  // a future set as its thread ends) and contended_wait_ns leaves them out;
  // a lock some threads last release as they end keeps them.
  uint64_t released_at_exit = 0;
  // Every wait a wake call ended was released at exit (and no PI handoff): a join by another name.
  bool join_like() const { return released_at_exit && released_at_exit == by_futex_wake && !by_pi_handoff; }
  std::map<uint64_t, uint64_t> herd_sizes;  // waiters woken by one wake call -> calls
  uint64_t empty_wakes = 0;        // wake calls that woke nobody
  // Waking -> the waiter's syscall exit (runqueue delay plus kernel exit work).
  uint64_t latency_samples = 0;
  uint64_t latency_p50_ns = 0, latency_p99_ns = 0, latency_max_ns = 0;
};

// One waiter a futex wake-type call woke, as finish() attributed it (for
// replay/numa_model.h): the CPUs tell the nodes.
struct AttributedWake {
  uint32_t tgid = 0;            // the woken thread's process
  uint64_t uaddr = 0;           // the futex it is counted on
  uint32_t waker_tgid = 0, waker_tid = 0, waiter_tid = 0;
  // Which calls (replay/wake_flows.h draws the arrow): the waker's call is
  // the one of waker_tid running at wake_ts_ns (its sched_waking, or the
  // call's own enter for a wait dequeued before it slept), the wait the one
  // of waiter_tid that entered at wait_enter_ns.
  uint64_t wake_ts_ns = 0;
  uint64_t wait_enter_ns = 0;
  int32_t waker_cpu = -1;       // where the waker ran the wake-up; -1 unknown
  int32_t waiter_cpu = -1;      // where the woken wait returned (exit_cpu); -1 unknown
  bool has_latency = false;     // a sched_waking was seen and the wait's return
  uint64_t latency_ns = 0;      // waking -> the wait's return
};

using WakesByFutex = std::unordered_map<PairKey, FutexWakes, PairKeyHash>;  // key: {tgid, uaddr}

class WakeModel {
 public:
  // The record types add() reads.
  static constexpr RecordTypes kReads{FXS_REC_WAKE, FXS_REC_FUTEX, FXS_REC_THREAD_EXIT};
  // Number the waits with `keys` (a PairingModels' shared numbering; must
  // outlive the model) instead of the model's own.
  void share_wait_keys(WaitKeys* keys) { keys_.share(keys); }
  // A wake in its waker thread's last wake call on the futex, this close
  // before that thread's exit, released the wait as the thread ended
  // (FutexWakes::released_at_exit). Generous: a Python thread that releases
  // its join lock then waits for the GIL (5 ms switches) before it exits.
  static constexpr uint64_t kReleasedAtExitNs = 100'000'000;
  // Takes FXS_REC_WAKE, FXS_REC_FUTEX and FXS_REC_THREAD_EXIT records; ignores the rest.
  void add(const fxs_rec_hdr* rec);
  // Pairs and classifies; call once after the last add(). `on_wake` (optional)
  // sees every wake attributed to a futex wake-type call (woken_by.futex_wake
  // and woken_by.pi_handoff), once.
  void finish(const std::function<void(const AttributedWake&)>& on_wake = nullptr);
  // Results for futex (tgid, uaddr), or nullptr.
  const FutexWakes* find(uint32_t tgid, uint64_t uaddr) const;
  // After finish(): every futex's results, by PairKey{tgid, uaddr}.
  WakesByFutex results() const;
  uint64_t wake_records() const { return wake_records_; }
  // Wakes whose futex could not be told (a futex_waitv waiter woken by a non-futex waker).
  uint64_t unattributed() const { return unattributed_; }

 private:
  using Key = PairKey;
  static constexpr uint32_t kVectorWait = UINT32_MAX;  // a futex_waitv waiter: futexes from its record
  struct Wake {
    uint32_t futex;        // index into futexes_, or kVectorWait
    uint32_t tgid;         // the woken thread's
    uint32_t waker_tgid;
    uint32_t waker_tid;
    uint32_t waiter_tid;
    bool by_wake_call;     // the waker was inside a futex wake-type call
    bool by_pi_handoff;    // ... a FUTEX_UNLOCK_PI, which hands the lock to the waiter it wakes
    bool by_exit;          // the waker was exiting (CLEARTID: pthread_join's wake)
    uint16_t cpu;          // the waker's CPU
    uint64_t ts_ns;
    uint64_t wait_enter_ns;
  };
  struct WaitEnd {
    uint64_t exit_ns;
    int32_t ret;
    uint32_t tgid;
    uint16_t exit_cpu;
    uint64_t uaddr;                // 0 for futex_waitv
    bool paired = false;           // a wake record named this wait
    std::vector<uint64_t> vector;  // futex_waitv: every address it waited on
  };
  struct Accum {
    std::unordered_map<uint64_t, uint64_t> edges;  // (waker_tid << 32 | waiter_tid) -> count
    std::vector<uint64_t> latencies;
    uint64_t released_at_exit_ns = 0;  // the time of the released_at_exit waits
    FutexWakes out;
  };

  uint32_t futex_index(uint32_t tgid, uint64_t uaddr);
  void add_wake(const fxs_wake_rec& w);
  void add_call(const fxs_futex_rec& r, const fxs_rec_hdr* h);
  void classify(const Wake& w, uint32_t futex, const WaitEnd* end);
  void pair_unobserved_wakes();
  // The wake at `ts_ns` by `tid` on futex `futex` was in tid's last wake
  // call there, and tid exited within kReleasedAtExitNs after it (exits_
  // sorted, wake_calls_ indexed).
  bool released_at_exit(uint32_t futex, uint32_t tid, uint64_t ts_ns);
  // The time of a wait a wake call ended, on futex `futex` (released_at_exit when its waker then exited).
  void count_contended(uint32_t futex, uint32_t waker_tid, uint64_t wake_ns, uint64_t wait_enter_ns,
                       uint64_t wait_exit_ns);
  std::vector<std::pair<uint32_t, uint64_t>> exits_;  // (tid, ts_ns) of FXS_REC_THREAD_EXIT
  std::function<void(const AttributedWake&)> on_wake_;
  std::vector<uint64_t> futex_uaddrs_;  // futexes_ index -> uaddr (for AttributedWake)
  std::vector<uint32_t> futex_tgids_;   // futexes_ index -> tgid

  // A wake-type call that woke `remaining` waiters not yet paired with a wait.
  struct WakeCall {
    uint64_t enter_ns, exit_ns;
    uint32_t tid;
    uint16_t cpu;          // enter_cpu
    uint64_t remaining;
  };
  // One futex's wake calls, indexed in finish() so that pairing a wake
  // record or a wait with its call is a binary search, not a scan.
  struct CallsOfFutex {
    std::vector<WakeCall> by_enter;  // sorted by enter_ns after index()
    std::vector<uint32_t> by_tid;    // indices into by_enter, by (tid, enter_ns)
    std::vector<uint32_t> next_live; // live_from()'s skip links over exhausted calls
    void index();
    // One wake fewer left on tid's call that contains ts_ns, if it has any.
    void take_one(uint32_t tid, uint64_t ts_ns);
    // The first call at or after i with wakes left (by_enter.size() if none).
    size_t live_from(size_t i);
  };
  // Calls that ended before a wait began are stepped over at most this many
  // times per wait (only overlapping calls of other threads are there).
  static constexpr size_t kMaxOverlapSteps = 256;
  std::unordered_map<uint32_t, CallsOfFutex> wake_calls_;  // futexes_ index ->

  FutexIndex index_;  // (tgid, uaddr) -> futexes_ (open addressing: a lookup per call)
  std::vector<Accum> futexes_;
  std::vector<Wake, HugePageAllocator<Wake>> wakes_;
  WaitNumbering keys_;
  WaitKeys& keys() { return keys_.get(); }
  const WaitKeys& keys() const { return keys_.get(); }
  WaitMap<WaitEnd> wait_ends_;  // (tid, enter_ns) of waits that queued, in record order
  uint64_t wake_records_ = 0;
  uint64_t unattributed_ = 0;
};

}  // namespace fxs
