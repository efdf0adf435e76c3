/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * op_rules.h: what each futex operation is and what its return value means,
 * written once for both sides. The BPF programs (--summary aggregates, the
 * stack rules) and the replay (replay/futex_ops.h wraps these for C++) must
 * count the same things, so neither has a copy of its own.
 * In C++ the rules are constexpr; in BPF C they are always inlined.
 */
#ifndef FUTEXSCOPE_OP_RULES_H
#define FUTEXSCOPE_OP_RULES_H

#include "trace_abi.h"

#ifdef __cplusplus
#define FXS_RULE constexpr inline
#else
#define FXS_RULE static __always_inline
#endif

#define FXS_OP_BIT(opi) (1u << (opi))

/* May block on the first address; counted as waits, eagain, timeouts, interrupted. */
#define FXS_OPS_WAIT                                                                                          \
	(FXS_OP_BIT(FXS_OP_FUTEX_WAIT) | FXS_OP_BIT(FXS_OP_FUTEX_WAIT_BITSET) |                               \
	 FXS_OP_BIT(FXS_OP_FUTEX_WAIT_REQUEUE_PI) | FXS_OP_BIT(FXS_OP_FUTEX_LOCK_PI) |                        \
	 FXS_OP_BIT(FXS_OP_FUTEX_LOCK_PI2) | FXS_OP_BIT(FXS_OP_FUTEX2_WAIT) | FXS_OP_BIT(FXS_OP_FUTEX2_WAITV))
/* A positive return is the number of waiters woken, all on the first address
 * (FUTEX_WAKE_OP's also counts those woken on uaddr2). */
#define FXS_OPS_WAKE                                                                                          \
	(FXS_OP_BIT(FXS_OP_FUTEX_WAKE) | FXS_OP_BIT(FXS_OP_FUTEX_WAKE_BITSET) |                               \
	 FXS_OP_BIT(FXS_OP_FUTEX_WAKE_OP) | FXS_OP_BIT(FXS_OP_FUTEX2_WAKE))
/* A positive return is woken + requeued. */
#define FXS_OPS_REQUEUE                                                                                       \
	(FXS_OP_BIT(FXS_OP_FUTEX_REQUEUE) | FXS_OP_BIT(FXS_OP_FUTEX_CMP_REQUEUE) |                            \
	 FXS_OP_BIT(FXS_OP_FUTEX_CMP_REQUEUE_PI) | FXS_OP_BIT(FXS_OP_FUTEX2_REQUEUE))
/* futex(2) commands whose utime argument slot carries val2 (not a timeout). */
#define FXS_OPS_UTIME_IS_VAL2                                                                                 \
	(FXS_OP_BIT(FXS_OP_FUTEX_REQUEUE) | FXS_OP_BIT(FXS_OP_FUTEX_CMP_REQUEUE) |                            \
	 FXS_OP_BIT(FXS_OP_FUTEX_WAKE_OP) | FXS_OP_BIT(FXS_OP_FUTEX_CMP_REQUEUE_PI))
/* Name a second futex word (uaddr2; futex_requeue's second waitv entry). */
#define FXS_OPS_UADDR2 \
	(FXS_OPS_UTIME_IS_VAL2 | FXS_OP_BIT(FXS_OP_FUTEX_WAIT_REQUEUE_PI) | FXS_OP_BIT(FXS_OP_FUTEX2_REQUEUE))
/* Operate a priority-inheritance lock word. */
#define FXS_OPS_PI_LOCK                                                                                       \
	(FXS_OP_BIT(FXS_OP_FUTEX_LOCK_PI) | FXS_OP_BIT(FXS_OP_FUTEX_LOCK_PI2) |                               \
	 FXS_OP_BIT(FXS_OP_FUTEX_UNLOCK_PI) | FXS_OP_BIT(FXS_OP_FUTEX_TRYLOCK_PI))

FXS_RULE int fxs_op_in(__u32 set, __u32 opi)
{
	return opi < FXS_NR_OPS && ((set >> opi) & 1u);
}

FXS_RULE int fxs_is_wait_op(__u32 opi) { return fxs_op_in(FXS_OPS_WAIT, opi); }
FXS_RULE int fxs_is_wake_op(__u32 opi) { return fxs_op_in(FXS_OPS_WAKE, opi); }
FXS_RULE int fxs_is_requeue_op(__u32 opi) { return fxs_op_in(FXS_OPS_REQUEUE, opi); }
FXS_RULE int fxs_has_uaddr2(__u32 opi) { return fxs_op_in(FXS_OPS_UADDR2, opi); }
FXS_RULE int fxs_is_pi_lock_op(__u32 opi) { return fxs_op_in(FXS_OPS_PI_LOCK, opi); }

/* The op index of a futex(2) command (enum fxs_op keeps commands 0..13 as they are). */
FXS_RULE __u8 fxs_op_of_futex_cmd(__u32 cmd)
{
	return cmd <= FXS_OP_FUTEX_LOCK_PI2 ? (__u8)cmd : (__u8)FXS_OP_UNKNOWN;
}

/* Return codes of a wait-type call as sys_exit sees them. */
#define FXS_RET_EAGAIN (-11)
#define FXS_RET_ETIMEDOUT (-110)

/*
 * Calls that did nothing: plain waits that returned EAGAIN (the word no
 * longer held the expected value; they never queued), the bulk of a
 * futex-heavy program's calls, and plain wakes that woke nobody (0). The
 * per-event stream counts them per thread and word in the kernel
 * (bpf/counted_calls.bpf.h, struct fxs_futex_count_rec) instead of sending a
 * record each; the op says which return value they all had.
 */
#define FXS_OPS_COUNTED_WAITS \
	(FXS_OP_BIT(FXS_OP_FUTEX_WAIT) | FXS_OP_BIT(FXS_OP_FUTEX_WAIT_BITSET) | FXS_OP_BIT(FXS_OP_FUTEX2_WAIT))
#define FXS_OPS_COUNTED_WAKES \
	(FXS_OP_BIT(FXS_OP_FUTEX_WAKE) | FXS_OP_BIT(FXS_OP_FUTEX_WAKE_BITSET) | FXS_OP_BIT(FXS_OP_FUTEX2_WAKE))
FXS_RULE int fxs_call_is_counted(__u32 opi, long ret)
{
	return (ret == FXS_RET_EAGAIN && fxs_op_in(FXS_OPS_COUNTED_WAITS, opi)) ||
	       (ret == 0 && fxs_op_in(FXS_OPS_COUNTED_WAKES, opi));
}
FXS_RULE __s32 fxs_counted_ret(__u32 opi)
{
	return fxs_op_in(FXS_OPS_COUNTED_WAKES, opi) ? 0 : FXS_RET_EAGAIN;
}

/* -EINTR, and the restart codes (-ERESTARTSYS 512, -ERESTARTNOINTR 513,
 * -ERESTARTNOHAND 514, -ERESTART_RESTARTBLOCK 516) that sys_exit sees before
 * signal delivery turns them into EINTR or restarts the call. */
FXS_RULE int fxs_is_interrupted(long ret)
{
	return ret == -4 || ret == -512 || ret == -513 || ret == -514 || ret == -516;
}

/* A wait-type call that queued (counted in `waits`): woken or handed the lock
 * (>= 0; futex_waitv: the index that woke it), timed out, or interrupted.
 * EAGAIN never queued; any other error is not a wait. */
FXS_RULE int fxs_wait_queued(long ret)
{
	return ret >= 0 || ret == FXS_RET_ETIMEDOUT || fxs_is_interrupted(ret);
}

/* Waiters a wake-type or requeue-type call woke on its first address: a wake
 * op's return; a requeue op's return up to its nr_wake (the kernel wakes up to
 * nr_wake first, then requeues); 0 for a failed call or any other op. */
FXS_RULE __u64 fxs_waiters_woken(__u32 opi, long ret, __u64 val, __u32 val3)
{
	if (ret <= 0)
		return 0;
	if (fxs_is_wake_op(opi))
		return (__u64)ret;
	if (!fxs_is_requeue_op(opi))
		return 0;
	__u64 nr_wake = opi == FXS_OP_FUTEX2_REQUEUE ? val3 : val;
	return (__u64)ret < nr_wake ? (__u64)ret : nr_wake;
}

/* floor(log2(ns)), the histogram bucket of a duration: bucket b holds
 * [2^b, 2^(b+1)); 0 and 1 are in bucket 0; the last bucket holds the rest. */
FXS_RULE __u32 fxs_log2_bucket(__u64 v)
{
	__u32 b = 0;
	if (v >> 32) { v >>= 32; b += 32; }
	if (v >> 16) { v >>= 16; b += 16; }
	if (v >> 8) { v >>= 8; b += 8; }
	if (v >> 4) { v >>= 4; b += 4; }
	if (v >> 2) { v >>= 2; b += 2; }
	if (v >> 1) b += 1;
	return b < FXS_HIST_BUCKETS ? b : FXS_HIST_BUCKETS - 1;
}

/*
 * Which waits get a user stack (record --stack-min-wait, --stack-sample):
 * every wait that blocked at least min_ns; of the shorter ones that queued
 * (woken, handed the lock, timed out or interrupted: not EAGAIN), one in N
 * per thread, which the collector weighs with the others it stands for
 * (collector/stack_sample_weights.h).
 */
FXS_RULE int fxs_wait_gets_stack(__u32 opi, long ret, __u64 enter_ns, __u64 exit_ns, __u64 min_ns)
{
	return fxs_is_wait_op(opi) && ret != FXS_RET_EAGAIN && enter_ns && exit_ns >= enter_ns &&
	       exit_ns - enter_ns >= min_ns;
}
FXS_RULE int fxs_wait_in_stack_sample(__u32 opi, long ret, __u64 enter_ns, __u64 exit_ns, __u64 min_ns)
{
	return fxs_is_wait_op(opi) && fxs_wait_queued(ret) && enter_ns && exit_ns >= enter_ns &&
	       exit_ns - enter_ns < min_ns;
}

#endif /* FUTEXSCOPE_OP_RULES_H */
