/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * counted_calls.h: the key and value of the counted_calls map
 * (bpf/counted_calls.bpf.h), shared with the collector, which writes what is
 * left in the map when a recording ends. Not a trace record: the trace holds
 * struct fxs_futex_count_rec (trace_abi.h).
 */
#ifndef FUTEXSCOPE_COUNTED_CALLS_H
#define FUTEXSCOPE_COUNTED_CALLS_H

#ifndef __bpf__
#include <linux/types.h>
#endif
#include "trace_abi.h"
#include "op_rules.h"

/*
 * Every field of the calls' fxs_futex_rec but the times, the return value
 * (the op's: fxs_counted_ret) and what such a call never has (uaddr2, a
 * stack), plus `cpu` (the exit CPU: only programs on that CPU touch the
 * entry, so its plain increments need no atomics) and `gen`, which changes
 * with every call of the thread that gets its own record: a count never spans
 * one.
 */
struct fxs_counted_key {
	__u64 gen;
	__u64 uaddr;
	__u64 val;
	__u64 val2;
	__u32 tgid;
	__u32 tid;
	__u32 val3;
	__u32 op;
	__u32 bucket_index;
	__u16 cpu;
	__u16 enter_cpu;
	__u16 bucket_where;
	__u8 syscall;
	__u8 opi;
	__u8 has_timeout;
	__u8 enter_node;
	__u8 exit_node;
	__u8 pad;
};

struct fxs_counted_val {
	__u64 first_ns; /* entry time of the first call counted since the last record */
	__u64 last_ns;  /* and of the latest */
	__u64 count;    /* 0: written out, the entry kept for the next call */
};

/* The record of an entry's calls since its last one: the same on both sides. */
static inline void fxs_counted_record(struct fxs_futex_count_rec *r, const struct fxs_counted_key *k,
				      const struct fxs_counted_val *v)
{
	r->hdr.type = FXS_REC_FUTEX_COUNT;
	r->hdr.size = sizeof(*r);
	r->hdr.reserved = 0;
	r->first_ns = v->first_ns;
	r->last_ns = v->last_ns;
	r->tgid = k->tgid;
	r->tid = k->tid;
	r->uaddr = k->uaddr;
	r->val = k->val;
	r->val2 = k->val2;
	r->val3 = k->val3;
	r->ret = fxs_counted_ret(k->opi);
	r->op = k->op;
	r->count = (__u32)v->count;
	r->enter_cpu = k->enter_cpu;
	r->exit_cpu = k->cpu;
	r->enter_node = k->enter_node;
	r->exit_node = k->exit_node;
	r->syscall = k->syscall;
	r->opi = k->opi;
	r->has_timeout = k->has_timeout;
	r->pad = 0;
	r->bucket_where = k->bucket_where;
	r->bucket_index = k->bucket_index;
}

#ifndef __bpf__
static_assert(sizeof(struct fxs_counted_key) == 64, "fxs_counted_key layout");
static_assert(sizeof(struct fxs_counted_val) == 24, "fxs_counted_val layout");
#endif

#endif /* FUTEXSCOPE_COUNTED_CALLS_H */
