// The lock-holder view: while a waiter slept in a futex wait (t0 switch-out
// to t1 sched_waking, from FXS_REC_WAIT_SPLIT), the thread whose wake call
// on the same futex woke it (FXS_REC_WAKE) is taken as the one that held the
// lock; from its context switches and wakeups (FXS_REC_SWITCH,
// FXS_REC_WAKEUP) follows how long it spent on a CPU, runnable but waiting
// for one, or blocked during that sleep. A holder that took the lock after
// the waiter fell asleep is charged the whole sleep all the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/pair_key.h"
#include "replay/record_types.h"
#include "replay/wait_map.h"

namespace fxs {

struct HolderTime {
  uint32_t holder_tid = 0;
  uint64_t waits = 0;        // sleeps of waiters it ended
  uint64_t wait_ns = 0;      // their total length (t1 - t0)
  uint64_t on_cpu_ns = 0;    // of which the holder was running
  uint64_t runnable_ns = 0;  // ... runnable (preempted, or woken and not yet running)
  uint64_t blocked_ns = 0;   // ... blocked (asleep in the kernel)
  uint64_t unknown_ns = 0;   // ... before its first context switch in the trace
};

class HolderModel {
 public:
  // The record types add() reads.
  static constexpr RecordTypes kReads{FXS_REC_WAIT_SPLIT, FXS_REC_WAKE, FXS_REC_SWITCH, FXS_REC_WAKEUP};
  // Number the waits with `keys` (a PairingModels' shared numbering; must
  // outlive the model) instead of the model's own.
  void share_wait_keys(WaitKeys* keys) { keys_.share(keys); }
  // Takes FXS_REC_WAIT_SPLIT, FXS_REC_WAKE, FXS_REC_SWITCH, FXS_REC_WAKEUP; ignores the rest.
  void add(const fxs_rec_hdr* rec);
  // Builds the timelines and charges each sleep; call once after the last add().
  void finish();
  // Holders of futex (tgid, uaddr) by wait_ns, descending; empty if none.
  const std::vector<HolderTime>* find(uint32_t tgid, uint64_t uaddr) const;

 private:
  using Key = PairKey;
  using KeyHash = PairKeyHash;
  enum class State : uint8_t { kUnknown, kRunning, kRunnable, kBlocked };
  struct Event {
    uint64_t ts;
    uint8_t what;  // 0 switched in, 1 out runnable, 2 out blocked, 3 woken up
  };
  struct Sleep {
    uint64_t t0, t1, uaddr;
    uint32_t tgid;
    uint16_t sleeps;
  };
  struct Waker {
    uint64_t ts;
    uint32_t tid;
  };
  void charge(const std::vector<Event>& timeline, uint64_t from, uint64_t to, HolderTime& h) const;

  WaitNumbering keys_;
  WaitKeys& keys() { return keys_.get(); }
  const WaitKeys& keys() const { return keys_.get(); }
  WaitMap<Sleep> sleeps_;     // (tid, wait_enter_ns) -> last sleep
  WaitMap<Waker> wakers_;     // (tid, wait_enter_ns) -> latest futex waker
  std::unordered_map<uint32_t, std::vector<Event>> timelines_;  // tid ->
  std::unordered_map<Key, std::vector<HolderTime>, KeyHash> futexes_;  // (tgid, uaddr) ->
};

}  // namespace fxs
