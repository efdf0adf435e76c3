// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * futex.bpf.c: every futex and futex2 system call, from raw sys_enter/sys_exit.
 *
 * Raw tracepoints instead of syscalls:sys_*_futex because the per-syscall
 * tracepoints cost more even when empty (docs/kernel.md: 0.75 vs 0.80 of
 * untraced throughput). sys_enter only stamps the time into task storage
 * (--summary on tp_btf: sched_switch stamps a wait's first sleep instead, and
 * sys_exit is the only program on every system call); sys_exit reads the
 * arguments from the saved user registers (they still hold them) and either
 * streams one record or aggregates in place (--summary). It also records
 * rseq(2) registrations for rseq.bpf.c (rseq_state.bpf.h).
 */
#include "futex_state.bpf.h"
#include "counted_calls.bpf.h"
#include "follow_fork.bpf.h"
#include "futex_hash.bpf.h"
#include "rseq_state.bpf.h"
#include "sched_split.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized from the command line before load */
	__type(key, struct fxs_agg_key);
	__type(value, struct fxs_agg_val);
} aggs SEC(".maps");

/*
 * --summary: keys new to `aggs`, so the collector asks about their page's
 * NUMA node within a drain (a short process is gone by the next read of the
 * whole map). When full, a key waits for that read: counted, not lost.
 */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 16384); /* 1 without --summary */
	__type(value, struct fxs_agg_key);
} new_agg_keys SEC(".maps");
__u64 new_agg_keys_full = 0;

/* Scratch space for variable-length records (futex_waitv vectors). */
struct waitv_entry {
	__u64 val;
	__u64 uaddr;
	__u32 flags;
	__u32 reserved;
};

struct waitv_scratch {
	struct fxs_futex_rec rec;
	__u64 uaddrs[FXS_FUTEX_WAITV_MAX];
	struct waitv_entry vec[FXS_FUTEX_WAITV_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct waitv_scratch);
} scratch SEC(".maps");

static __always_inline bool is_futex_nr(long nr)
{
	return nr == FXS_NR_FUTEX || nr == FXS_NR_FUTEX_WAITV || nr == FXS_NR_FUTEX_WAKE ||
	       nr == FXS_NR_FUTEX_WAIT || nr == FXS_NR_FUTEX_REQUEUE;
}

static __always_inline bool wanted(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (!filter_tgid || tgid == target_tgid)
		return true;
	/* Only forked children need the map: one compare covers the common case. */
	return follow_children && bpf_map_lookup_elem(&traced_tgids, &tgid);
}

/* The op of a call from its number and op word: what sched_waking needs to know. */
static __always_inline __u8 op_at_enter(long nr, __u64 op_word)
{
	if (nr == FXS_NR_FUTEX) {
		__u32 cmd = (__u32)op_word & FXS_FUTEX_CMD_MASK;
		return fxs_op_of_futex_cmd(cmd);
	}
	if (nr == FXS_NR_FUTEX_WAITV)
		return FXS_OP_FUTEX2_WAITV;
	if (nr == FXS_NR_FUTEX_WAIT)
		return FXS_OP_FUTEX2_WAIT;
	if (nr == FXS_NR_FUTEX_WAKE)
		return FXS_OP_FUTEX2_WAKE;
	return FXS_OP_FUTEX2_REQUEUE;
}

/*
 * The futex2 flag bits (FUTEX2_PRIVATE, FUTEX2_NUMA) of a call's first key, as
 * far as the registers tell at sys_enter: what a lock spin inside the call is
 * attributed with (futex_hash.bpf.h). futex_waitv and futex_requeue keep their
 * flags in user memory: unknown there (FXS_KEY_FLAGS_UNKNOWN).
 */
static __always_inline __u32 key_flags_at_enter(long nr, __u64 a1, __u64 a3)
{
	if (nr == FXS_NR_FUTEX)
		return (a1 & FXS_FUTEX_PRIVATE_FLAG) ? 0x80 : 0;
	if (nr == FXS_NR_FUTEX_WAIT || nr == FXS_NR_FUTEX_WAKE)
		return (__u32)a3;
	return FXS_KEY_FLAGS_UNKNOWN;
}

static __always_inline bool needs_a3_at_enter(long nr)
{
	return nr == FXS_NR_FUTEX_WAIT || nr == FXS_NR_FUTEX_WAKE;
}

static __always_inline int handle_enter(long nr, __u64 a0, __u64 a1, __u64 a3)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	if (!wanted(tgid))
		return 0;
	struct task_state *st = task_slot(tid);
	if (!st)
		return 0;
	if (st->tid != tid) {
		if (st->enter_ns)
			count(FXS_CNT_ENTER_EVICTED); /* evicts another thread's pending call */
		st->tid = tid;
		st->count_gen = 0;
		st->named = 0;
		st->hash_noted = 0;
		/* The first short wait of a thread that queued gets a stack: every thread
		 * then has one to stand for its waits (collector/stack_sample_weights.h). */
		st->stack_sample_ctr = stack_sample_every ? (__u8)(stack_sample_every - 1) : 0;
		st->waker_sample_ctr = st->stack_sample_ctr; /* and its first wake call that woke one */
	}
	st->lock = 0;
	st->woke_long = 0;
	st->woke_any = 0;
	const __u64 enter_ns = bpf_ktime_get_ns();
	if (!st->count_gen) /* a thread new to the slot: its own counted entries */
		st->count_gen = enter_ns;
	if (!summary_mode) {
		__u32 cpu = bpf_get_smp_processor_id();
		st->enter_cpu = cpu;
		st->enter_node = node_of_cpu(cpu);
		st->opi = op_at_enter(nr, a1);
		st->uaddr = (nr == FXS_NR_FUTEX || nr == FXS_NR_FUTEX_WAIT || nr == FXS_NR_FUTEX_WAKE) ? a0 : 0;
		/*
		 * A new call: no sleeps, wakings or wakeups yet (sched_split.bpf.h).
		 * Cleared here, in the thread's own context, because the hooks that
		 * set them run on other CPUs and could race with a reset there.
		 */
		st->waking_ns = 0;
		st->wakeup_ns = 0;
		st->split_word = 0;
		st->key_flags = key_flags_at_enter(nr, a1, a3);
	}
	/*
	 * enter_ns last: sched_waking reads this slot from another CPU, and a
	 * nonzero enter_ns that did not change while it read opi and uaddr
	 * means they are this call's (handle_waking).
	 */
	compiler_barrier();
	st->enter_ns = enter_ns;
	return 0;
}

/* Decodes the arguments of one futex-family call from the saved user registers. */
/* A syscall's number and arguments, however they were read. */
struct sys_args {
	long nr;
	__u64 a[6];
	const struct pt_regs *uregs; /* the saved user registers (kernel memory), for raw stacks */
	bool btf;                    /* from a tp_btf program: BTF-typed loads (read_hash_view) */
};

/*
 * Returns the futex2 flag bits (FUTEX2_PRIVATE, FUTEX2_NUMA) of the call's
 * first key, which decide its hash table; 0 for futex_waitv (per entry).
 */
static __always_inline __u32 decode_args(struct fxs_futex_rec *r, long nr, const struct sys_args *args)
{
	__u64 a0 = args->a[0], a1 = args->a[1], a2 = args->a[2], a3 = args->a[3], a4 = args->a[4],
	      a5 = args->a[5];
	r->uaddr2 = 0;
	r->val2 = 0;
	r->val3 = 0;
	r->has_timeout = 0;
	r->nr_uaddrs = 0;
	switch (nr) {
	case FXS_NR_FUTEX: {
		__u32 cmd = (__u32)a1 & FXS_FUTEX_CMD_MASK;
		r->syscall = FXS_SC_FUTEX;
		r->uaddr = a0;
		r->op = (__u32)a1;
		r->val = (__u32)a2;
		r->opi = fxs_op_of_futex_cmd(cmd);
		/* The utime slot carries val2 for the requeue and wake-op commands. */
		if (fxs_op_in(FXS_OPS_UTIME_IS_VAL2, r->opi))
			r->val2 = (__u32)a3;
		else
			r->has_timeout = a3 != 0;
		if (fxs_has_uaddr2(r->opi))
			r->uaddr2 = a4;
		r->val3 = (__u32)a5;
		return (a1 & FXS_FUTEX_PRIVATE_FLAG) ? 0x80 : 0;
	}
	case FXS_NR_FUTEX_WAIT: /* uaddr, val, mask, flags, timeout, clockid */
		r->syscall = FXS_SC_FUTEX_WAIT;
		r->opi = FXS_OP_FUTEX2_WAIT;
		r->uaddr = a0;
		r->val = a1;
		r->val2 = a2;
		r->op = (__u32)a3;
		r->has_timeout = a4 != 0;
		return (__u32)a3;
	case FXS_NR_FUTEX_WAKE: /* uaddr, mask, nr, flags */
		r->syscall = FXS_SC_FUTEX_WAKE;
		r->opi = FXS_OP_FUTEX2_WAKE;
		r->uaddr = a0;
		r->val = 0;
		r->val2 = a1;
		r->val3 = (__u32)a2;
		r->op = (__u32)a3;
		return (__u32)a3;
	case FXS_NR_FUTEX_REQUEUE: { /* waiters[2], flags, nr_wake, nr_requeue */
		struct waitv_entry w[2] = {};
		r->syscall = FXS_SC_FUTEX_REQUEUE;
		r->opi = FXS_OP_FUTEX2_REQUEUE;
		if (bpf_probe_read_user(w, sizeof(w), (void *)a0))
			count(FXS_CNT_WAITV_READ);
		r->uaddr = w[0].uaddr;
		r->uaddr2 = w[1].uaddr;
		r->val = w[0].val;
		/* The syscall's own flags must be 0 (else EINVAL): keep the first key's instead. */
		r->op = a1 ? (__u32)a1 : w[0].flags;
		r->val3 = (__u32)a2;
		r->val2 = (__u32)a3;
		return w[0].flags;
	}
	default: /* futex_waitv: vector, nr, flags, timeout, clockid */
		r->syscall = FXS_SC_FUTEX_WAITV;
		r->opi = FXS_OP_FUTEX2_WAITV;
		r->uaddr = 0; /* entries follow the record */
		r->val = (__u32)a1;
		r->op = (__u32)a2;
		r->has_timeout = a3 != 0;
		return 0;
	}
}

/* ---- --summary: aggregate per (tgid, uaddr) in the kernel ---- */

static __always_inline void atomic_max(__u64 *p, __u64 v)
{
	__u64 old = *p;
	/* Bounded retries: the verifier wants a bounded loop; contention is rare. */
	for (int i = 0; i < 8 && v > old; i++) {
		__u64 seen = __sync_val_compare_and_swap(p, old, v);
		if (seen == old)
			break;
		old = seen;
	}
}

static __always_inline struct fxs_agg_val *agg_lookup(__u32 tgid, __u64 uaddr)
{
	struct fxs_agg_key key = {.tgid = tgid, .uaddr = uaddr};
	struct fxs_agg_val *v = bpf_map_lookup_elem(&aggs, &key);
	if (v)
		return v;
	static const struct fxs_agg_val zero;
	/* EEXIST means another CPU inserted it first: fine, look it up again. */
	if (bpf_map_update_elem(&aggs, &key, &zero, BPF_NOEXIST) == 0 &&
	    bpf_map_push_elem(&new_agg_keys, &key, 0) != 0)
		__sync_fetch_and_add(&new_agg_keys_full, 1);
	v = bpf_map_lookup_elem(&aggs, &key);
	if (!v)
		count(FXS_CNT_MAP_FULL);
	return v;
}

/*
 * Applies one call to the aggregate of one address. `primary` is false for
 * uaddr2: the second address only counts the op (DESIGN.md JSON contract).
 */
static __noinline int agg_apply(__u32 tgid, __u64 uaddr, const struct fxs_futex_rec *r, long ret,
				bool primary)
{
	struct fxs_agg_val *v = agg_lookup(tgid, uaddr);
	if (!v || !r)
		return 0;
	__u32 opi = r->opi;
	if (opi < FXS_NR_OPS)
		__sync_fetch_and_add(&v->ops[opi], 1);
	if (!primary)
		return 0;
	if (fxs_is_wait_op(opi)) {
		if (ret == FXS_RET_EAGAIN) {
			__sync_fetch_and_add(&v->eagain, 1);
		} else if (fxs_wait_queued(ret)) {
			__sync_fetch_and_add(&v->waits, 1);
			if (ret == FXS_RET_ETIMEDOUT)
				__sync_fetch_and_add(&v->timeouts, 1);
			else if (ret < 0)
				__sync_fetch_and_add(&v->interrupted, 1);
			if (r->enter_ns) {
				__u64 d = r->exit_ns - r->enter_ns;
				__sync_fetch_and_add(&v->wait_total_ns, d);
				atomic_max(&v->wait_max_ns, d);
				__u32 b = fxs_log2_bucket(d);
				if (b < FXS_HIST_BUCKETS)
					__sync_fetch_and_add(&v->hist[b], 1);
			}
		}
		return 0;
	}
	if (ret <= 0)
		return 0;
	__u64 woken = fxs_waiters_woken(opi, ret, r->val, r->val3);
	if (woken)
		__sync_fetch_and_add(&v->woken, woken);
	if (fxs_is_requeue_op(opi) && (__u64)ret > woken)
		__sync_fetch_and_add(&v->requeued, ret - woken); /* ret = woken + requeued */
	return 0;
}

/* ---- futex_waitv: the vector is read back from user memory at exit ---- */

struct waitv_agg_ctx {
	struct waitv_scratch *s;
	const struct fxs_futex_rec *r;
	long ret;
	__u32 tgid;
};

/* bpf_loop callback: the verifier checks it once instead of 128 unrolled times. */
static int waitv_agg_one(__u32 i, void *data)
{
	struct waitv_agg_ctx *c = data;
	if (i >= FXS_FUTEX_WAITV_MAX)
		return 1;
	agg_apply(c->tgid, c->s->vec[i].uaddr, c->r, c->ret, true);
	return 0;
}

static __always_inline int emit_waitv(struct fxs_futex_rec *r, __u64 vec_ptr, __u32 tgid, long ret,
				      struct task_state *st, bool btf)
{
	__u32 zero = 0;
	struct waitv_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	__u32 n = r->val;
	if (n > FXS_FUTEX_WAITV_MAX)
		n = FXS_FUTEX_WAITV_MAX;
	if (n == 0 || bpf_probe_read_user(s->vec, n * sizeof(struct waitv_entry), (void *)vec_ptr)) {
		count(FXS_CNT_WAITV_READ);
		n = 0;
	}
	if (summary_mode) {
		struct waitv_agg_ctx c = {.s = s, .r = r, .ret = ret, .tgid = tgid};
		bpf_loop(n, waitv_agg_one, &c, 0);
		return 0;
	}
	for (__u32 i = 0; i < FXS_FUTEX_WAITV_MAX; i++) {
		if (i >= n)
			break;
		s->uaddrs[i] = s->vec[i].uaddr;
	}
	r->nr_uaddrs = n;
	r->uaddr = n ? s->uaddrs[0] : 0;
	/* The record has room for one bucket: the first entry's. */
	compute_bucket(r->uaddr, n ? s->vec[0].flags : 0, st, tgid, r->tid, r->exit_ns,
		       &r->bucket_where, &r->bucket_index, btf);
	r->hdr.size = sizeof(*r) + n * sizeof(__u64);
	s->rec = *r;
	__u64 size = r->hdr.size;
	if (size > sizeof(s->rec) + sizeof(s->uaddrs))
		return 0;
	void *rb = cpu_ring();
	if (!rb || bpf_ringbuf_output(rb, s, size, 0))
		count(FXS_CNT_RINGBUF_DROP);
	return 0;
}

/* First event of a thread: record its name and its process's name. */
static __always_inline void emit_task(struct task_state *st, __u32 tgid, __u32 tid, __u64 now)
{
	void *rb;
	struct fxs_task_rec *t = reserve_record(&rb, FXS_REC_TASK, sizeof(*t));
	if (!t)
		return;
	t->ts_ns = now;
	t->tgid = tgid;
	t->tid = tid;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	BPF_CORE_READ_STR_INTO(&t->pcomm, task, group_leader, comm);
	/* Wake the collector now: it reads a new process's mappings for its stacks while it lives. */
	bpf_ringbuf_submit(t, BPF_RB_FORCE_WAKEUP);
	st->named = 1;
}

/*
 * The registers and the top of the user stack of a wait (struct
 * fxs_ustack_raw_rec), for the collector's DWARF unwinding. A copy that
 * would run past the stack's mapping fails whole, so shorter ones are tried.
 */
static __always_inline void emit_raw_stack(const struct pt_regs *uregs, const struct fxs_futex_rec *r)
{
	/* A drop loses no event: the wait keeps its frame-pointer stack. */
	struct fxs_ustack_raw_rec *out =
		reserve_in(cpu_ring(), FXS_REC_USTACK_RAW, sizeof(*out), &counters, FXS_CNT_RAW_STACK_DROP);
	if (!out)
		return;
	out->enter_ns = r->enter_ns;
	out->tgid = r->tgid;
	out->tid = r->tid;
	out->ip = BPF_CORE_READ(uregs, ip);
	out->sp = BPF_CORE_READ(uregs, sp);
	out->bp = BPF_CORE_READ(uregs, bp);
	out->pad = 0;
	const void *sp = (const void *)out->sp;
	if (!bpf_probe_read_user(out->stack, FXS_RAW_STACK_BYTES, sp))
		out->size = FXS_RAW_STACK_BYTES;
	else if (!bpf_probe_read_user(out->stack, 1024, sp))
		out->size = 1024;
	else if (!bpf_probe_read_user(out->stack, 256, sp))
		out->size = 256;
	else
		out->size = 0;
	bpf_ringbuf_submit(out, 0);
}

/*
 * One in stack_sample_every of a thread's wake calls that woke a waiter gets
 * its stack (the collector weighs it with the thread's other wakes on that
 * futex, as for the waits: collector/stack_sample_weights.h).
 */
static __always_inline int waker_in_sample(struct task_state *st, __u8 woke_any)
{
	if (!woke_any || !stack_sample_every || !st)
		return 0;
	if (++st->waker_sample_ctr < stack_sample_every)
		return 0;
	st->waker_sample_ctr = 0;
	return 1;
}

/*
 * Where in the program: for waits that slept at least stack_min_wait_ns,
 * and for the calls that woke such a wait (its waker's stack: a FUTEX_WAKE,
 * FUTEX_UNLOCK_PI, requeue; the waking hook marks them); and for a sample of
 * the shorter waits and of the wake calls that woke anyone.
 * A user stack walk costs microseconds; on every wake and short wait it
 * slowed a contended mutex threefold (docs/BENCHMARKS.md).
 */
static __always_inline void take_user_stack(void *ctx, const struct sys_args *args, struct fxs_futex_rec *r,
					    struct task_state *st, long ret, __u64 now, __u8 woke_long,
					    __u8 woke_any)
{
	int take_stack = fxs_wait_gets_stack(r->opi, ret, r->enter_ns, now, stack_min_wait_ns);
	/* And one in stack_sample_every of a thread's shorter waits that returned
	 * woken: the collector weighs it with those it stands for (the rule is
	 * op_rules.h's, which collector/stack_sample_weights.cpp counts by). */
	if (!take_stack && stack_sample_every && st &&
	    fxs_wait_in_stack_sample(r->opi, ret, r->enter_ns, now, stack_min_wait_ns) &&
	    ++st->stack_sample_ctr >= stack_sample_every) {
		st->stack_sample_ctr = 0;
		take_stack = 1;
	}
	if (capture_stacks && take_stack) {
		r->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (capture_raw_stacks)
			emit_raw_stack(args->uregs, r);
	} else if (capture_stacks && !fxs_is_wait_op(r->opi) && (woke_long || waker_in_sample(st, woke_any))) {
		/* A waker: its raw copy lets the unwinder get past glibc's
		 * frame-pointer-less pthread_cond_signal and pthread_mutex_unlock
		 * to the caller. Not with --stack-min-wait 0, where every waker
		 * woke a "long" wait: a 4 KiB copy for every wake filled the rings
		 * and cost the waits their own copies. */
		r->ustack_id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
		if (capture_raw_stacks && stack_min_wait_ns)
			emit_raw_stack(args->uregs, r);
	}
}

static __always_inline int handle_exit(void *ctx, const struct sys_args *args, long ret)
{
	long nr = args->nr;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	if (!wanted(tgid))
		return 0;

	struct task_state *st = task_slot(tid);
	if (st && st->tid != tid)
		st = 0; /* never entered while traced, or evicted: enter time unknown */
	struct fxs_futex_rec r;
	r.hdr.type = FXS_REC_FUTEX;
	r.hdr.size = sizeof(r);
	r.hdr.reserved = 0;
	/* enter_ns 0: the call began before tracing did; its wait time is unknown. */
	r.enter_ns = st ? st->enter_ns : 0;
	r.tgid = tgid;
	r.tid = tid;
	r.ret = (__s32)ret;
	r.enter_cpu = st ? st->enter_cpu : 0;
	r.enter_node = st ? st->enter_node : 0;
	r.exit_cpu = bpf_get_smp_processor_id();
	r.exit_node = node_of_cpu(r.exit_cpu);
	r.bucket_where = 0;
	r.bucket_index = 0;
	r.ustack_id = -1;
	__u32 key_flags = decode_args(&r, nr, args);
	__u8 woke_long = 0, woke_any = 0;
	if (st) {
		woke_long = st->woke_long;
		woke_any = st->woke_any;
		st->enter_ns = 0;
		st->lock = 0;
	}
	/* A futex2 system call this kernel does not have (ENOSYS) did nothing: not counted. */
	if (ret == -38 && r.syscall != FXS_SC_FUTEX)
		return 0;
	/*
	 * --summary needs the exit time only for waits that queued; reading the
	 * clock is among the costliest things done here (rdtsc in a VM).
	 */
	__u64 now = 0;
	/* A wait to count (counted_calls.bpf.h) is timed by its entry: one clock read per call. */
	const bool to_count = !summary_mode && count_span_ns && r.enter_ns && fxs_call_is_counted(r.opi, ret) &&
			      r.syscall != FXS_SC_FUTEX_WAITV;
	if (to_count)
		now = r.enter_ns;
	else if (!summary_mode || (fxs_is_wait_op(r.opi) && fxs_wait_queued(ret)))
		now = bpf_ktime_get_ns();
	r.exit_ns = now;

	if (r.syscall == FXS_SC_FUTEX_WAITV) {
		if (!summary_mode) {
			if (st && !st->named)
				emit_task(st, tgid, tid, now);
			take_user_stack(ctx, args, &r, st, ret, now, woke_long, woke_any);
		}
		if (st && !summary_mode)
			st->count_gen = now; /* counted waits after this call go to new entries */
		return emit_waitv(&r, args->a[0], tgid, ret, st, args->btf);
	}

	if (summary_mode) {
		agg_apply(tgid, r.uaddr, &r, ret, true);
		if (r.uaddr2)
			agg_apply(tgid, r.uaddr2, &r, ret, false);
		return 0;
	}

	if (min_wait_ns && fxs_is_wait_op(r.opi) && r.enter_ns && ret != FXS_RET_EAGAIN &&
	    now - r.enter_ns < min_wait_ns) {
		count(FXS_CNT_FILTERED);
		return 0;
	}
	if (st && !st->named)
		emit_task(st, tgid, tid, now);
	compute_bucket(r.uaddr, key_flags, st, tgid, tid, now, &r.bucket_where, &r.bucket_index, args->btf);
	take_user_stack(ctx, args, &r, st, ret, now, woke_long, woke_any);
	if (count_call(&r, st ? st->count_gen : 0, now))
		return 0;
	if (to_count) /* not counted after all (a full map): its own record, with its exit time */
		r.exit_ns = now = bpf_ktime_get_ns();
	if (st)
		st->count_gen = now; /* counted waits after this call go to new entries */

	void *rb = cpu_ring();
	struct fxs_futex_rec *out = rb ? bpf_ringbuf_reserve(rb, sizeof(*out), 0) : 0;
	if (!out) {
		count(FXS_CNT_RINGBUF_DROP);
		return 0;
	}
	*out = r;
	bpf_ringbuf_submit(out, wakeup_flag(rb));
	return 0;
}

/*
 * rseq(2) registrations, for the rseq capture (rseq.bpf.c), into its maps
 * (rseq_state.bpf.h): at sys_exit the call's arguments are still in the
 * saved registers. Set when the rseq capture runs and shares its maps.
 */
const volatile bool rseq_registrations = false;

static __always_inline int handle_rseq_exit(const struct sys_args *args, long ret)
{
	__u64 key = bpf_get_current_pid_tgid();
	if (!rseq_registrations || !wanted(key >> 32))
		return 0;
	return rseq_registration(key, args->a[0], (__u32)args->a[1], (__u32)args->a[2], (__u32)args->a[3], ret);
}

/*
 * Attach variants, chosen at load time (collector/bpf_session.cpp):
 * tp_btf gets trusted pt_regs and reads the saved registers with plain loads;
 * raw_tracepoint needs a bpf_probe_read_kernel() on every system call exit,
 * which costs measurably more. Kernels without BTF-typed tracepoints get the
 * raw ones.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(fxs_sys_enter_btf, struct pt_regs *regs, long id)
{
	if (attach_only || !is_futex_nr(id))
		return 0;
	return handle_enter(id, regs->di, regs->si, regs->r10);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fxs_sys_exit_btf, struct pt_regs *regs, long ret)
{
	if (attach_only)
		return 0;
	long nr = regs->orig_ax;
	if (!is_futex_nr(nr) && nr != FXS_NR_RSEQ)
		return 0;
	struct sys_args args = {nr, {regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9}, regs, true};
	if (nr == FXS_NR_RSEQ)
		return handle_rseq_exit(&args, ret);
	return handle_exit(ctx, &args, ret);
}

/*
 * --summary on tp_btf kernels, instead of fxs_sys_enter_btf: a wait's time is
 * the time it slept, stamped when its thread first blocks inside the call
 * (sched_switch, not preempted, prev_state not running). Only waits that
 * sleep need a start time; stamping every call at sys_enter was a second
 * program on every system call of the machine, and cost --summary a tenth
 * of a futex-heavy program's throughput (docs/BENCHMARKS.md).
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(fxs_summary_sleep_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	if (attach_only || preempt || !prev_state || (prev->flags & 0x00200000 /* PF_KTHREAD */))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);
	if (!regs)
		return 0;
	long nr = regs->orig_ax;
	if (!is_futex_nr(nr) || !fxs_is_wait_op(op_at_enter(nr, regs->si)))
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!wanted(pid_tgid >> 32))
		return 0;
	__u32 tid = (__u32)pid_tgid;
	struct task_state *st = task_slot(tid);
	if (!st)
		return 0;
	if (st->tid != tid) {
		if (st->enter_ns)
			count(FXS_CNT_ENTER_EVICTED); /* evicts another thread's pending sleep */
		st->tid = tid;
		st->enter_ns = 0;
	}
	if (!st->enter_ns) /* the first sleep of this call: sys_exit clears it */
		st->enter_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int fxs_sys_enter_raw(struct bpf_raw_tracepoint_args *ctx)
{
	long nr = (long)ctx->args[1];
	if (attach_only || !is_futex_nr(nr))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u64 a3 = needs_a3_at_enter(nr) ? BPF_CORE_READ(regs, r10) : 0;
	return handle_enter(nr, BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si), a3);
}

SEC("raw_tracepoint/sys_exit")
int fxs_sys_exit_raw(struct bpf_raw_tracepoint_args *ctx)
{
	if (attach_only)
		return 0;
	/* One read covers the syscall number and all six arguments (r10 .. orig_ax). */
	struct pt_regs *uregs = (struct pt_regs *)ctx->args[0];
	struct pt_regs regs;
	if (bpf_probe_read_kernel(&regs.r10, offsetof(struct pt_regs, ip) - offsetof(struct pt_regs, r10),
				  &uregs->r10))
		return 0;
	if (!is_futex_nr(regs.orig_ax) && regs.orig_ax != FXS_NR_RSEQ)
		return 0;
	struct sys_args args = {regs.orig_ax, {regs.di, regs.si, regs.dx, regs.r10, regs.r8, regs.r9}, uregs, false};
	if (regs.orig_ax == FXS_NR_RSEQ)
		return handle_rseq_exit(&args, (long)ctx->args[1]);
	return handle_exit(ctx, &args, (long)ctx->args[1]);
}

/*
 * Who woke whom: sched_waking runs in the waker's context. When the woken
 * thread is inside a traced futex wait, record the waker and what it was
 * doing: a futex wake-type call (with its address) or anything else (a timer
 * expiring, a signal). Only in the per-event stream.
 */
static __always_inline int handle_waking(__u32 wakee_tid, __u32 wakee_tgid)
{
	struct task_state *w = task_slot(wakee_tid);
	if (!w || w->tid != wakee_tid)
		return 0;
	/*
	 * The wakee's call, read once: a wake call that dequeued the wait before
	 * it slept races with it, and the wakee may return and begin another
	 * call while this runs (seen under qemu: the record then named the next
	 * wait, and the one it ended was left with no waker). handle_enter stores
	 * enter_ns after opi and uaddr and handle_exit clears it, so an enter_ns
	 * unchanged across the reads vouches for them. A changed one means the
	 * wakee had already left its wait: no record; the replay pairs such a
	 * wait with the wake call that overlapped it.
	 */
	const __u64 wait_enter_ns = READ_ONCE(w->enter_ns);
	const __u8 wakee_opi = READ_ONCE(w->opi);
	const __u64 wakee_uaddr = READ_ONCE(w->uaddr);
	compiler_barrier();
	if (!wait_enter_ns || !fxs_is_wait_op(wakee_opi) || READ_ONCE(w->enter_ns) != wait_enter_ns)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	split_on_waking(w, now);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct task_state *k = task_slot(tid);
	/* What the waker was doing, read before the reservation (the verifier then tracks k simply). */
	__u64 waker_uaddr = 0;
	__u8 waker_opi = FXS_OP_NONE;
	__u32 flags = 0;
	if (k && k->tid == tid && k->enter_ns) {
		waker_uaddr = k->uaddr;
		waker_opi = k->opi;
		/* Waker stacks: the stack of a call that ended a wait long enough to have one
		 * (and of a sample of the others). */
		if (now - wait_enter_ns >= stack_min_wait_ns)
			k->woke_long = 1;
		k->woke_any = 1;
	} else {
		/* Not in a futex call: an exiting thread wakes its joiner (CLEARTID) from mm_release. */
		struct task_struct *cur = (struct task_struct *)bpf_get_current_task();
		if (BPF_CORE_READ(cur, flags) & 0x4 /* PF_EXITING */)
			flags = FXS_WAKE_F_WAKER_EXITING;
	}
	void *rb;
	struct fxs_wake_rec *r = reserve_record(&rb, FXS_REC_WAKE, sizeof(*r));
	if (!r)
		return 0;
	r->ts_ns = now;
	r->waker_tgid = pid_tgid >> 32;
	r->waker_tid = tid;
	r->wakee_tgid = wakee_tgid;
	r->wakee_tid = wakee_tid;
	r->waker_uaddr = waker_uaddr;
	r->wakee_uaddr = wakee_uaddr;
	r->wait_enter_ns = wait_enter_ns;
	r->waker_opi = waker_opi;
	r->wakee_opi = wakee_opi;
	r->cpu = bpf_get_smp_processor_id();
	r->flags = flags;
	bpf_ringbuf_submit(r, wakeup_flag(rb));
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(fxs_waking_btf, struct task_struct *p)
{
	return handle_waking(p->pid, p->tgid);
}

SEC("raw_tracepoint/sched_waking")
int fxs_waking_raw(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *p = (struct task_struct *)ctx->args[0];
	return handle_waking(BPF_CORE_READ(p, pid), BPF_CORE_READ(p, tgid));
}

/*
 * A named thread that exec'd runs another program: name it again now
 * (FXS_REC_TASK, the new comm), so the collector forgets the old program's
 * modules and reads the new one's for its stacks and futex names (a pyenv or
 * rbenv shim exec's the real interpreter in the same process).
 */
SEC("raw_tracepoint/sched_process_exec")
int fxs_exec(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct task_state *st = task_slot(tid);
	if (!st || st->tid != tid || !st->named || !wanted(tgid))
		return 0;
	emit_task(st, tgid, tid, bpf_ktime_get_ns());
	return 0;
}

/*
 * A thread that made traced futex calls exits (every thread's exit fires
 * this; most return at the slot check). A wait released by its last wake is
 * a join by another name (replay/wake_model.h).
 */
SEC("raw_tracepoint/sched_process_exit")
int fxs_thread_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	struct task_state *st = task_slot(tid);
	if (!st || st->tid != tid || !st->named || !wanted(tgid))
		return 0;
	void *rb;
	struct fxs_thread_exit_rec *r = reserve_record(&rb, FXS_REC_THREAD_EXIT, sizeof(*r));
	if (!r)
		return 0;
	r->ts_ns = bpf_ktime_get_ns();
	r->tgid = tgid;
	r->tid = tid;
	bpf_ringbuf_submit(r, wakeup_flag(rb));
	return 0;
}

/* Children of traced processes are traced too (-- COMMAND). */
SEC("raw_tracepoint/sched_process_fork")
int fxs_fork(struct bpf_raw_tracepoint_args *ctx)
{
	if (!follow_children)
		return 0;
	return follow_fork(ctx, &traced_tgids, target_tgid);
}
