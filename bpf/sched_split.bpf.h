/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a futex wait that slept spent its time (docs/kernel.md, "Scheduler
 * tracepoints"): t0 sleeping switch-out, t1 sched_waking (handle_waking),
 * t2 sched_wakeup, t3 switch-in; t4 is the wait's sys_exit, already in its
 * FXS_REC_FUTEX. The state lives in the thread's task_states slot; one
 * FXS_REC_WAIT_SPLIT is emitted per sleep, at switch-in, with the kernel
 * stack it slept in when the sleep reached --stack-min-wait. A wait that never
 * sleeps (EAGAIN, woken before it got to schedule()) costs nothing here.
 * For the lock-holder view, every context switch and wakeup of a traced
 * thread (one that made a traced futex call) is recorded too
 * (FXS_REC_SWITCH, FXS_REC_WAKEUP); other threads cost two slot lookups.
 *
 * Part of the futex programs (futex.bpf.c), whose per-thread slots it shares
 * (futex_state.bpf.h). handle_enter() clears the slot's split fields; sched_waking
 * (handle_waking) and sched_wakeup may run on any CPU, so they only ever set
 * a field that is still 0, and the switch-out clears with compare-and-swap.
 */
#ifndef FUTEXSCOPE_SCHED_SPLIT_BPF_H
#define FUTEXSCOPE_SCHED_SPLIT_BPF_H

#include "futex_state.bpf.h"

/* t1, from handle_waking: the first waking of the current sleep (or of the one about to begin). */
static __always_inline void split_on_waking(struct task_state *st, __u64 now)
{
	if (!st->waking_ns)
		st->waking_ns = now;
}

/* A thread that made a traced futex call (its slot is its own); never the idle task. */
static __always_inline struct task_state *traced_slot(__u32 tid)
{
	struct task_state *st = tid ? task_slot(tid) : 0;
	return st && st->tid == tid ? st : 0;
}

/*
 * t2: sched_wakeup(p), on whichever CPU activated p; and, for the lock-holder
 * view, a FXS_REC_WAKEUP of every traced thread.
 */
static __always_inline int split_on_wakeup(__u32 tid)
{
	struct task_state *st = traced_slot(tid);
	if (!st)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	if (st->enter_ns && fxs_is_wait_op(st->opi) && !st->wakeup_ns)
		st->wakeup_ns = now;
	void *rb;
	struct fxs_wakeup_rec *r = reserve_record(&rb, FXS_REC_WAKEUP, sizeof(*r));
	if (!r)
		return 0;
	r->ts_ns = now;
	r->tid = tid;
	r->cpu = bpf_get_smp_processor_id();
	r->pad = 0;
	bpf_ringbuf_submit(r, wakeup_flag(rb));
	return 0;
}

static __always_inline void emit_switch(__u64 now, __u32 prev_tid, __u32 next_tid, unsigned int prev_state,
					__u8 flags)
{
	void *rb;
	struct fxs_switch_rec *r = reserve_record(&rb, FXS_REC_SWITCH, sizeof(*r));
	if (!r)
		return;
	r->ts_ns = now;
	r->prev_tid = prev_tid;
	r->next_tid = next_tid;
	r->prev_state = prev_state;
	r->cpu = bpf_get_smp_processor_id();
	r->flags = flags;
	r->pad = 0;
	bpf_ringbuf_submit(r, wakeup_flag(rb));
}

/*
 * Kernel stacks of waits that slept at least stack_min_wait_ns (the user
 * stacks' threshold), taken when the waiter is switched back in: its saved
 * stack still shows where it slept. bpf_get_task_stack fills a buffer, not a
 * stack map, so frames are deduplicated here by an FNV-1a hash of the
 * addresses; the collector reads them from kstacks and symbolizes them with
 * /proc/kallsyms (FXS_REC_STACK with tgid 0).
 */
struct kstack_ips {
	__u64 ip[FXS_MAX_STACK_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct kstack_ips);
} kstacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kstack_ips);
} kstack_scratch SEC(".maps");

/* Needs a trusted task pointer (tp_btf); the raw_tracepoint variant passes NULL. */
static __always_inline __s32 kernel_stack_of(struct task_struct *t)
{
	__u32 zero = 0;
	struct kstack_ips *b = t ? bpf_map_lookup_elem(&kstack_scratch, &zero) : 0;
	if (!b)
		return -1;
	long n = bpf_get_task_stack(t, b->ip, sizeof(b->ip), 0);
	if (n <= 0)
		return -1;
	__u32 frames = n / sizeof(__u64), h = 2166136261u;
	for (__u32 i = 0; i < FXS_MAX_STACK_DEPTH; i++) {
		if (i < frames) {
			h = (h ^ (__u32)b->ip[i]) * 16777619u;
			h = (h ^ (__u32)(b->ip[i] >> 32)) * 16777619u;
		} else {
			b->ip[i] = 0; /* the same stack is the same map value */
		}
	}
	h &= 0x7fffffff;
	/* EEXIST: this stack (or, rarely, one with the same hash) is already there. */
	bpf_map_update_elem(&kstacks, &h, b, BPF_NOEXIST);
	return (__s32)h;
}

static __always_inline void split_emit(struct task_state *st, struct task_struct *next, __u32 tid, __u64 now,
				       struct task_struct *trusted_next)
{
	__s32 kstack_id = -1;
	if (capture_stacks && now - st->sleep_ns >= stack_min_wait_ns)
		kstack_id = kernel_stack_of(trusted_next);

	void *rb;
	struct fxs_wait_split_rec *r = reserve_record(&rb, FXS_REC_WAIT_SPLIT, sizeof(*r));
	if (!r)
		return;
	r->wait_enter_ns = st->enter_ns;
	r->sleep_ns = st->sleep_ns;
	r->waking_ns = st->waking_ns;
	r->wakeup_ns = st->wakeup_ns;
	r->flags = st->split_flags;
	/* A waking that read the clock just before the switch-out did, and stored after it. */
	if (r->waking_ns && r->waking_ns < r->sleep_ns) {
		r->waking_ns = r->sleep_ns;
		r->flags |= FXS_SPLIT_WAKING_RACE;
	}
	r->run_ns = now;
	r->uaddr = st->uaddr;
	r->tgid = BPF_CORE_READ(next, tgid);
	r->tid = tid;
	r->sleeps = st->sleeps;
	r->cpu = bpf_get_smp_processor_id();
	r->opi = st->opi;
	r->pad = 0;
	r->kstack_id = kstack_id;
	r->pad2 = 0;
	bpf_ringbuf_submit(r, wakeup_flag(rb));
}

/*
 * sched_switch, with current == prev: a FXS_REC_SWITCH when either side is a
 * traced thread, and the split's t0/t3. A switch-out counts as a sleep when
 * the thread blocked: not preempted and prev_state not TASK_RUNNING (the
 * same test that bumps the kernel's nvcsw, which the samples read back).
 */
static __always_inline int split_on_switch(bool preempt, __u32 prev_tid, unsigned int prev_state,
					   struct task_struct *next, __u32 next_tid,
					   struct task_struct *trusted_next)
{
	struct task_state *st = traced_slot(prev_tid);
	struct task_state *nt = traced_slot(next_tid);
	if (!st && !nt)
		return 0; /* neither side ever made a traced futex call */
	__u64 now = bpf_ktime_get_ns();
	if (st && !preempt && prev_state && st->enter_ns && fxs_is_wait_op(st->opi)) {
		if (!st->sleeps)
			st->sleep_ns = now;
		/*
		 * A waking with no wakeup yet came while this switch-out ran
		 * (try_to_wake_up waits for the CPU to let go): it ends this
		 * sleep, at once. A waking with its wakeup belongs to an earlier
		 * sleep of this wait: cleared, unless a new one lands meanwhile.
		 */
		__u64 old = st->waking_ns;
		if (old && (!st->wakeup_ns || __sync_val_compare_and_swap(&st->waking_ns, old, 0) != old)) {
			st->waking_ns = now;
			st->split_flags |= FXS_SPLIT_WAKING_RACE;
		}
		st->wakeup_ns = 0;
		st->asleep = 1;
		st->sleeps++;
	}
	if (nt && nt->asleep && nt->enter_ns && fxs_is_wait_op(nt->opi)) {
		nt->asleep = 0;
		split_emit(nt, next, next_tid, now, trusted_next);
	}
	emit_switch(now, prev_tid, next_tid, prev_state,
		    (preempt ? FXS_SWITCH_PREEMPT : 0) | (st ? FXS_SWITCH_PREV_TRACED : 0) |
			    (nt ? FXS_SWITCH_NEXT_TRACED : 0));
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(fxs_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return split_on_switch(preempt, (__u32)bpf_get_current_pid_tgid(), prev_state, next, next->pid, next);
}

SEC("raw_tracepoint/sched_switch")
int fxs_switch_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx->args[2];
	return split_on_switch((bool)ctx->args[0], (__u32)bpf_get_current_pid_tgid(),
			       (unsigned int)ctx->args[3], next, BPF_CORE_READ(next, pid), 0);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(fxs_wakeup_btf, struct task_struct *p)
{
	return split_on_wakeup(p->pid);
}

SEC("raw_tracepoint/sched_wakeup")
int fxs_wakeup_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx->args[0];
	return split_on_wakeup(BPF_CORE_READ(p, pid));
}

#endif /* FUTEXSCOPE_SCHED_SPLIT_BPF_H */
