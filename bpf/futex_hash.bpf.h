/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * futex_hash.bpf.h: which kernel hash bucket a futex op's key lands in, and
 * the spins on bucket locks (lock:contention_begin/end) inside traced calls.
 * Part of the futex programs (futex.bpf.c): it shares their per-thread slots.
 *
 * The formula (docs/kernel.md, "The futex hash"): a private key is
 * {mm, page address, offset in page}. Private, non-NUMA keys of a process
 * with a private table hash jhash2(address, 2, offset) & hash_mask into it;
 * every other key hashes jhash2(key, 4, offset) into the global table,
 * futex_queues[node][hash & mask], node = (hash >> shift) % nr_node_ids, or
 * the node held in the word of a FUTEX2_NUMA futex. Process-shared keys use
 * the inode or the page, which BPF cannot see at sys_exit: marked shared.
 */
#ifndef FUTEXSCOPE_FUTEX_HASH_BPF_H
#define FUTEXSCOPE_FUTEX_HASH_BPF_H

#include "futex_state.bpf.h"
#include "jhash.h"

/* Shape of the global table (collector/hash_shape.h), set before load; mask 0 = unknown. */
const volatile __u32 global_hash_mask = 0;
const volatile __u32 global_hash_shift = 0;
const volatile __u32 global_nr_node_ids = 1;
/*
 * The node the kernel uses for each `(hash >> shift) % nr_node_ids`: itself
 * when possible, else the next possible node, wrapping (find_next_bit_wrap
 * over node_possible_map), for sparse node maps. Set before load.
 */
const volatile __u16 global_node_remap[FXS_MAX_NODES] = {};
const volatile bool global_numa_hash = false; /* 6.16+: a node per key */
/* Layout of the private table, from kernel BTF: written into FXS_REC_HASH. */
const volatile __u16 phash_queues_offset = 0;
const volatile __u16 hash_bucket_size = 0;

#define FXS_PAGE_SIZE 4096ull /* x86_64 */
#define FXS_FUTEX2_NUMA 0x04
#define FXS_FUTEX2_MPOL 0x08
#define FXS_FUTEX2_PRIVATE 0x80
#define FXS_FUTEX_NO_NODE 0xffffffffu

/* Local flavours: CO-RE finds these fields on 6.16+ and reports them absent on older kernels. */
struct futex_private_hash___fxs {
	unsigned int hash_mask;
} __attribute__((preserve_access_index));

struct mm_struct___fxs {
	struct futex_private_hash___fxs *futex_phash;
} __attribute__((preserve_access_index));

/* What a bucket computation read about the process: its mm and private table. */
struct hash_view {
	__u64 mm;
	__u64 phash;
	__u32 hash_mask;
};

/*
 * btf: from a tp_btf program, whose BTF-typed pointers the verifier lets it
 * load from directly (the JIT guards each load); else three
 * bpf_probe_read_kernel() calls, which were 6% of the machine's samples while
 * `perf bench futex hash` was recorded in full (docs/BENCHMARKS.md). A
 * compile-time constant at every call: the branch not taken is not in the
 * program. With btf, v->mm is such a pointer: fine to store and compare,
 * not to compute with.
 */
static __always_inline void read_hash_view(struct hash_view *v, bool btf)
{
	struct mm_struct___fxs *mm;
	if (btf)
		mm = (void *)bpf_get_current_task_btf()->mm;
	else
		mm = (void *)BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), mm);
	v->mm = (__u64)mm;
	v->phash = 0;
	v->hash_mask = 0;
	if (!mm || !bpf_core_field_exists(mm->futex_phash))
		return;
	struct futex_private_hash___fxs *ph = btf ? mm->futex_phash : BPF_CORE_READ(mm, futex_phash);
	v->phash = (__u64)ph;
	if (ph)
		v->hash_mask = btf ? ph->hash_mask : BPF_CORE_READ(ph, hash_mask);
}

/* Tells the replay about a private table the first time a thread sees it, and when it changes. */
static __always_inline void note_hash_view(struct task_state *st, const struct hash_view *v,
					   __u32 tgid, __u32 tid, __u64 now)
{
	if (!st || (st->phash_seen == v->phash && st->mask_seen == v->hash_mask && st->hash_noted))
		return;
	void *rb;
	struct fxs_hash_rec *h = reserve_record(&rb, FXS_REC_HASH, sizeof(*h));
	if (!h)
		return;
	h->ts_ns = now ? now : bpf_ktime_get_ns();
	h->tgid = tgid;
	h->tid = tid;
	h->mm = v->mm;
	h->phash = v->phash;
	h->hash_mask = v->hash_mask;
	h->queues_offset = phash_queues_offset;
	h->bucket_size = hash_bucket_size;
	bpf_ringbuf_submit(h, 0);
	st->phash_seen = v->phash;
	st->mask_seen = v->hash_mask;
	st->hash_noted = 1;
}

/*
 * The bucket of the key at uaddr, into *where (FXS_BUCKET_WHERE) and *index.
 * key_flags are the futex2 flag bits (FUTEX2_PRIVATE, FUTEX2_NUMA) of that
 * key, whatever the call, or FXS_KEY_FLAGS_UNKNOWN. now 0: a second
 * computation for a call (at a lock spin), whose failures sys_exit counts.
 */
static __always_inline void compute_bucket(__u64 uaddr, __u32 key_flags, struct task_state *st,
					   __u32 tgid, __u32 tid, __u64 now, __u16 *where,
					   __u32 *index, bool btf)
{
	bool numa = key_flags & FXS_FUTEX2_NUMA;
	*where = FXS_BUCKET_WHERE(FXS_BUCKET_UNKNOWN, 0);
	*index = 0;
	if (!uaddr || (key_flags & FXS_KEY_FLAGS_UNKNOWN) || (uaddr & (numa ? 7 : 3)))
		return; /* unaligned words are refused (EINVAL): no bucket */
	/*
	 * FUTEX2_MPOL without FUTEX2_NUMA: the node may come from the VMA's memory
	 * policy, which BPF cannot read here. Say unknown rather than guess.
	 */
	if ((key_flags & FXS_FUTEX2_MPOL) && !numa) {
		if (now)
			count(FXS_CNT_BUCKET_UNKNOWN);
		return;
	}
	if (!(key_flags & FXS_FUTEX2_PRIVATE)) {
		*where = FXS_BUCKET_WHERE(FXS_BUCKET_SHARED, 0);
		return;
	}
	struct hash_view v;
	read_hash_view(&v, btf);
	note_hash_view(st, &v, tgid, tid, now);
	__u32 offset = uaddr & (FXS_PAGE_SIZE - 1);
	__u64 page = uaddr - offset;
	if (!numa && v.phash && v.hash_mask) {
		*index = fxs_jhash2_2((__u32)page, (__u32)(page >> 32), offset) & v.hash_mask;
		*where = FXS_BUCKET_WHERE(FXS_BUCKET_PRIVATE, 0);
		return;
	}
	if (!global_hash_mask || !v.mm) {
		if (now)
			count(FXS_CNT_BUCKET_UNKNOWN);
		return;
	}
	/* The hash takes the mm's address as a number, which a BTF-typed pointer is not to the verifier. */
	__u64 mm = btf ? (__u64)BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), mm) : v.mm;
	__u32 hash = fxs_jhash2_4((__u32)mm, (__u32)(mm >> 32), (__u32)page, (__u32)(page >> 32), offset);
	__u32 node = 0;
	if (numa) {
		/* {u32 value; u32 node}: the kernel wrote the node it chose by sys_exit. */
		if (bpf_probe_read_user(&node, sizeof(node), (void *)(uaddr + 4)) ||
		    node == FXS_FUTEX_NO_NODE || node >= 8192) {
			if (now)
				count(FXS_CNT_BUCKET_UNKNOWN);
			return;
		}
	} else if (global_numa_hash && global_nr_node_ids > 1) {
		__u32 n = (hash >> global_hash_shift) % global_nr_node_ids;
		node = n < FXS_MAX_NODES ? global_node_remap[n] : n;
	}
	*index = hash & global_hash_mask;
	*where = FXS_BUCKET_WHERE(numa ? FXS_BUCKET_NUMA : FXS_BUCKET_GLOBAL, node);
}

/* ---- bucket lock contention inside traced futex calls ---- */

static __always_inline int handle_contention_begin(__u64 lock, __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct task_state *st = task_slot(tid);
	/* Only inside a traced call, and only the outermost spin (an interrupt may nest one). */
	if (!st || st->tid != tid || !st->enter_ns || st->lock)
		return 0;
	st->lock = lock;
	st->lock_flags = flags;
	/*
	 * The call's bucket, computed now, before this thread holds the lock: the
	 * work would otherwise lengthen the very hold time the other spinners wait on.
	 */
	compute_bucket(st->uaddr, st->key_flags, st, (__u32)(bpf_get_current_pid_tgid() >> 32), tid,
		       0, &st->lock_bucket_where, &st->lock_bucket_index, false);
	st->lock_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int handle_contention_end(__u64 lock)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct task_state *st = task_slot(tid);
	if (!st || st->tid != tid || !st->lock || st->lock != lock)
		return 0;
	__u64 now = bpf_ktime_get_ns();
	void *rb;
	struct fxs_contention_rec *c = reserve_record(&rb, FXS_REC_CONTENTION, sizeof(*c));
	if (!c) {
		st->lock = 0;
		return 0;
	}
	c->ts_ns = st->lock_ns;
	c->spin_ns = now - st->lock_ns;
	c->lock = lock;
	c->call_enter_ns = st->enter_ns;
	c->uaddr = st->uaddr;
	c->tgid = pid_tgid >> 32;
	c->tid = tid;
	c->flags = st->lock_flags;
	c->opi = st->opi;
	__builtin_memset(c->pad, 0, sizeof(c->pad));
	c->bucket_where = st->lock_bucket_where;
	c->bucket_index = st->lock_bucket_index;
	bpf_ringbuf_submit(c, wakeup_flag(rb));
	st->lock = 0;
	return 0;
}

SEC("raw_tracepoint/contention_begin")
int fxs_contention_begin(struct bpf_raw_tracepoint_args *ctx)
{
	return handle_contention_begin(ctx->args[0], (__u32)ctx->args[1]);
}

SEC("raw_tracepoint/contention_end")
int fxs_contention_end(struct bpf_raw_tracepoint_args *ctx)
{
	return handle_contention_end(ctx->args[0]);
}

#endif /* FUTEXSCOPE_FUTEX_HASH_BPF_H */
