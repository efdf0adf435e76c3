/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the BPF objects that trace `-- COMMAND`: a process forked by a
 * traced process is traced too. `traced` is the object's own tgid map.
 */
#ifndef FUTEXSCOPE_FOLLOW_FORK_BPF_H
#define FUTEXSCOPE_FOLLOW_FORK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

static __always_inline int follow_fork(struct bpf_raw_tracepoint_args *ctx, void *traced,
				       __u32 target_tgid)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (ctgid == ptgid)
		return 0; /* a new thread, already covered by its tgid */
	if (ptgid != target_tgid && !bpf_map_lookup_elem(traced, &ptgid))
		return 0;
	__u8 one = 1;
	bpf_map_update_elem(traced, &ctgid, &one, BPF_ANY);
	return 0;
}

#endif /* FUTEXSCOPE_FOLLOW_FORK_BPF_H */
