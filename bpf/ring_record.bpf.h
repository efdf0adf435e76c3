/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ring_record.bpf.h: a per-CPU counter array's increment, and a record
 * reserved in a ring buffer with its header filled in, its drop counted when
 * the ring is full. One copy for the futex programs (futex_state.bpf.h: their
 * per-CPU rings, FXS_CNT_*) and the rseq programs (rseq_state.bpf.h: their
 * ring, FXS_RSEQ_CNT_*). Always inlined, so each map is a constant to the
 * verifier.
 */
#ifndef FUTEXSCOPE_RING_RECORD_BPF_H
#define FUTEXSCOPE_RING_RECORD_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "trace_abi.h"

/* Adds one to counter `idx` of `counters`, a BPF_MAP_TYPE_PERCPU_ARRAY of __u64. */
static __always_inline void counter_inc(void *counters, __u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(counters, &idx);
	if (c)
		__sync_fetch_and_add(c, 1);
}

/*
 * A record of `size` bytes reserved in `ring` (0: none) with its header
 * filled in, or 0 with counter `drop_idx` of `counters` counted (the
 * collector reports every drop).
 */
static __always_inline void *reserve_in(void *ring, __u16 type, __u16 size, void *counters, __u32 drop_idx)
{
	struct fxs_rec_hdr *h = ring ? bpf_ringbuf_reserve(ring, size, 0) : 0;
	if (!h) {
		counter_inc(counters, drop_idx);
		return 0;
	}
	h->type = type;
	h->size = size;
	h->reserved = 0;
	return h;
}

#endif /* FUTEXSCOPE_RING_RECORD_BPF_H */
