// stack_sample_weights.h: what a sampled stack stands for. By default the
// BPF side takes the stack of every wait of at least --stack-min-wait, and
// of one in --stack-sample of the shorter ones that returned woken (per
// thread): a contended lock's waits are mostly short, and a stack for each
// costs too much (docs/BENCHMARKS.md). The collector sees every wait, so it
// counts, per (process, thread, futex), the short woken waits that got no
// stack, and when that thread's next sampled wait on that futex arrives it
// writes an FXS_REC_STACK_WEIGHT: the waits (and their time) the sample
// stands for besides itself. When the recording ends, the waits after a
// thread's last stack on a futex go to that stack (flush). The replay adds
// them to their stack, so the stacks of a futex sum to its waits, exactly,
// but for the waits of a thread that never had a stack on that futex (the
// BPF side samples a thread's first short woken wait, so those are few).
// Wake calls the same way: one in --stack-sample of a thread's calls that woke
// anyone has a stack, and FXS_STACK_WEIGHT_WAKER records give it the waiters
// that thread's calls without one woke on that futex since its previous one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/error.h"
#include "replay/pair_key.h"

namespace fxs {

class TraceWriter;

class StackSampleWeights {
 public:
  static constexpr size_t kMaxPending = 1 << 20;
  // stack_min_wait_ns: --stack-min-wait (a wait at least this long has its own stack).
  explicit StackSampleWeights(uint64_t stack_min_wait_ns) : min_wait_ns_(stack_min_wait_ns) {}
  // An FXS_REC_FUTEX as written to the trace (after the DWARF stack swap).
  Status on_record(const void* data, size_t size, TraceWriter& w);
  // At the end: the waits since each thread's last stack on a futex, to that stack.
  Status flush(TraceWriter& w);
  uint64_t weights_written() const { return written_; }

 private:
  struct Pending {
    uint64_t waits = 0, wait_ns = 0;
  };
  struct Stacked {
    int32_t ustack_id = -1;
    std::vector<uint64_t> uaddrs;  // the futexes its wait counted on (a futex_waitv: each entry)
  };
  struct PendingWakes {
    uint64_t wakes = 0, calls = 0;
  };
  // An FXS_REC_STACK_WEIGHT for each address of `stack`.
  Status write_weights(const PairKey& key, const Stacked& stack, uint64_t waits, uint64_t wait_ns, uint32_t flags,
                       TraceWriter& w);
  Status on_wake(const PairKey& key, const fxs_futex_rec& r, TraceWriter& w);
  uint64_t min_wait_ns_;
  // (tgid << 32 | tid, uaddr) -> the short woken waits since that thread's last sample there.
  std::unordered_map<PairKey, Pending, PairKeyHash> pending_;
  // The same key -> the latest wait there that has a stack.
  std::unordered_map<PairKey, Stacked, PairKeyHash> last_;
  // The same for wake calls: the wakes of calls without a stack, and the
  // latest waker stack, by (thread, first address).
  std::unordered_map<PairKey, PendingWakes, PairKeyHash> pending_wakes_;
  std::unordered_map<PairKey, int32_t, PairKeyHash> last_waker_;
  uint64_t written_ = 0;
};

}  // namespace fxs
