// Who woke whom: pairs each FXS_REC_WAKE (sched_waking of a thread inside a
// futex wait) with the futex it waited on and with the wait's own record, so a
// report can list waker -> waiter edges per futex and split the wait time into
// "asleep until woken" and "woken until the syscall returned" (runqueue delay
// plus kernel exit work).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"

namespace fxs {

struct WakeEdge {
  uint32_t waker_tid = 0;
  uint32_t waiter_tid = 0;
  uint64_t count = 0;
};

struct FutexWakes {
  std::vector<WakeEdge> wakers;    // by count, descending
  uint64_t by_futex_call = 0;      // woken by a thread in a futex wake-type call
  uint64_t by_other = 0;           // woken by anything else: a timer, a signal
  // Waking -> the waiter's syscall exit, for wakes paired with their wait.
  uint64_t latency_samples = 0;
  uint64_t latency_p50_ns = 0, latency_p99_ns = 0, latency_max_ns = 0;
};

class WakeModel {
 public:
  // Takes FXS_REC_WAKE records, and FXS_REC_FUTEX records of waits (to pair them).
  void add(const fxs_rec_hdr* rec);
  // Builds the per-futex results; call once after the last add().
  void finish();
  // Wakes attributed to futex (tgid, uaddr), or nullptr.
  const FutexWakes* find(uint32_t tgid, uint64_t uaddr) const;
  uint64_t wake_records() const { return wake_records_; }
  // Wakes whose futex could not be told (a futex_waitv waiter woken by a non-futex waker).
  uint64_t unattributed() const { return unattributed_; }

 private:
  struct Key {
    uint64_t a, b;
    bool operator==(const Key& o) const { return a == o.a && b == o.b; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return size_t(k.a * 0x9E3779B97F4A7C15ull ^ k.b); }
  };
  struct Pending {
    uint64_t futex_tgid_uaddr_idx;  // index into futexes_
    uint64_t ts_ns;
  };
  struct Accum {
    std::unordered_map<uint64_t, uint64_t> edges;  // (waker_tid << 32 | waiter_tid) -> count
    std::vector<uint64_t> latencies;
    FutexWakes out;
  };

  std::unordered_map<Key, size_t, KeyHash> index_;  // (tgid, uaddr) -> futexes_
  std::vector<Key> keys_;
  std::vector<Accum> futexes_;
  // A wake waiting for its wait's exit: (waiter tid, wait enter_ns) -> wake.
  std::unordered_map<Key, Pending, KeyHash> pending_;
  uint64_t wake_records_ = 0;
  uint64_t unattributed_ = 0;
};

}  // namespace fxs
