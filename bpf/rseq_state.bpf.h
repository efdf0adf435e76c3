/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rseq_state.bpf.h: the rseq capture's maps and per-thread state, in both
 * BPF objects. rseq.bpf.c owns them; futex.bpf.c records rseq(2)
 * registrations into the same maps from the sys_exit program it has on
 * every system call anyway (the collector hands it the rseq object's map
 * fds before load, collector/bpf_session.cpp). Registrations used to come
 * from the syscalls:sys_{enter,exit}_rseq tracepoints: enabling any
 * per-syscall tracepoint makes the kernel run its perf syscall hooks on
 * every system call of the machine; with every program returning at once,
 * `perf bench futex hash` ran at 0.61 of untraced with them and 0.75
 * without (docs/BENCHMARKS.md, "rseq registrations at sys_exit").
 */
#ifndef FXS_RSEQ_STATE_BPF_H
#define FXS_RSEQ_STATE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "ring_record.bpf.h"
#include "trace_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* set before load */
} rseq_events SEC(".maps");

/* Per-thread state: the counts the collector reads, then private bookkeeping. */
struct thread_val {
	struct fxs_rseq_counts c; /* first: the collector copies this prefix */
	__u32 last_sig;           /* last signal delivered since the last rseq_update */
	__u8 pending;             /* FXS_RSEQ_EV_* since the last rseq_update */
	__u8 named;               /* a FXS_REC_TASK was emitted */
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* set before load */
	__type(key, __u64);         /* tgid << 32 | tid */
	__type(value, struct thread_val);
} rseq_threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FXS_RSEQ_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} rseq_counters SEC(".maps");

static __always_inline void rseq_count(__u32 idx)
{
	counter_inc(&rseq_counters, idx);
}

/* A record of `size` bytes reserved in rseq_events with its header filled in, or 0 with the drop counted. */
static __always_inline void *rseq_reserve(__u16 type, __u16 size)
{
	return reserve_in(&rseq_events, type, size, &rseq_counters, FXS_RSEQ_CNT_RINGBUF_DROP);
}

/* The entry of thread `key` (tgid << 32 | tid, traced: the caller checked), created when `create`. */
static __always_inline struct thread_val *rseq_thread(__u64 key, bool create)
{
	struct thread_val *v = bpf_map_lookup_elem(&rseq_threads, &key);
	if (v || !create)
		return v;
	struct thread_val zero = {};
	zero.c.first_ns = bpf_ktime_get_ns();
	/* Only this thread inserts its key; the insert fails only when the map is full. */
	bpf_map_update_elem(&rseq_threads, &key, &zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&rseq_threads, &key);
	if (!v)
		rseq_count(FXS_RSEQ_CNT_MAP_FULL);
	return v;
}

/* One rseq(2) call of traced thread `key` that returned `ret`: counted, and streamed. */
static __always_inline int rseq_registration(__u64 key, __u64 ptr, __u32 len, __u32 flags, __u32 sig, long ret)
{
	struct thread_val *v = rseq_thread(key, true);
	if (!v)
		return 0;
	if (ret == 0 && flags == 0)
		__sync_fetch_and_add(&v->c.registrations, 1);
	struct fxs_rseq_reg_rec *r = rseq_reserve(FXS_REC_RSEQ_REG, sizeof(*r));
	if (!r)
		return 0;
	r->ts_ns = bpf_ktime_get_ns();
	r->tgid = key >> 32;
	r->tid = (__u32)key;
	r->rseq = ptr;
	r->len = len;
	r->flags = flags;
	r->sig = sig;
	r->ret = (__s32)ret;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP); /* the collector polls on a timer */
	return 0;
}

#endif /* FXS_RSEQ_STATE_BPF_H */
