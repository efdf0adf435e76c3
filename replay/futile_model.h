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
#include "replay/append_store.h"
#include "replay/pair_key.h"
#include "replay/futex_index.h"
#include "replay/record_types.h"

namespace fxs {

struct FutileWakes {
  uint64_t woken_waits = 0;  // waits that returned 0 after a wake (not PI, not futex_waitv)
  uint64_t futile = 0;       // ... whose thread's next futex call was a wait on the same futex
};

class FutileModel {
 public:
  static constexpr RecordTypes kReads{FXS_REC_FUTEX};  // the record types add() reads
  // Takes FXS_REC_FUTEX records; ignores the rest.
  void add(const fxs_rec_hdr* rec);
  // Orders each thread's calls and counts; call once after the last add().
  void finish();
  const FutileWakes* find(uint32_t tgid, uint64_t uaddr) const;

 private:
  // 16 bytes a call: every call of a trace is kept until finish().
  struct Call {
    uint64_t enter_ns;
    uint32_t futex;  // FutexIndex of (tgid, uaddr); uaddr 0 for futex_waitv
    uint8_t what;    // kWoken | kWait
  };
  static constexpr uint8_t kWoken = 1;  // a plain wait that returned 0
  static constexpr uint8_t kWait = 2;   // any wait-type call
  // Counts `c`, whose thread's next call is `next` (nullptr: none).
  void count(const Call& c, const Call* next);
  FutexIndex index_;
  std::vector<std::pair<uint32_t, uint64_t>> keys_;  // futex index -> (tgid, uaddr)
  using Key = PairKey;
  using KeyHash = PairKeyHash;
  // Blocks that never move and fault in as huge pages: a thread's millions
  // of calls in a vector (regrowth copies, a page fault per 4 KiB) were most
  // of this model's time in the window's loader.
  std::unordered_map<uint32_t, AppendStore<Call>> by_tid_;
  AppendStore<Call>* last_calls_ = nullptr;  // by_tid_[last_tid_]
  uint32_t last_tid_ = 0;
  std::unordered_map<Key, FutileWakes, KeyHash> futexes_;  // (tgid, uaddr)
};

}  // namespace fxs
