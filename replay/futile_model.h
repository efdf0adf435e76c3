// Futile wakeups: a waiter that a wake released but that went straight back
// to waiting on the same futex (it lost the race for the lock, or its
// condition was not met). Read from the futex records alone: a wait that
// returned 0 (woken) is futile when the same thread's very next futex call is
// a wait on the same futex, with no other futex call in between (a waiter that
// got a contended lock calls FUTEX_WAKE on it when it unlocks). No time window:
// a futile retry may be preempted for a long while before it waits again.
// Limit: a condvar consumer that handles its item and waits again without any
// futex call in between counts as futile. Waits filtered by --min-wait are not
// in the trace, so such a trace undercounts the waits that follow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/pair_key.h"
#include "replay/futex_index.h"

namespace fxs {

struct FutileWakes {
  uint64_t woken_waits = 0;  // waits that returned 0 after a wake (not PI, not futex_waitv)
  uint64_t futile = 0;       // ... whose thread's next futex call was a wait on the same futex
};

class FutileModel {
 public:
  // Takes FXS_REC_FUTEX records; ignores the rest.
  void add(const fxs_rec_hdr* rec);
  // Counts what is still open; call once after the last add().
  void finish();
  const FutileWakes* find(uint32_t tgid, uint64_t uaddr) const;
  // Calls that arrived after kWindow later calls of their own thread: not
  // counted. Each CPU's records come in order, but a thread that migrated
  // can have later calls arrive first, as many as the other CPU's ring
  // buffer held when the recorder drained it (a few hundred in the samples,
  // whose threads make a call every few microseconds).
  uint64_t late() const { return late_; }

  // A thread's last kWindow calls (128 KiB) are kept in time order; older ones
  // are counted and dropped, so the model holds at most that per thread
  // rather than 16 bytes per call of the trace.
  static constexpr size_t kWindow = size_t{1} << 13;

 private:
  struct Call {
    uint64_t enter_ns;
    uint32_t futex;  // FutexIndex of (tgid, uaddr); uaddr 0 for futex_waitv
    uint8_t what;    // kWoken | kWait
  };
  static constexpr uint8_t kWoken = 1;  // a plain wait that returned 0
  static constexpr uint8_t kWait = 2;   // any wait-type call
  struct Thread {
    std::vector<Call> calls;  // [first, end) in time order: the last kWindow
    size_t first = 0;
    bool settled_any = false;  // a call was counted and dropped
  };
  // The thread of the previous call (most calls come in runs of one
  // thread); reset when the model is copied, since it points into threads_.
  struct LastThread {
    uint32_t tid = 0;
    Thread* thread = nullptr;
    LastThread() = default;
    LastThread(const LastThread&) {}
    LastThread& operator=(const LastThread&) {
      thread = nullptr;
      return *this;
    }
  };
  Thread& thread(uint32_t tid);
  // Counts `c`, whose thread's next call is `next` (nullptr: none).
  void settle(const Call& c, const Call* next);
  FutexIndex index_;
  std::vector<FutileWakes> futexes_;  // by futex index
  std::unordered_map<uint32_t, Thread> threads_;
  LastThread last_;
  uint64_t late_ = 0;
};

}  // namespace fxs
