/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * task_state.h: the per-thread slot of the futex programs' task_states map
 * (bpf/futex.bpf.c), shared with the collector, which reads a blocked
 * thread's slot when a recording ends to learn when its futex call began.
 * Not a trace record: it never leaves the machine.
 */
#ifndef FUTEXSCOPE_TASK_STATE_H
#define FUTEXSCOPE_TASK_STATE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/*
 * Per-thread state between sys_enter and sys_exit, in an array slot indexed by
 * tid & (slots - 1). Array lookups are inlined by the verifier: measured here,
 * task storage cost a fifth of a futex-heavy program's throughput, this costs
 * next to nothing. The slot remembers its tid, so a thread that finds another
 * thread's tid there (slots < pid_max) knows its enter time was overwritten.
 */
struct task_state {
	__u64 enter_ns; /* 0: not inside a traced futex call */
	__u64 uaddr;    /* the call's first futex address (0 for futex_waitv/futex_requeue) */
	__u32 tid;
	__u16 enter_cpu;
	__u8 enter_node;
	__u8 named; /* a FXS_REC_TASK was emitted for this thread */
	__u8 opi;   /* enum fxs_op of the call in flight, for the waking hook */
	__u8 hash_noted; /* a FXS_REC_HASH told the replay about (phash_seen, mask_seen) */
	__u8 woke_long;  /* the call in flight woke a wait of >= stack_min_wait_ns: take its stack */
	__u8 stack_sample_ctr; /* short woken waits since this thread's last sampled stack */
	__u32 mask_seen;   /* private hash as last reported (futex_hash.bpf.h) */
	__u64 phash_seen;
	__u64 lock;        /* lock spun on since lock_ns (contention_begin), 0 if none */
	__u64 lock_ns;
	__u32 lock_flags;
	__u32 key_flags;   /* futex2 flag bits of the call's first key (key_flags_at_enter) */
	__u32 lock_bucket_index; /* the call's bucket, computed at contention_begin */
	__u16 lock_bucket_where;
	__u8 woke_any;         /* the call in flight woke a waiter (sched_waking saw it) */
	__u8 waker_sample_ctr; /* wake calls that woke someone since this thread's last sampled waker stack */
	/* Changes with each call of this thread that gets its own record: the
	 * counted calls around it go to other entries (counted_calls.h). */
	__u64 count_gen;
	/* Latency split of the wait in flight (sched_split.bpf.h), cleared at enter. */
	__u64 sleep_ns;  /* t0: its first sleep */
	__u64 waking_ns; /* t1 of its latest sleep */
	__u64 wakeup_ns; /* t2 of its latest sleep */
	union {
		struct {
			__u16 sleeps;
			__u8 asleep; /* switched out sleeping, not yet back */
			__u8 split_flags;
			__u32 split_pad;
		};
		__u64 split_word; /* all of the above, cleared in one store */
	};
};

#endif /* FUTEXSCOPE_TASK_STATE_H */
