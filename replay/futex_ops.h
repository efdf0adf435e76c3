// futex_ops.h: names and classification of futex operations, in one place.
//
// The operation index (enum fxs_op in bpf/trace_abi.h) is what the records
// carry: futex(2) commands 0..13 keep their number, the futex2 system calls
// follow (14..17), 18 is a futex(2) command this tool does not know. The
// classification below mirrors is_wait_op()/agg_apply() in bpf/futex.bpf.c so
// that a per-event trace and a --summary trace count the same things.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

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

namespace op_sets {
constexpr uint32_t bit(unsigned opi) { return 1u << opi; }
inline constexpr uint32_t kWait = bit(FXS_OP_FUTEX_WAIT) | bit(FXS_OP_FUTEX_WAIT_BITSET) |
                                  bit(FXS_OP_FUTEX_WAIT_REQUEUE_PI) | bit(FXS_OP_FUTEX_LOCK_PI) |
                                  bit(FXS_OP_FUTEX_LOCK_PI2) | bit(FXS_OP_FUTEX2_WAIT) |
                                  bit(FXS_OP_FUTEX2_WAITV);
inline constexpr uint32_t kWake = bit(FXS_OP_FUTEX_WAKE) | bit(FXS_OP_FUTEX_WAKE_BITSET) |
                                  bit(FXS_OP_FUTEX_WAKE_OP) | bit(FXS_OP_FUTEX2_WAKE);
inline constexpr uint32_t kRequeue = bit(FXS_OP_FUTEX_REQUEUE) | bit(FXS_OP_FUTEX_CMP_REQUEUE) |
                                     bit(FXS_OP_FUTEX_CMP_REQUEUE_PI) | bit(FXS_OP_FUTEX2_REQUEUE);
inline constexpr uint32_t kUaddr2 = bit(FXS_OP_FUTEX_REQUEUE) | bit(FXS_OP_FUTEX_CMP_REQUEUE) |
                                    bit(FXS_OP_FUTEX_WAKE_OP) | bit(FXS_OP_FUTEX_WAIT_REQUEUE_PI) |
                                    bit(FXS_OP_FUTEX_CMP_REQUEUE_PI) | bit(FXS_OP_FUTEX2_REQUEUE);
inline constexpr uint32_t kPiLock = bit(FXS_OP_FUTEX_LOCK_PI) | bit(FXS_OP_FUTEX_LOCK_PI2) |
                                    bit(FXS_OP_FUTEX_UNLOCK_PI) | bit(FXS_OP_FUTEX_TRYLOCK_PI);
constexpr bool in(uint32_t set, unsigned opi) { return opi < kNumOps && (set & bit(opi)) != 0; }
}  // namespace op_sets

// Calls that may block on their (primary) address and whose outcome counts
// as waits/eagain/timeouts/interrupted: FUTEX_WAIT, FUTEX_WAIT_BITSET,
// FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, futex_wait, futex_waitv.
constexpr bool is_wait_op(unsigned opi) { return op_sets::in(op_sets::kWait, opi); }
// Calls whose positive return value is the number of waiters woken, all
// credited to the primary address: FUTEX_WAKE, FUTEX_WAKE_BITSET,
// FUTEX_WAKE_OP (whose return also counts waiters woken on uaddr2), futex_wake.
constexpr bool is_wake_op(unsigned opi) { return op_sets::in(op_sets::kWake, opi); }
// Calls returning woken + requeued: FUTEX_REQUEUE, FUTEX_CMP_REQUEUE,
// FUTEX_CMP_REQUEUE_PI, futex_requeue.
constexpr bool is_requeue_op(unsigned opi) { return op_sets::in(op_sets::kRequeue, opi); }
// Calls that wake waiters: the two sets above.
constexpr bool is_wake_or_requeue_op(unsigned opi) { return is_wake_op(opi) || is_requeue_op(opi); }
// Calls that name a second futex word (uaddr2): FUTEX_REQUEUE,
// FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_WAIT_REQUEUE_PI,
// FUTEX_CMP_REQUEUE_PI, and futex_requeue (its second waitv entry).
constexpr bool has_uaddr2(unsigned opi) { return op_sets::in(op_sets::kUaddr2, opi); }
// Commands that operate a priority-inheritance lock word: FUTEX_LOCK_PI,
// FUTEX_LOCK_PI2, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI.
constexpr bool is_pi_lock_op(unsigned opi) { return op_sets::in(op_sets::kPiLock, opi); }

// Waiters a wake-type or requeue-type call woke on its first address, from
// its return value: a wake op's return; a requeue op's return up to its
// nr_wake (the rest were requeued, not woken); 0 for a failed call or any
// other op. (`ret`, `val`, `val3` as in fxs_futex_rec.)
constexpr uint64_t waiters_woken(unsigned opi, int32_t ret, uint64_t val, uint32_t val3) {
  if (ret <= 0) return 0;
  if (is_wake_op(opi)) return uint64_t(ret);
  if (!is_requeue_op(opi)) return 0;
  const uint64_t nr_wake = opi == FXS_OP_FUTEX2_REQUEUE ? val3 : val;
  return uint64_t(ret) < nr_wake ? uint64_t(ret) : nr_wake;
}

// Return codes of a wait-type call, as seen at sys_exit.
inline constexpr int32_t kRetEAGAIN = -11;
inline constexpr int32_t kRetETIMEDOUT = -110;
// -EINTR, and the restart codes (-ERESTARTSYS 512, -ERESTARTNOINTR 513,
// -ERESTARTNOHAND 514, -ERESTART_RESTARTBLOCK 516) that sys_exit sees before
// signal delivery turns them into EINTR or restarts the call.
constexpr bool is_interrupted(int32_t ret) {
  return ret == -4 || ret == -512 || ret == -513 || ret == -514 || ret == -516;
}

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
constexpr bool queued(WaitOutcome o) {
  return o == WaitOutcome::kOk || o == WaitOutcome::kTimedOut ||
         o == WaitOutcome::kInterrupted;
}

// log2 histogram bucket of a duration, as the kernel's log2_bucket(): bucket
// b holds [2^b, 2^(b+1)); 0 and 1 are in bucket 0; the last bucket
// (FXS_HIST_BUCKETS - 1) also holds everything longer.
inline unsigned log2_bucket(uint64_t ns) {
  if (ns < 2) return 0;
  unsigned b = 63u - static_cast<unsigned>(__builtin_clzll(ns));
  return b < FXS_HIST_BUCKETS - 1 ? b : FXS_HIST_BUCKETS - 1;
}

}  // namespace fxs
