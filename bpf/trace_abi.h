/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trace_abi.h: the ONLY definition of records shared by the BPF programs and
 * the C++ side. Every record starts with struct fxs_rec_hdr; records are
 * self-delimiting (hdr.size) so readers skip types they do not know.
 * Fixed-width fields, explicit padding, sizes asserted on both sides.
 * Bump FXS_ABI_VERSION whenever a layout changes.
 */
#ifndef FUTEXSCOPE_TRACE_ABI_H
#define FUTEXSCOPE_TRACE_ABI_H

#ifdef __bpf__
/* vmlinux.h provides __u8.. __u64 */
#else
#include <linux/types.h> /* __u8 .. __u64, as the kernel and libbpf spell them */
#endif

#define FXS_ABI_VERSION 1

enum fxs_rec_type {
	FXS_REC_FUTEX = 1,    /* struct fxs_futex_rec (+ __u64 uaddrs[nr_uaddrs]) */
	FXS_REC_TASK = 2,     /* struct fxs_task_rec: names of a thread and its process */
	FXS_REC_LOSS = 3,     /* struct fxs_loss_rec: written by the collector */
	FXS_REC_AGG = 4,      /* struct fxs_agg_rec: --summary aggregate, cumulative */
	FXS_REC_STOP = 5,     /* struct fxs_stop_rec: clean end of recording */
	FXS_REC_WAKE = 6,     /* struct fxs_wake_rec: a thread in a futex wait was woken */
};

/* Which system call produced a futex record. */
enum fxs_syscall {
	FXS_SC_FUTEX = 0,
	FXS_SC_FUTEX_WAITV = 1,
	FXS_SC_FUTEX_WAIT = 2,
	FXS_SC_FUTEX_WAKE = 3,
	FXS_SC_FUTEX_REQUEUE = 4,
};

/*
 * Operation index used for per-op counters: futex(2) commands 0..13 keep their
 * number (FUTEX_WAIT 0 .. FUTEX_LOCK_PI2 13); futex2 syscalls follow.
 */
enum fxs_op {
	FXS_OP_FUTEX_WAIT = 0,
	FXS_OP_FUTEX_WAKE = 1,
	FXS_OP_FUTEX_FD = 2,
	FXS_OP_FUTEX_REQUEUE = 3,
	FXS_OP_FUTEX_CMP_REQUEUE = 4,
	FXS_OP_FUTEX_WAKE_OP = 5,
	FXS_OP_FUTEX_LOCK_PI = 6,
	FXS_OP_FUTEX_UNLOCK_PI = 7,
	FXS_OP_FUTEX_TRYLOCK_PI = 8,
	FXS_OP_FUTEX_WAIT_BITSET = 9,
	FXS_OP_FUTEX_WAKE_BITSET = 10,
	FXS_OP_FUTEX_WAIT_REQUEUE_PI = 11,
	FXS_OP_FUTEX_CMP_REQUEUE_PI = 12,
	FXS_OP_FUTEX_LOCK_PI2 = 13,
	FXS_OP_FUTEX2_WAITV = 14,
	FXS_OP_FUTEX2_WAIT = 15,
	FXS_OP_FUTEX2_WAKE = 16,
	FXS_OP_FUTEX2_REQUEUE = 17,
	FXS_OP_UNKNOWN = 18, /* futex(2) command above 13 */
	FXS_NR_OPS = 19,
	FXS_OP_NONE = 0xff, /* not inside a futex call */
};

#define FXS_FUTEX_CMD_MASK 0x7f
#define FXS_FUTEX_PRIVATE_FLAG 128
#define FXS_FUTEX_CLOCK_REALTIME 256
#define FXS_FUTEX_WAITV_MAX 128
#define FXS_HIST_BUCKETS 40 /* log2(ns) buckets: bucket b holds [2^b, 2^(b+1)) */
#define FXS_COMM_LEN 16
#define FXS_MAX_CPUS 4096 /* CPUs the BPF side maps to NUMA nodes */

/* x86_64 syscall numbers (KERNEL-FACTS.md). */
#define FXS_NR_FUTEX 202
#define FXS_NR_FUTEX_WAITV 449
#define FXS_NR_FUTEX_WAKE 454
#define FXS_NR_FUTEX_WAIT 455
#define FXS_NR_FUTEX_REQUEUE 456

struct fxs_rec_hdr {
	__u16 type; /* enum fxs_rec_type */
	__u16 size; /* whole record in bytes, header included */
	__u32 reserved;
};

/*
 * One futex-family system call. Argument meaning by syscall:
 *  futex:         uaddr, op, val, val2 (timeout pointer or val2), uaddr2, val3
 *  futex_wait:    uaddr, val, val2 = mask, op = flags, timeout
 *  futex_wake:    uaddr, val2 = mask, val3 = nr, op = flags
 *  futex_requeue: uaddr = waiters[0].uaddr, uaddr2 = waiters[1].uaddr,
 *                 val3 = nr_wake, val2 = nr_requeue, op = flags, val = waiters[0].val
 *  futex_waitv:   uaddrs[] follow the record, val = nr, op = flags, ret = woken index
 */
struct fxs_futex_rec {
	struct fxs_rec_hdr hdr;
	__u64 enter_ns;
	__u64 exit_ns;
	__u32 tgid;
	__u32 tid;
	__u64 uaddr;
	__u64 uaddr2;
	__u64 val;
	__u64 val2;
	__u32 val3;
	__s32 ret;
	__u32 op;          /* raw futex op word, or futex2 flags */
	__u16 enter_cpu;
	__u16 exit_cpu;
	__u8 enter_node;
	__u8 exit_node;
	__u8 syscall;      /* enum fxs_syscall */
	__u8 opi;          /* enum fxs_op */
	__u8 has_timeout;
	__u8 nr_uaddrs;    /* futex_waitv entries that follow (capped at 128) */
	__u16 pad;
};

struct fxs_task_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	char comm[FXS_COMM_LEN];     /* thread name */
	char pcomm[FXS_COMM_LEN];    /* process (group leader) name */
};

/* Named in-kernel failure counters (index into the counters array map). */
enum fxs_counter {
	FXS_CNT_RINGBUF_DROP = 0, /* ring buffer full: event lost */
	FXS_CNT_MAP_FULL = 1,     /* aggregation map full: key not counted */
	FXS_CNT_ENTER_EVICTED = 2, /* a thread's enter slot was taken by another: enter time lost */
	FXS_CNT_FILTERED = 3,     /* waits shorter than --min-wait, not recorded */
	FXS_CNT_WAITV_READ = 4,   /* futex_waitv vector unreadable */
	FXS_NR_COUNTERS = 8,
};

struct fxs_loss_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u64 counters[FXS_NR_COUNTERS]; /* cumulative since recording began */
};

struct fxs_agg_key {
	__u32 tgid;
	__u32 pad;
	__u64 uaddr;
};

struct fxs_agg_val {
	__u64 ops[FXS_NR_OPS];
	__u64 waits;       /* wait-type calls that queued: 0/index, ETIMEDOUT, EINTR */
	__u64 eagain;
	__u64 timeouts;
	__u64 interrupted;
	__u64 woken;
	__u64 requeued;
	__u64 wait_total_ns;
	__u64 wait_max_ns;
	__u64 hist[FXS_HIST_BUCKETS];
};

struct fxs_agg_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	struct fxs_agg_key key;
	struct fxs_agg_val val; /* cumulative: the latest record of a key wins */
};

/*
 * sched_waking of a thread that was inside a traced futex wait. The waker is
 * whatever ran the wake-up: a thread in a futex wake-type call (waker_opi,
 * waker_uaddr), or not in a futex call at all (waker_opi FXS_OP_NONE: a
 * timeout's timer, a signal, or a requeue-PI handover).
 */
struct fxs_wake_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 waker_tgid;
	__u32 waker_tid;
	__u32 wakee_tgid;
	__u32 wakee_tid;
	__u64 waker_uaddr;   /* first address of the waker's futex call, 0 if none */
	__u64 wakee_uaddr;   /* first address of the woken wait (0 for futex_waitv) */
	__u64 wait_enter_ns; /* enter time of the woken wait: pairs it with its FXS_REC_FUTEX */
	__u8 waker_opi;
	__u8 wakee_opi;
	__u16 cpu;
	__u32 pad;
};

struct fxs_stop_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
};

#ifdef __cplusplus
static_assert(sizeof(struct fxs_rec_hdr) == 8, "fxs_rec_hdr layout");
static_assert(sizeof(struct fxs_futex_rec) == 88, "fxs_futex_rec layout");
static_assert(sizeof(struct fxs_task_rec) == 56, "fxs_task_rec layout");
static_assert(sizeof(struct fxs_loss_rec) == 80, "fxs_loss_rec layout");
static_assert(sizeof(struct fxs_agg_key) == 16, "fxs_agg_key layout");
static_assert(sizeof(struct fxs_wake_rec) == 64, "fxs_wake_rec layout");
static_assert(sizeof(struct fxs_agg_val) == (FXS_NR_OPS + 8 + FXS_HIST_BUCKETS) * 8, "fxs_agg_val layout");
static_assert(sizeof(struct fxs_agg_rec) == 8 + 8 + 16 + sizeof(struct fxs_agg_val), "fxs_agg_rec layout");
#else
_Static_assert(sizeof(struct fxs_futex_rec) == 88, "fxs_futex_rec layout");
_Static_assert(sizeof(struct fxs_task_rec) == 56, "fxs_task_rec layout");
#endif

#endif /* FUTEXSCOPE_TRACE_ABI_H */
