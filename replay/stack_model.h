// User call stacks of futex waits and of the calls that woke them: the
// symbolized stacks the collector wrote (FXS_REC_STACK) joined with the wait
// durations (or the waiters woken) of the futex records that name them.
// Feeds `report --format folded` (flame graphs weighted by wait time in ns,
// or with --wakers by waiters woken) and the top stacks per futex.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/record_types.h"

namespace fxs {

// The frame names of an FXS_REC_STACK record (`s` is its copied-out head),
// as trace_text; nullopt if the record is shorter than its frame addresses.
std::optional<std::vector<std::string>> stack_frame_names(const fxs_rec_hdr* h, const fxs_stack_rec& s);

struct StackWait {
  std::vector<std::string> frames;  // innermost first
  uint64_t wait_ns = 0;             // total wait time of waits with this stack
  uint64_t waits = 0;
};

// The stack of wake-type calls (FUTEX_WAKE, a requeue, futex_wake,
// FUTEX_UNLOCK_PI) that woke a futex's waiters. `record` takes a waker's
// stack when the call woke a wait of at least --stack-min-wait, and for one
// in --stack-sample of a thread's calls that woke anyone, weighed with the
// thread's wakes on the futex that have no stack (FXS_STACK_WEIGHT_WAKER).
struct StackWake {
  std::vector<std::string> frames;  // innermost first
  uint64_t wakes = 0;               // waiters those calls woke (an UNLOCK_PI hands over to one)
  uint64_t calls = 0;
  uint64_t sampled_wakes = 0;       // of `wakes`, those of calls without a stack that this one stands for
};

class StackModel {
 public:
  // The record types add() reads.
  static constexpr RecordTypes kReads{FXS_REC_STACK, FXS_REC_STACK_WEIGHT, FXS_REC_FUTEX};
  void add(const fxs_rec_hdr* rec);
  // Stacks of futex (tgid, uaddr) by wait time, descending; at most `top`.
  std::vector<StackWait> top_stacks(uint32_t tgid, uint64_t uaddr, size_t top) const;
  // How many of the futex's waits (and how much of their time) a stack stands
  // for: `record` takes one for each wait of at least --stack-min-wait, and
  // for 1 in --stack-sample of the shorter ones, each weighed with the
  // waits it was sampled from (FXS_REC_STACK_WEIGHT).
  StackWait coverage(uint32_t tgid, uint64_t uaddr) const;
  // Of those, the waits that have no stack of their own (a sample stands for them).
  uint64_t sampled_waits(uint32_t tgid, uint64_t uaddr) const;
  // The trace has sampled stacks' weights at all.
  bool sampled() const { return weight_records_ > 0; }
  // Stacks of the calls that woke futex (tgid, uaddr)'s waiters, by wakes, descending; at most `top`.
  std::vector<StackWake> top_waker_stacks(uint32_t tgid, uint64_t uaddr, size_t top) const;
  // "process;outermost;...;innermost <weight>" lines, one per (process,
  // stack): waits weighted by wait time in ns, or (wakers) the calls that
  // woke them weighted by waiters woken.
  void write_folded(std::ostream& out, const std::unordered_map<uint32_t, std::string>& process_names,
                    bool wakers = false) const;
  uint64_t stack_records() const { return stack_records_; }

 private:
  static uint64_t key(uint32_t tgid, int32_t id) { return (uint64_t(tgid) << 32) | uint32_t(id); }
  struct Use {
    uint64_t wait_ns = 0, waits = 0;
  };
  struct WakeUse {
    uint64_t wakes = 0, calls = 0, sampled_wakes = 0;
  };
  std::vector<std::string> frames_of(uint32_t tgid, int32_t id) const;
  // "process;outermost;...;innermost" of stack `stack_key` of process `tgid`.
  std::string folded_line(uint32_t tgid, uint64_t stack_key,
                          const std::unordered_map<uint32_t, std::string>& process_names) const;

  struct FutexKey {
    uint32_t tgid;
    uint64_t uaddr;
    bool operator==(const FutexKey& o) const { return tgid == o.tgid && uaddr == o.uaddr; }
  };
  struct FutexKeyHash {
    size_t operator()(const FutexKey& k) const { return size_t(k.uaddr * 0x9E3779B97F4A7C15ull ^ k.tgid); }
  };

  std::unordered_map<uint64_t, std::vector<std::string>> names_;  // stack key -> frames
  std::unordered_map<FutexKey, std::unordered_map<uint64_t, Use>, FutexKeyHash> by_futex_;
  std::unordered_map<FutexKey, std::unordered_map<uint64_t, WakeUse>, FutexKeyHash> wakers_by_futex_;
  uint64_t stack_records_ = 0;
  uint64_t weight_records_ = 0;
  std::unordered_map<FutexKey, uint64_t, FutexKeyHash> sampled_waits_;
};

}  // namespace fxs
