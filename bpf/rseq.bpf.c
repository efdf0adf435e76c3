// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rseq.bpf.c: restartable sequences, from rseq:rseq_update and
 * rseq:rseq_ip_fixup, with the cause of every abort (docs/rseq-umcg.md).
 *
 * The abort cause is not in the tracepoint. Everything the kernel reacts to
 * with an abort happens between two rseq_updates of the thread (the kernel
 * fires rseq_ip_fixup, then rseq_update, on the way back to user space), so
 * per thread we remember what happened since its last rseq_update:
 * sched_switch (runnable = preempted, else blocked), sched_migrate_task and
 * signal_deliver; rseq_ip_fixup classifies with what it finds and
 * rseq_update clears it.
 *
 * raw_tracepoint programs: every handler but the migration one reads
 * `current` (sched_switch fires with current == prev), so typed tp_btf
 * arguments would save nothing measurable, and raw_tracepoint loads wherever
 * futex.bpf.c's fallback does. rseq(2) registrations are recorded by
 * futex.bpf.c's sys_exit program into this object's maps (rseq_state.bpf.h).
 *
 * Aborts and registrations are streamed through one ring buffer (aborts are
 * bounded by context switches + signals, so they stream in --summary too);
 * per-thread counts (updates, aborts, switches...) live in a hash map the
 * collector snapshots once a second and at the end, and a thread's final
 * counts are streamed when it exits (then its entry is freed).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace_abi.h"
#include "follow_fork.bpf.h"
#include "rseq_state.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Settings, fixed before load (collector/rseq_session.cpp). */
const volatile bool filter_tgid = false;     /* only target_tgid (+ traced_tgids) */
const volatile __u32 target_tgid = 0;
const volatile bool follow_children = false; /* add forked children of traced tgids */
const volatile __u32 self_tgid = 0;          /* never trace the recorder itself */
/* sched_switch passes prev_state as its 4th argument since 5.18 (the collector checks BTF). */
const volatile bool switch_has_prev_state = true;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} rseq_traced_tgids SEC(".maps");

static __always_inline bool wanted(__u32 tgid)
{
	if (tgid == 0 || tgid == self_tgid) /* 0: the idle tasks */
		return false;
	if (!filter_tgid || tgid == target_tgid)
		return true;
	return follow_children && bpf_map_lookup_elem(&rseq_traced_tgids, &tgid);
}

/* The current thread's entry if it is traced; created on demand when `create`. */
static __always_inline struct thread_val *current_thread(bool create, __u64 *key_out)
{
	__u64 key = bpf_get_current_pid_tgid();
	if (!wanted(key >> 32))
		return 0;
	*key_out = key;
	return rseq_thread(key, create);
}

#define FXS_PF_KTHREAD 0x00200000 /* include/linux/sched.h */

/*
 * The current thread's entry, created unless it is a kernel thread (those
 * never run rseq): for events that may be a thread's first since tracing began.
 */
static __always_inline struct thread_val *current_user_thread(__u64 *key_out)
{
	struct thread_val *v = current_thread(false, key_out);
	if (v)
		return v;
	struct task_struct *cur = bpf_get_current_task_btf();
	if (cur->flags & FXS_PF_KTHREAD)
		return 0;
	return current_thread(true, key_out);
}

/* First abort of a thread: record its name and its process's name. */
static __always_inline void emit_task(struct thread_val *v, __u64 key, __u64 now)
{
	struct fxs_task_rec *t = rseq_reserve(FXS_REC_TASK, sizeof(*t));
	if (!t)
		return;
	t->ts_ns = now;
	t->tgid = key >> 32;
	t->tid = (__u32)key;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	BPF_CORE_READ_STR_INTO(&t->pcomm, task, group_leader, comm);
	bpf_ringbuf_submit(t, BPF_RB_NO_WAKEUP); /* the collector polls on a timer */
	v->named = 1;
}

/* Returned to user space after a preemption, migration or signal: a fresh cpu_id. */
SEC("raw_tracepoint/rseq_update")
int fxs_rseq_update(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 key;
	struct thread_val *v = current_thread(true, &key);
	if (!v)
		return 0;
	__sync_fetch_and_add(&v->c.updates, 1);
	v->pending = 0;
	v->last_sig = 0;
	return 0;
}

static __always_inline __u8 classify(__u8 ev)
{
	if (ev & FXS_RSEQ_EV_SIGNAL)
		return FXS_RSEQ_CAUSE_SIGNAL;
	if (ev & FXS_RSEQ_EV_MIGRATED)
		return FXS_RSEQ_CAUSE_MIGRATED;
	if (ev & FXS_RSEQ_EV_PREEMPTED)
		return FXS_RSEQ_CAUSE_PREEMPTED;
	if (ev & FXS_RSEQ_EV_BLOCKED)
		return FXS_RSEQ_CAUSE_BLOCKED;
	return FXS_RSEQ_CAUSE_UNKNOWN;
}

/* rseq_ip_fixup(regs_ip, start_ip, post_commit_offset, abort_ip): one real abort. */
SEC("raw_tracepoint/rseq_ip_fixup")
int fxs_rseq_ip_fixup(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 key;
	struct thread_val *v = current_thread(true, &key);
	if (!v)
		return 0;
	__sync_fetch_and_add(&v->c.aborts, 1);
	__u64 now = bpf_ktime_get_ns();
	if (!v->named)
		emit_task(v, key, now);
	struct fxs_rseq_abort_rec *r = rseq_reserve(FXS_REC_RSEQ_ABORT, sizeof(*r));
	if (!r)
		return 0;
	r->ts_ns = now;
	r->tgid = key >> 32;
	r->tid = (__u32)key;
	r->regs_ip = ctx->args[0];
	r->start_ip = ctx->args[1];
	r->post_commit_offset = ctx->args[2];
	r->abort_ip = ctx->args[3];
	r->cpu = bpf_get_smp_processor_id();
	r->events = v->pending;
	r->cause = classify(v->pending);
	r->signo = v->last_sig;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Before 5.14 the field was `state`. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

/*
 * sched_switch(bool preempt, prev, next, unsigned int prev_state), fired
 * with current == prev. Runnable (preempt, or state TASK_RUNNING) = preempted.
 * A user thread first seen here gets its entry here: its first switch since
 * tracing began may interrupt a critical section (-p PID on a running process).
 */
SEC("raw_tracepoint/sched_switch")
int fxs_rseq_switch(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 key;
	struct thread_val *v = current_user_thread(&key);
	if (!v)
		return 0;
	bool preempted = ctx->args[0];
	if (!preempted)
		preempted = (switch_has_prev_state ? (__u32)ctx->args[3]
						   : task_state((struct task_struct *)ctx->args[1])) == 0;
	if (preempted) {
		v->pending |= FXS_RSEQ_EV_PREEMPTED;
		__sync_fetch_and_add(&v->c.preempted, 1);
	} else {
		v->pending |= FXS_RSEQ_EV_BLOCKED;
		__sync_fetch_and_add(&v->c.blocked, 1);
	}
	return 0;
}

/* sched_migrate_task(task, dest_cpu): the task is usually not current. */
SEC("raw_tracepoint/sched_migrate_task")
int fxs_rseq_migrate(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(p, tgid);
	if (!wanted(tgid))
		return 0;
	__u64 key = (__u64)tgid << 32 | (__u32)BPF_CORE_READ(p, pid);
	struct thread_val *v = bpf_map_lookup_elem(&rseq_threads, &key);
	if (!v)
		return 0;
	v->pending |= FXS_RSEQ_EV_MIGRATED;
	__sync_fetch_and_add(&v->c.migrated, 1);
	return 0;
}

/* signal_deliver(sig, info, ka), in the receiving thread before its handler is set up. */
SEC("raw_tracepoint/signal_deliver")
int fxs_rseq_signal(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 key;
	struct thread_val *v = current_user_thread(&key);
	if (!v)
		return 0;
	v->pending |= FXS_RSEQ_EV_SIGNAL;
	v->last_sig = (__u32)ctx->args[0];
	__sync_fetch_and_add(&v->c.signals, 1);
	return 0;
}

/* A traced thread exits: stream its final counts and free its entry. */
SEC("raw_tracepoint/sched_process_exit")
int fxs_rseq_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 key;
	struct thread_val *v = current_thread(false, &key);
	if (!v)
		return 0;
	struct fxs_rseq_thread_rec *r = rseq_reserve(FXS_REC_RSEQ_THREAD, sizeof(*r));
	if (!r)
		return 0; /* the drop is counted; the entry stays for the collector's final snapshot */
	r->ts_ns = bpf_ktime_get_ns();
	r->tgid = key >> 32;
	r->tid = (__u32)key;
	r->c = v->c;
	r->exited = 1;
	r->pad = 0;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	bpf_map_delete_elem(&rseq_threads, &key);
	return 0;
}

/* Children of traced processes are traced too (-- COMMAND). */
SEC("raw_tracepoint/sched_process_fork")
int fxs_rseq_fork(struct bpf_raw_tracepoint_args *ctx)
{
	if (!follow_children)
		return 0;
	return follow_fork(ctx, &rseq_traced_tgids, target_tgid);
}
