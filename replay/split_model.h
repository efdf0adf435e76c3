// The latency split of futex waits that slept (FXS_REC_WAIT_SPLIT, from
// bpf/sched_split.bpf.h) joined with each wait's own FXS_REC_FUTEX (t4, its
// exit): per futex, percentiles of
//   waiting     t1 - t0  switch-out to sched_waking: until someone woke it
//   wake_to_run t3 - t1  sched_waking to switch-in
//   runqueue    t3 - t2  sched_wakeup to switch-in: runnable, not running
//   exit        t4 - t3  switch-in to the system call's return
// Records arrive in any order (one ring per CPU): pairing happens in finish().
// A wait that slept but has no split record because the kernel never
// delivered the switch that brought it back (seen on this VM: no consumer,
// ftrace included, gets it) is still found: its sleeping switch-out is in
// the FXS_REC_SWITCH stream between its enter and exit; it counts in
// `samples` as `incomplete` and `no_switch_in`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <array>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/pair_key.h"
#include "replay/record_types.h"
#include "replay/wait_map.h"

namespace fxs {

struct Percentiles {
  uint64_t p50 = 0, p99 = 0, max = 0;
};

// A kernel stack where waits slept (FXS_REC_STACK with tgid 0), innermost first.
struct KernelStack {
  std::vector<std::string> frames;  // "function+0x1c"; empty if the stack record is missing
  int32_t id = -1;
  uint64_t waits = 0;
  uint64_t sleep_ns = 0;  // t3 - t0 of those waits
};

struct WaitSplit {
  uint64_t samples = 0;     // waits that slept and whose own record was found
  uint64_t incomplete = 0;  // ... of which a hook missed t1, t2 or t3 (not in the percentiles)
  uint64_t no_switch_in = 0;  // ... of which no sched_switch brought the waiter back (see below)
  uint64_t disordered = 0;  // ... of which t0 <= t1 <= t2 <= t3 <= t4 did not hold (not in them)
  uint64_t multi_sleep = 0; // waits that slept more than once (t0 is the first sleep)
  Percentiles waiting, wake_to_run, runqueue, exit;
  std::vector<KernelStack> kernel_stacks;  // top 3 by sleep_ns (waits over --stack-min-wait)
};

// The split's phases in order, each with its name and the span it measures,
// as the report and the window show them.
struct SplitPhase {
  const char* name;  // "wake to run"
  const char* span;  // "waking -> switch-in"
  const Percentiles* p;
};
inline std::array<SplitPhase, 4> split_phases(const WaitSplit& s) {
  return {{{"waiting", "switch-out -> waking", &s.waiting},
           {"wake to run", "waking -> switch-in", &s.wake_to_run},
           {"runqueue", "wakeup -> switch-in", &s.runqueue},
           {"exit", "switch-in -> return", &s.exit}}};
}

class SplitModel {
 public:
  // The record types add() reads.
  static constexpr RecordTypes kReads{FXS_REC_WAIT_SPLIT, FXS_REC_SWITCH, FXS_REC_STACK, FXS_REC_FUTEX};
  // Number the waits with `keys` (a PairingModels' shared numbering; must
  // outlive the model) instead of the model's own.
  void share_wait_keys(WaitKeys* keys) { keys_.share(keys); }
  // Takes FXS_REC_WAIT_SPLIT and FXS_REC_FUTEX records; ignores the rest.
  void add(const fxs_rec_hdr* rec);
  // Pairs and computes; call once after the last add().
  void finish();
  // Results for futex (tgid, uaddr), or nullptr if none of its waits slept.
  const WaitSplit* find(uint32_t tgid, uint64_t uaddr) const;
  uint64_t split_records() const { return records_; }
  // Split records whose wait has no FXS_REC_FUTEX (dropped by --min-wait, or lost).
  uint64_t unpaired() const { return unpaired_; }

 private:
  using Key = PairKey;
  using KeyHash = PairKeyHash;
  struct WaitEnd {
    uint64_t exit_ns;
    uint32_t tgid;
    uint64_t uaddr;  // the futex it counts on (futex_waitv: the one that woke it, 0: see vectors_)
  };
  struct Accum {
    std::vector<uint64_t> waiting, wake_to_run, runqueue, exit;
    std::unordered_map<int32_t, KernelStack> kstacks;
    WaitSplit out;
  };

  WaitNumbering keys_;
  WaitKeys& keys() { return keys_.get(); }
  const WaitKeys& keys() const { return keys_.get(); }
  WaitMap<fxs_wait_split_rec> splits_;  // (tid, wait_enter_ns) -> last sleep
  WaitMap<WaitEnd> ends_;                  // (tid, enter_ns) of waits
  std::unordered_map<Key, std::vector<uint64_t>, KeyHash> vectors_;  // futex_waitv that no futex woke
  std::unordered_map<Key, Accum, KeyHash> futexes_;              // (tgid, uaddr)
  std::unordered_map<int32_t, std::vector<std::string>> kernel_frames_;  // kstack_id ->
  std::unordered_map<uint32_t, std::vector<uint64_t>> sleeps_out_;  // tid -> sleeping switch-outs
  uint64_t records_ = 0;
  uint64_t unpaired_ = 0;
};

}  // namespace fxs
