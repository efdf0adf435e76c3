/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * futex_state.bpf.h: what the futex programs share, included first by each
 * of their files (futex.bpf.c, futex_hash.bpf.h, sched_split.bpf.h): the
 * settings fixed before load, the per-CPU rings, the stack map, the
 * per-thread slots (task_state.h), the loss counters, and their helpers.
 */
#ifndef FUTEXSCOPE_FUTEX_STATE_BPF_H
#define FUTEXSCOPE_FUTEX_STATE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace_abi.h"
#include "op_rules.h"
#include "ring_record.bpf.h"
#include "task_state.h"

/* One load the compiler neither repeats, merges nor moves past another READ_ONCE. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
/* Stores and loads stay on their side of it (x86 keeps them in order at run time). */
#define compiler_barrier() asm volatile("" ::: "memory")

/* Settings, fixed before load so the verifier prunes what is off. */
const volatile bool summary_mode = false;
const volatile bool filter_tgid = false;     /* only target_tgid (+ traced_tgids) */
const volatile __u32 target_tgid = 0;        /* -p PID or the started command */
const volatile bool follow_children = false; /* add forked children of traced tgids */
const volatile __u32 self_tgid = 0;          /* never trace the recorder itself */
const volatile bool attach_only = false;     /* benchmarks: measure the cost of attaching alone */
const volatile __u64 min_wait_ns = 0;        /* per-event stream: drop shorter waits */
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the reader once this much is queued */
/* NUMA node of each CPU: a load instead of a bpf_get_numa_node_id() call per event. */
const volatile __u8 cpu_node[FXS_MAX_CPUS] = {};

static __always_inline __u8 node_of_cpu(__u32 cpu)
{
	return cpu < FXS_MAX_CPUS ? cpu_node[cpu] : 0;
}

/*
 * One ring buffer per CPU: with a single shared ring, producers on different
 * CPUs serialise on its lock and the reservation cost a fifth of a futex-heavy
 * program's time. The collector creates the rings and drains them all.
 */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized from the command line before load */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* number of possible CPUs, set before load */
	__type(key, __u32);
	__array(values, struct ring);
} rings SEC(".maps");

static __always_inline void *cpu_ring(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&rings, &cpu);
}

/* User stacks of waits and wakes, deduplicated by the kernel; the collector symbolizes them. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__uint(value_size, FXS_MAX_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

const volatile bool capture_stacks = true;
const volatile __u64 stack_min_wait_ns = 1000000; /* --stack-min-wait */
const volatile __u32 stack_sample_every = 0; /* 1 in N shorter waits get a stack too (0: none) */
const volatile bool capture_raw_stacks = true;     /* and their raw stacks (FXS_REC_USTACK_RAW) */

/* struct task_state: task_state.h */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32768); /* power of two, sized from pid_max before load */
	__type(key, __u32);
	__type(value, struct task_state);
} task_states SEC(".maps");

const volatile __u32 task_slot_mask = 32767;

static __always_inline struct task_state *task_slot(__u32 tid)
{
	__u32 slot = tid & task_slot_mask;
	return bpf_map_lookup_elem(&task_states, &slot);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FXS_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 idx)
{
	counter_inc(&counters, idx);
}

static __always_inline __u64 wakeup_flag(void *rb)
{
	return bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

/*
 * A record of `size` bytes reserved in this CPU's ring with its header filled
 * in, or 0 with the drop counted (the collector reports every one). *rb gets
 * the ring, for the submit's wakeup_flag().
 */
static __always_inline void *reserve_record(void **rb, __u16 type, __u16 size)
{
	*rb = cpu_ring();
	return reserve_in(*rb, type, size, &counters, FXS_CNT_RINGBUF_DROP);
}

/* task_state.key_flags of a call whose first key's flags are in user memory. */
#define FXS_KEY_FLAGS_UNKNOWN (1u << 31)

#endif /* FUTEXSCOPE_FUTEX_STATE_BPF_H */
