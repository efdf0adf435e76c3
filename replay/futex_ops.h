// futex_ops.h: names and classification of futex operations, in one place.
//
// The operation index (enum fxs_op in bpf/trace_abi.h) is what the records
// carry: futex(2) commands 0..13 keep their number, the futex2 system calls
// follow (14..17), 18 is a futex(2) command this tool does not know. The
// classification is bpf/op_rules.h's, which the BPF programs use too, so a
// per-event trace and a --summary trace count the same things.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "bpf/op_rules.h"
#include "bpf/trace_abi.h"

namespace fxs {

inline constexpr unsigned kNumOps = FXS_NR_OPS;

// Report name of an operation index: "FUTEX_WAIT" .. "FUTEX_LOCK_PI2",
// "futex_waitv", "futex_wait", "futex_wake", "futex_requeue", "FUTEX_UNKNOWN".
// Out-of-range indexes are "FUTEX_UNKNOWN".
const char* op_name(unsigned opi);
// Inverse of op_name(); nullopt for a name it never returns.
std::optional<unsigned> op_from_name(std::string_view name);

// A decoded futex(2) op word.
struct FutexOpWord {
  uint32_t cmd = 0;             // op & FXS_FUTEX_CMD_MASK
  bool private_flag = false;    // FUTEX_PRIVATE_FLAG (128)
  bool clock_realtime = false;  // FUTEX_CLOCK_REALTIME (256)
  uint32_t other_flags = 0;     // bits above the command that are neither of those
  uint8_t opi = FXS_OP_UNKNOWN; // cmd if <= FUTEX_LOCK_PI2, else FXS_OP_UNKNOWN
};
FutexOpWord decode_futex_op(uint32_t op_word);

// Operation index of a call, as the kernel side computes it: for futex(2)
// the command of `op_word`, for the futex2 calls their own index.
uint8_t op_index(uint8_t syscall /* enum fxs_syscall */, uint32_t op_word);

// The rules themselves are bpf/op_rules.h's, shared with the BPF programs.
namespace op_sets {
inline constexpr uint32_t kWait = FXS_OPS_WAIT;
inline constexpr uint32_t kWake = FXS_OPS_WAKE;
inline constexpr uint32_t kRequeue = FXS_OPS_REQUEUE;
inline constexpr uint32_t kUaddr2 = FXS_OPS_UADDR2;
inline constexpr uint32_t kPiLock = FXS_OPS_PI_LOCK;
constexpr bool in(uint32_t set, unsigned opi) { return fxs_op_in(set, opi) != 0; }
}  // namespace op_sets

// Calls that may block on their (primary) address and whose outcome counts
// as waits/eagain/timeouts/interrupted: FUTEX_WAIT, FUTEX_WAIT_BITSET,
// FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, futex_wait, futex_waitv.
constexpr bool is_wait_op(unsigned opi) { return fxs_is_wait_op(opi) != 0; }
// Calls whose positive return value is the number of waiters woken, all
// credited to the primary address: FUTEX_WAKE, FUTEX_WAKE_BITSET,
// FUTEX_WAKE_OP (whose return also counts waiters woken on uaddr2), futex_wake.
constexpr bool is_wake_op(unsigned opi) { return fxs_is_wake_op(opi) != 0; }
// Calls returning woken + requeued: FUTEX_REQUEUE, FUTEX_CMP_REQUEUE,
// FUTEX_CMP_REQUEUE_PI, futex_requeue.
constexpr bool is_requeue_op(unsigned opi) { return fxs_is_requeue_op(opi) != 0; }
// Calls that wake waiters: the two sets above.
constexpr bool is_wake_or_requeue_op(unsigned opi) { return is_wake_op(opi) || is_requeue_op(opi); }
// Calls that name a second futex word (uaddr2): FUTEX_REQUEUE,
// FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_WAIT_REQUEUE_PI,
// FUTEX_CMP_REQUEUE_PI, and futex_requeue (its second waitv entry).
constexpr bool has_uaddr2(unsigned opi) { return fxs_has_uaddr2(opi) != 0; }
// Commands that operate a priority-inheritance lock word: FUTEX_LOCK_PI,
// FUTEX_LOCK_PI2, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI.
constexpr bool is_pi_lock_op(unsigned opi) { return fxs_is_pi_lock_op(opi) != 0; }

// Waiters a wake-type or requeue-type call woke on its first address, from
// its return value (`ret`, `val`, `val3` as in fxs_futex_rec).
constexpr uint64_t waiters_woken(unsigned opi, int32_t ret, uint64_t val, uint32_t val3) {
  return fxs_waiters_woken(opi, ret, val, val3);
}
// The waiters a waker's stack stands for: those above, and for a
// FUTEX_UNLOCK_PI that succeeded the one it handed the lock to (glibc calls
// it only when the word says someone waits).
constexpr uint64_t waiters_a_waker_woke(unsigned opi, int32_t ret, uint64_t val, uint32_t val3) {
  if (opi == FXS_OP_FUTEX_UNLOCK_PI) return ret == 0 ? 1 : 0;
  return waiters_woken(opi, ret, val, val3);
}

// Return codes of a wait-type call, as seen at sys_exit.
inline constexpr int32_t kRetEAGAIN = FXS_RET_EAGAIN;
inline constexpr int32_t kRetETIMEDOUT = FXS_RET_ETIMEDOUT;
// -EINTR and the restart codes sys_exit sees before signal delivery.
constexpr bool is_interrupted(int32_t ret) { return fxs_is_interrupted(ret) != 0; }

// What a wait-type call's return value means for the counters.
enum class WaitOutcome : uint8_t {
  kNotCounted,   // any other error (EINVAL, EFAULT, EDEADLK, ...): not a wait
  kEagain,       // -EAGAIN: the word had changed, the caller never queued
  kOk,           // >= 0: woken or lock acquired (futex_waitv: index of the entry that woke it)
  kTimedOut,     // -ETIMEDOUT
  kInterrupted,  // is_interrupted(ret)
};
constexpr WaitOutcome wait_outcome(int32_t ret) {
  if (ret == kRetEAGAIN) return WaitOutcome::kEagain;
  if (ret >= 0) return WaitOutcome::kOk;
  if (ret == kRetETIMEDOUT) return WaitOutcome::kTimedOut;
  if (is_interrupted(ret)) return WaitOutcome::kInterrupted;
  return WaitOutcome::kNotCounted;
}
// The outcomes of a wait that queued (fxs_wait_queued).
constexpr bool queued(WaitOutcome o) {
  return o == WaitOutcome::kOk || o == WaitOutcome::kTimedOut ||
         o == WaitOutcome::kInterrupted;
}

// log2 histogram bucket of a duration, as the kernel side's --summary
// histograms: bucket b holds [2^b, 2^(b+1)); 0 and 1 are in bucket 0; the
// last bucket (FXS_HIST_BUCKETS - 1) also holds everything longer.
constexpr unsigned log2_bucket(uint64_t ns) { return fxs_log2_bucket(ns); }

}  // namespace fxs
