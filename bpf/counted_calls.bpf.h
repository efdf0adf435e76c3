/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * counted_calls.bpf.h: the per-event stream's calls that did nothing (plain
 * waits that returned EAGAIN, plain wakes that woke nobody: op_rules.h,
 * fxs_call_is_counted), counted per thread, word and every other field of
 * their record in a hash map instead of sent one record each: on `perf bench
 * futex hash` nearly every call is such a wait, and the ring record plus the
 * collector's work per record was most of the capture's cost
 * (docs/BENCHMARKS.md). A new entry's first call goes out at once (count 1);
 * the calls after it go out as one fxs_futex_count_rec once the first of them
 * is count_span_ns old (checked at each call, and by a sweep of the CPU's
 * entries every count_span_ns), or at FXS_COUNTED_MAX calls; the collector
 * writes what is left when the recording ends
 * (BpfSession::flush_counted_calls). Counts are exact: a full ring leaves the
 * count in the entry for later, a full map sends the call its own record.
 * Included by futex.bpf.c after futex_state.bpf.h.
 */
#ifndef FUTEXSCOPE_COUNTED_CALLS_BPF_H
#define FUTEXSCOPE_COUNTED_CALLS_BPF_H

#include "futex_state.bpf.h"
#include "counted_calls.h"

/* 0: every call its own record (record --each-call, and --summary). */
const volatile __u64 count_span_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* set before load (1 when counting is off) */
	__type(key, struct fxs_counted_key);
	__type(value, struct fxs_counted_val);
} counted_calls SEC(".maps");

/*
 * Per CPU: when the next sweep of that CPU's entries is due, and room for a
 * key and a first value off the stack (sys_exit's raw_tracepoint variant
 * holds a copy of the registers there, and the sweep's callback frame comes
 * on top: 6.1's verifier refused the 544 bytes that made).
 */
struct counted_scratch {
	__u64 sweep_at;
	struct fxs_counted_key key;
	struct fxs_counted_val first;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counted_scratch);
} counted_scratch SEC(".maps");

/* One record of v's calls; false: the ring is full. */
static __always_inline bool emit_counted(const struct fxs_counted_key *k, const struct fxs_counted_val *v)
{
	void *rb = cpu_ring();
	struct fxs_futex_count_rec *r = rb ? bpf_ringbuf_reserve(rb, sizeof(*r), 0) : 0;
	if (!r)
		return false;
	fxs_counted_record(r, k, v);
	bpf_ringbuf_submit(r, wakeup_flag(rb));
	return true;
}

/*
 * Sends the entry's count and starts it over. A full ring keeps the count
 * where it is: it goes out with a later one, or at the end of the recording.
 */
static __always_inline void send_counted(const struct fxs_counted_key *k, struct fxs_counted_val *v)
{
	if (emit_counted(k, v))
		v->count = 0;
}

struct counted_sweep {
	__u64 now;
	__u32 cpu;
};

static long sweep_one(struct bpf_map *map, struct fxs_counted_key *k, struct fxs_counted_val *v,
		      struct counted_sweep *s)
{
	if (k->cpu != s->cpu)
		return 0;
	if (v->count && s->now - v->first_ns >= count_span_ns) {
		send_counted(k, v);
	} else if (!v->count && s->now - v->last_ns >= 2 * count_span_ns) {
		/* Idle (a word no longer used, or a thread's older run): free the slot. */
		bpf_map_delete_elem(map, k);
	}
	return 0;
}

/* Every count_span_ns, this CPU's entries whose calls stopped coming go out. */
static __always_inline void sweep_counted(struct counted_scratch *sc, __u64 now, __u32 cpu)
{
	if (now < sc->sweep_at)
		return;
	sc->sweep_at = now + count_span_ns;
	struct counted_sweep s = {.now = now, .cpu = cpu};
	bpf_for_each_map_elem(&counted_calls, sweep_one, &s, 0);
}

/*
 * Counts the call if it is one to count; false: it needs its own record (and
 * the caller changes the thread's gen). `gen` is the thread's, from
 * task_state. Only this CPU's programs touch an entry keyed with its number,
 * and syscall tracepoint programs run one at a time per CPU with preemption
 * off: plain increments are safe.
 */
static __always_inline bool count_call(const struct fxs_futex_rec *r, __u64 gen, __u64 now)
{
	if (!count_span_ns)
		return false;
	__u32 zero = 0;
	struct counted_scratch *sc = bpf_map_lookup_elem(&counted_scratch, &zero);
	if (!sc)
		return false;
	sweep_counted(sc, now, r->exit_cpu);
	if (!fxs_call_is_counted(r->opi, r->ret) || r->syscall == FXS_SC_FUTEX_WAITV || r->uaddr2 ||
	    r->ustack_id >= 0 || !gen)
		return false;
	struct fxs_counted_key *k = &sc->key;
	k->gen = gen;
	k->uaddr = r->uaddr;
	k->val = r->val;
	k->val2 = r->val2;
	k->tgid = r->tgid;
	k->tid = r->tid;
	k->val3 = r->val3;
	k->op = r->op;
	k->bucket_index = r->bucket_index;
	k->cpu = r->exit_cpu;
	k->enter_cpu = r->enter_cpu;
	k->bucket_where = r->bucket_where;
	k->syscall = r->syscall;
	k->opi = r->opi;
	k->has_timeout = r->has_timeout;
	k->enter_node = r->enter_node;
	k->exit_node = r->exit_node;
	k->pad = 0;
	struct fxs_counted_val *v = bpf_map_lookup_elem(&counted_calls, k);
	if (!v) {
		/*
		 * A new entry's first call goes out at once: the collector learns of a
		 * word while its process still lives (its page's NUMA node, its name),
		 * not up to 40 ms later. Then the entry counts the calls after it.
		 */
		sc->first.first_ns = sc->first.last_ns = now;
		sc->first.count = 1;
		if (emit_counted(k, &sc->first))
			sc->first.count = 0;
		/* A full map: a call not sent yet gets its own record. */
		return bpf_map_update_elem(&counted_calls, k, &sc->first, BPF_NOEXIST) == 0 || !sc->first.count;
	}
	if (!v->count)
		v->first_ns = now;
	v->count++;
	v->last_ns = now;
	if (v->count >= FXS_COUNTED_MAX || now - v->first_ns >= count_span_ns)
		send_counted(k, v);
	return true;
}

#endif /* FUTEXSCOPE_COUNTED_CALLS_BPF_H */
