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

#define FXS_ABI_VERSION 2 /* 2: fxs_futex_rec grew ustack_id */

enum fxs_rec_type {
	FXS_REC_FUTEX = 1,    /* struct fxs_futex_rec (+ __u64 uaddrs[nr_uaddrs]) */
	FXS_REC_TASK = 2,     /* struct fxs_task_rec: names of a thread and its process */
	FXS_REC_LOSS = 3,     /* struct fxs_loss_rec: written by the collector */
	FXS_REC_AGG = 4,      /* struct fxs_agg_rec: --summary aggregate, cumulative */
	FXS_REC_STOP = 5,     /* struct fxs_stop_rec: clean end of recording */
	FXS_REC_WAKE = 6,     /* struct fxs_wake_rec: a thread in a futex wait was woken */
	FXS_REC_STACK = 7,    /* struct fxs_stack_rec: a symbolized user stack (collector) */
	FXS_REC_WAIT_SPLIT = 11, /* struct fxs_wait_split_rec: where a wait that slept spent its time */
	FXS_REC_SWITCH = 12,  /* struct fxs_switch_rec: a context switch of a traced thread */
	FXS_REC_WAKEUP = 13,  /* struct fxs_wakeup_rec: sched_wakeup of a traced thread */
	FXS_REC_HASH = 8,     /* struct fxs_hash_rec: a thread saw its process's private futex hash (new or resized) */
	FXS_REC_CONTENTION = 9, /* struct fxs_contention_rec: a spin on a lock inside a traced futex call */
	FXS_REC_HASH_GLOBAL = 14, /* struct fxs_hash_global_rec: the global table's shape (collector) */
	FXS_REC_PAGE_NODE = 10, /* struct fxs_page_node_rec: NUMA node of a page holding futex words (collector) */
	FXS_REC_USTACK_RAW = 15, /* struct fxs_ustack_raw_rec: registers and stack bytes of a wait (BPF -> collector only, never in a trace) */
	/* rseq and UMCG, numbered from 16 to stay clear of concurrent additions above */
	FXS_REC_RSEQ_ABORT = 16,  /* struct fxs_rseq_abort_rec: one rseq_ip_fixup */
	FXS_REC_RSEQ_THREAD = 17, /* struct fxs_rseq_thread_rec: per-thread rseq counts, cumulative */
	FXS_REC_RSEQ_REG = 18,    /* struct fxs_rseq_reg_rec: one rseq(2) call */
	FXS_REC_RSEQ_STATS = 19,  /* struct fxs_rseq_stats_rec: rseq capture counters (collector) */
	FXS_REC_RSEQ_SYM = 20,    /* struct fxs_rseq_sym_rec + name: symbol of a critical section */
	FXS_REC_UMCG = 21,        /* struct fxs_umcg_rec: one umcg_* call (kernels that carry UMCG) */
	FXS_REC_THREAD_STATE = 22, /* struct fxs_thread_state_rec + uaddrs + stack: a target thread in /proc (collector) */
	FXS_REC_FUTEX_NAME = 23,   /* struct fxs_futex_name_rec + name: what a futex word is (collector) */
	FXS_REC_STACK_WEIGHT = 24, /* struct fxs_stack_weight_rec: the waits a sampled stack stands for (collector) */
	FXS_REC_THREAD_EXIT = 25,  /* struct fxs_thread_exit_rec: a thread that made traced futex calls exited */
	FXS_REC_FUTEX_COUNT = 26,  /* struct fxs_futex_count_rec: n alike calls of a thread that did nothing, counted in the kernel */
	/* A new type: add it to kKnownRecordTypeBits (replay/record_types.h) and to the kReads of the models that read it. */
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
#define FXS_MAX_NODES 1024 /* NUMA nodes the bucket computation knows (x86 MAX_NUMNODES) */

/* x86_64 syscall numbers (docs/kernel.md). */
#define FXS_NR_FUTEX 202
#define FXS_NR_FUTEX_WAITV 449
#define FXS_NR_FUTEX_WAKE 454
#define FXS_NR_FUTEX_WAIT 455
#define FXS_NR_FUTEX_REQUEUE 456
#define FXS_NR_RSEQ 334

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
 *                 val3 = nr_wake, val2 = nr_requeue, val = waiters[0].val,
 *                 op = waiters[0].flags (the FUTEX2_* flags of the first key), or the
 *                 syscall's flags argument when that was not 0 (the call failed: EINVAL)
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
	__u16 bucket_where; /* hash bucket of uaddr: FXS_BUCKET_TABLE(w) and FXS_BUCKET_NODE(w) */
	__s32 ustack_id;   /* user stack in the stack map (FXS_REC_STACK), or < 0 if none */
	__u32 bucket_index; /* index of that bucket in its table */
};

/*
 * `count` calls of one thread that did nothing: plain waits that returned
 * EAGAIN (the word no longer held the expected value), or plain wakes that
 * woke nobody (op_rules.h: fxs_call_is_counted), alike in every field of their fxs_futex_rec but
 * the times, counted in the kernel instead of streamed one record each
 * (bpf/counted_calls.bpf.h): on a futex-heavy program nearly every call is
 * one of these. No call of the thread that has its own record falls between
 * the first and the last (entry times first_ns .. last_ns). Readers turn it
 * back into `count` fxs_futex_rec, spread evenly over that span
 * (replay/counted_calls.h); it exists only inside chunks.
 */
struct fxs_futex_count_rec {
	struct fxs_rec_hdr hdr;
	__u64 first_ns;
	__u64 last_ns;
	__u32 tgid;
	__u32 tid;
	__u64 uaddr;
	__u64 val;
	__u64 val2;
	__u32 val3;
	__s32 ret;
	__u32 op;
	__u32 count;
	__u16 enter_cpu;
	__u16 exit_cpu;
	__u8 enter_node;
	__u8 exit_node;
	__u8 syscall;
	__u8 opi;
	__u8 has_timeout;
	__u8 pad;
	__u16 bucket_where;
	__u32 bucket_index;
};
/* At most this many calls per record: one record expands to at most 6 MiB of calls. */
#define FXS_COUNTED_MAX 65535

/*
 * Which kernel hash table a futex op's key hashed to, computed in BPF with the
 * kernel's formula at sys_exit (bpf/futex_hash.bpf.h, docs/kernel.md "The
 * futex hash"). Traces from before this field hold 0 (FXS_BUCKET_NONE).
 */
enum fxs_bucket_table {
	FXS_BUCKET_NONE = 0,    /* not computed (older trace, --summary) */
	FXS_BUCKET_PRIVATE = 1, /* the process's own table (mm->futex_phash), index & hash_mask */
	FXS_BUCKET_GLOBAL = 2,  /* futex_queues[node][index]: node from the hash */
	FXS_BUCKET_NUMA = 3,    /* FUTEX2_NUMA: the global table of the node in the futex word */
	FXS_BUCKET_SHARED = 4,  /* process-shared key (inode or mm-shared): not computable here */
	FXS_BUCKET_UNKNOWN = 5, /* could not read what the formula needs (NUMA word unreadable, 6.1 ...) */
};
#define FXS_BUCKET_WHERE(table, node) ((__u16)(((node) << 3) | ((table) & 7)))
#define FXS_BUCKET_TABLE(where) ((where) & 7)
#define FXS_BUCKET_NODE(where) ((where) >> 3)

struct fxs_task_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	char comm[FXS_COMM_LEN];     /* thread name */
	char pcomm[FXS_COMM_LEN];    /* process (group leader) name */
};

/*
 * sched_process_exit of a thread that had made a traced futex call (one
 * with an FXS_REC_TASK): a wait its last wake released is a join by another
 * name (Python's Thread.join, a future set as its thread ends), not
 * contention (replay/wake_model.h).
 */
struct fxs_thread_exit_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
};

/* Named in-kernel failure counters (index into the counters array map). */
enum fxs_counter {
	FXS_CNT_RINGBUF_DROP = 0, /* ring buffer full: event lost */
	FXS_CNT_MAP_FULL = 1,     /* aggregation map full: key not counted */
	FXS_CNT_ENTER_EVICTED = 2, /* a thread's enter slot was taken by another: enter time lost */
	FXS_CNT_FILTERED = 3,     /* waits shorter than --min-wait, not recorded */
	FXS_CNT_WAITV_READ = 4,   /* futex_waitv vector unreadable */
	FXS_CNT_BUCKET_UNKNOWN = 5, /* a bucket could not be computed (NUMA word or mm unreadable) */
	FXS_CNT_RAW_STACK_DROP = 6, /* ring buffer full: a wait's raw stack not sent (its stack is the frame-pointer walk's) */
	/* Counted by the collector, not in BPF (traces from before it hold 0): a
	 * futex page's NUMA node not asked, more than PageNodeResolver::kMaxPages
	 * pages of live processes at once (that futex has no page node). */
	FXS_CNT_PAGE_NODE_CAP = 7,
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
	__u32 flags;         /* FXS_WAKE_F_* */
};

/* fxs_wake_rec.flags. 0 in traces from before the flags existed. */
#define FXS_WAKE_F_WAKER_EXITING 0x1 /* the waker was exiting: the kernel's CLEARTID wake of pthread_join */

/*
 * A user call stack, written by the collector the first time a (tgid,
 * ustack_id) appears, symbolized while the process was alive so the trace
 * replays with function names anywhere. Followed by __u64 ips[nframes]
 * (innermost first), then nframes NUL-terminated names ("func+0x1c" or
 * "[module+0x...]" or "0x..."), padded to a multiple of 8 bytes.
 */
struct fxs_stack_rec {
	struct fxs_rec_hdr hdr;
	__u32 tgid;
	__s32 stack_id;
	__u32 nframes;
	__u32 pad;
};

#define FXS_MAX_STACK_DEPTH 127

/*
 * The top of the user stack of a futex wait that slept long enough for a
 * stack (the same waits as ustack_id), emitted just before its
 * FXS_REC_FUTEX: the collector unwinds it with the DWARF call frame
 * information of the process's modules (libdwfl), which walks through code
 * built without frame pointers (glibc's pthread and lock functions) where the
 * BPF stack map's frame-pointer walk loses the caller. The collector only:
 * the unwound stack goes into the trace as an FXS_REC_STACK.
 */
#define FXS_RAW_STACK_BYTES 4096
struct fxs_ustack_raw_rec {
	struct fxs_rec_hdr hdr;
	__u64 enter_ns;   /* of the wait: pairs it with the FXS_REC_FUTEX that follows */
	__u32 tgid;
	__u32 tid;
	__u64 ip, sp, bp; /* user registers at the system call */
	__u32 size;       /* stack bytes copied from sp (0: none could be read) */
	__u32 pad;
	__u8 stack[FXS_RAW_STACK_BYTES];
};

/*
 * One sleep of a futex wait (bpf/sched_split.bpf.h), emitted when the waiter
 * is switched back in. t0 sleep_ns: its first sleeping switch-out inside the
 * wait; t1 waking_ns: sched_waking of its last sleep; t2 wakeup_ns:
 * sched_wakeup; t3 run_ns: switch-in. t4 is the exit_ns of the wait's own
 * FXS_REC_FUTEX, found by (tid, wait_enter_ns). A wait that slept more than
 * once emits one record per sleep, with `sleeps` counting: the last one wins.
 * A zero t1/t2 means that hook did not see the wake-up.
 */
#define FXS_SPLIT_WAKING_RACE 0x1 /* sched_waking came while it was switching out: t1 = t0 */

struct fxs_wait_split_rec {
	struct fxs_rec_hdr hdr;
	__u64 wait_enter_ns; /* enter_ns of the wait: pairs it with its FXS_REC_FUTEX */
	__u64 sleep_ns;      /* t0 */
	__u64 waking_ns;     /* t1 */
	__u64 wakeup_ns;     /* t2 */
	__u64 run_ns;        /* t3 */
	__u64 uaddr;         /* the wait's first address (0 for futex_waitv) */
	__u32 tgid;
	__u32 tid;
	__u16 sleeps;        /* sleeps of this wait so far, this one included */
	__u16 cpu;           /* CPU it was switched in on */
	__u8 opi;            /* enum fxs_op of the wait */
	__u8 flags;          /* FXS_SPLIT_* */
	__u16 pad;
	__s32 kstack_id;     /* kernel stack where it slept (FXS_REC_STACK, tgid 0), < 0 if none */
	__u32 pad2;
};

/*
 * Scheduler states of traced threads (threads that made a traced futex call),
 * for the lock-holder view: a switch with either side traced, and the
 * wakeups of traced threads. Per-event traces only.
 */
#define FXS_SWITCH_PREEMPT 0x1     /* prev was preempted (stays runnable) */
#define FXS_SWITCH_PREV_TRACED 0x2
#define FXS_SWITCH_NEXT_TRACED 0x4

struct fxs_switch_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 prev_tid;
	__u32 next_tid;
	__u32 prev_state; /* sched_switch prev_state: 0 runnable, else blocked (unless FXS_SWITCH_PREEMPT) */
	__u16 cpu;
	__u8 flags;       /* FXS_SWITCH_* */
	__u8 pad;
};

struct fxs_wakeup_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tid;
	__u16 cpu;        /* CPU the hook ran on */
	__u16 pad;
};

/*
 * The private futex hash of a process as one of its threads saw it at a futex
 * call's exit: emitted when the thread first sees a table and whenever the
 * table changes (prctl(PR_FUTEX_HASH) or automatic resize replace it).
 * phash 0: the process uses the global table. Buckets are 64 bytes and start
 * at phash + queues_offset; the bucket lock is at bucket + lock_offset.
 */
struct fxs_hash_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	__u64 mm;            /* struct mm_struct *: part of every private key */
	__u64 phash;         /* struct futex_private_hash *, 0 if none */
	__u32 hash_mask;     /* slots - 1; 0 = the global table is used */
	__u16 queues_offset; /* offsetof(struct futex_private_hash, queues) */
	__u16 bucket_size;   /* sizeof(struct futex_hash_bucket) */
};

/*
 * lock:contention_begin .. contention_end of a thread inside a traced futex
 * call. The replay keeps those whose lock lies in a known hash table and
 * derives the bucket from the address (private tables: fxs_hash_rec; the
 * global one: calibrated from these events), to compare with bucket_index.
 */
struct fxs_contention_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;         /* contention_begin */
	__u64 spin_ns;       /* until contention_end */
	__u64 lock;          /* address of the contended lock */
	__u64 call_enter_ns; /* enter time of the futex call: pairs it with its FXS_REC_FUTEX */
	__u64 uaddr;         /* the call's first futex address */
	__u32 tgid;
	__u32 tid;
	__u32 flags;         /* LCB_F_*: 1 spin, 2 read, 4 write, 8 rt, 16 percpu, 32 mutex */
	__u32 bucket_index;  /* the call's first key's bucket, computed as for fxs_futex_rec */
	__u16 bucket_where;  /* FXS_BUCKET_WHERE(table, node) */
	__u8 opi;            /* the call's enum fxs_op */
	__u8 pad[5];
};

/* Shape of the global futex hash, derived by the collector from the machine (docs/kernel.md). */
struct fxs_hash_global_rec {
	struct fxs_rec_hdr hdr;
	__u32 hash_mask;     /* entries per node - 1 */
	__u32 hash_shift;    /* log2(entries per node): node = (hash >> shift) % nr_node_ids */
	__u32 nr_node_ids;   /* highest possible node + 1 */
	__u16 bucket_size;   /* sizeof(struct futex_hash_bucket), 0 if unknown */
	__u16 lock_offset;   /* offsetof(struct futex_hash_bucket, lock) */
	__u32 numa_hash;     /* 1: the kernel picks a node per key (6.16+); 0: one table */
	__u32 pad;
};

struct fxs_stop_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
};

/*
 * The NUMA node of a page holding futex words, asked by the collector with
 * move_pages(2) (nodes = NULL: a query, nothing moves) the first time a
 * (tgid, page) appears in a record, and again about once a second: a new
 * record is written whenever the answer changed (the page migrated). For a
 * (tgid, page) the latest record is the page's node from ts_ns on.
 */
struct fxs_page_node_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__s32 node;       /* move_pages status: a node, or -errno (-ENOENT: page not present, -ESRCH: process gone) */
	__u64 page;       /* page address: the futex address rounded down to page_size */
	__u32 page_size;
	__u32 pad;
};

#ifdef __cplusplus
static_assert(sizeof(struct fxs_rec_hdr) == 8, "fxs_rec_hdr layout");
static_assert(sizeof(struct fxs_futex_rec) == 96, "fxs_futex_rec layout");
static_assert(sizeof(struct fxs_futex_count_rec) == 88, "fxs_futex_count_rec layout");
static_assert(sizeof(struct fxs_task_rec) == 56, "fxs_task_rec layout");
static_assert(sizeof(struct fxs_thread_exit_rec) == 24, "fxs_thread_exit_rec layout");
static_assert(sizeof(struct fxs_loss_rec) == 80, "fxs_loss_rec layout");
static_assert(sizeof(struct fxs_agg_key) == 16, "fxs_agg_key layout");
static_assert(sizeof(struct fxs_wake_rec) == 64, "fxs_wake_rec layout");
static_assert(sizeof(struct fxs_wait_split_rec) == 80, "fxs_wait_split_rec layout");
static_assert(sizeof(struct fxs_switch_rec) == 32, "fxs_switch_rec layout");
static_assert(sizeof(struct fxs_wakeup_rec) == 24, "fxs_wakeup_rec layout");
static_assert(sizeof(struct fxs_hash_rec) == 48, "fxs_hash_rec layout");
static_assert(sizeof(struct fxs_contention_rec) == 72, "fxs_contention_rec layout");
static_assert(sizeof(struct fxs_hash_global_rec) == 32, "fxs_hash_global_rec layout");
static_assert(sizeof(struct fxs_page_node_rec) == 40, "fxs_page_node_rec layout");
static_assert(sizeof(struct fxs_ustack_raw_rec) == 56 + FXS_RAW_STACK_BYTES, "fxs_ustack_raw_rec layout");
static_assert(sizeof(struct fxs_agg_val) == (FXS_NR_OPS + 8 + FXS_HIST_BUCKETS) * 8, "fxs_agg_val layout");
static_assert(sizeof(struct fxs_agg_rec) == 8 + 8 + 16 + sizeof(struct fxs_agg_val), "fxs_agg_rec layout");
#else
_Static_assert(sizeof(struct fxs_futex_rec) == 96, "fxs_futex_rec layout");
_Static_assert(sizeof(struct fxs_task_rec) == 56, "fxs_task_rec layout");
_Static_assert(sizeof(struct fxs_wait_split_rec) == 80, "fxs_wait_split_rec layout");
_Static_assert(sizeof(struct fxs_switch_rec) == 32, "fxs_switch_rec layout");
_Static_assert(sizeof(struct fxs_wakeup_rec) == 24, "fxs_wakeup_rec layout");
#endif

/*
 * ---- rseq and UMCG (bpf/rseq.bpf.c, replay/rseq_model.h, replay/umcg_model.h,
 * docs/rseq-umcg.md) ----
 */

/* Why a critical section aborted: what happened to the thread since its last rseq_update. */
enum fxs_rseq_cause {
	FXS_RSEQ_CAUSE_UNKNOWN = 0,   /* nothing seen: membarrier(RSEQ) IPI, or tracing began mid-way */
	FXS_RSEQ_CAUSE_PREEMPTED = 1, /* switched out while runnable (sched_switch, not sleeping) */
	FXS_RSEQ_CAUSE_MIGRATED = 2,  /* moved to another CPU (sched_migrate_task) */
	FXS_RSEQ_CAUSE_SIGNAL = 3,    /* a signal was delivered (signal_deliver) */
	FXS_RSEQ_CAUSE_BLOCKED = 4,   /* switched out while sleeping (e.g. a page fault that waited) */
	FXS_RSEQ_NR_CAUSES = 5,
};

/* fxs_rseq_abort_rec.events: everything seen since the thread's last rseq_update. */
#define FXS_RSEQ_EV_PREEMPTED 0x1
#define FXS_RSEQ_EV_BLOCKED 0x2
#define FXS_RSEQ_EV_MIGRATED 0x4
#define FXS_RSEQ_EV_SIGNAL 0x8

/* One rseq_ip_fixup: the kernel moved the thread from regs_ip to abort_ip. */
struct fxs_rseq_abort_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	__u64 start_ip;           /* the struct rseq_cs descriptor's fields */
	__u64 post_commit_offset;
	__u64 abort_ip;
	__u64 regs_ip;            /* where the thread was inside the section */
	__u16 cpu;                /* CPU the thread resumes on */
	__u8 cause;               /* enum fxs_rseq_cause: signal, else migrated, else preempted, else blocked */
	__u8 events;              /* FXS_RSEQ_EV_* */
	__u32 signo;              /* last signal delivered since the last rseq_update, 0 if none */
};

/*
 * Per-thread rseq counts: the value of the BPF hash map keyed by
 * (tgid << 32 | tid), and the payload of FXS_REC_RSEQ_THREAD.
 */
struct fxs_rseq_counts {
	__u64 first_ns;      /* when the thread was first seen: tells a reused tid apart */
	__u64 updates;       /* rseq_update: returns to user after preemption/migration/signal */
	__u64 aborts;        /* rseq_ip_fixup */
	__u64 preempted;     /* switched out while runnable */
	__u64 blocked;       /* switched out while sleeping */
	__u64 migrated;
	__u64 signals;
	__u64 registrations; /* rseq(2) calls that registered (ret 0, flags 0) */
};

/* Cumulative counts of one thread; for a (tgid, tid, first_ns) the latest record wins. */
struct fxs_rseq_thread_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	struct fxs_rseq_counts c;
	__u32 exited;        /* written at thread exit: these are the final counts */
	__u32 pad;
};

/* One rseq(2) call (registration or unregistration), at its exit. */
struct fxs_rseq_reg_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	__u64 rseq;          /* struct rseq * argument */
	__u32 len;
	__u32 flags;         /* 1 = RSEQ_FLAG_UNREGISTER */
	__u32 sig;
	__s32 ret;
};

/* Named failure counters of the rseq capture (FXS_REC_RSEQ_STATS). */
enum fxs_rseq_counter {
	FXS_RSEQ_CNT_RINGBUF_DROP = 0, /* ring buffer full: an abort or registration lost */
	FXS_RSEQ_CNT_MAP_FULL = 1,     /* per-thread map full: a thread not counted */
	FXS_RSEQ_NR_COUNTERS = 4,
};

/* Written by the collector at every flush and at the end: the rseq capture ran. */
struct fxs_rseq_stats_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u64 counters[FXS_RSEQ_NR_COUNTERS]; /* cumulative */
};

/*
 * The symbol holding a critical section's start_ip, resolved by the collector
 * from /proc/PID/maps and the mapped file's ELF symbols while the process ran.
 * A NUL-terminated name follows; hdr.size is rounded up to a multiple of 8.
 */
struct fxs_rseq_sym_rec {
	struct fxs_rec_hdr hdr;
	__u32 tgid;
	__u32 pad;
	__u64 start_ip;
	__u64 offset;        /* start_ip - symbol address */
};

/*
 * UMCG (never merged into mainline; the Jan 2022 series): the umcg_task
 * state word and the syscalls' flags. Decoded by replay/umcg_model.h.
 */
#define FXS_UMCG_TASK_NONE 0x0000
#define FXS_UMCG_TASK_RUNNING 0x0001
#define FXS_UMCG_TASK_RUNNABLE 0x0002
#define FXS_UMCG_TASK_BLOCKED 0x0003
#define FXS_UMCG_TASK_MASK 0x00ff
#define FXS_UMCG_TF_PREEMPT 0x0100
#define FXS_UMCG_TF_COND_WAIT 0x0200
#define FXS_UMCG_TF_MASK 0xff00
#define FXS_UMCG_CTL_REGISTER 0x00001
#define FXS_UMCG_CTL_UNREGISTER 0x00002
#define FXS_UMCG_CTL_WORKER 0x10000

enum fxs_umcg_syscall {
	FXS_UMCG_SC_CTL = 0,  /* umcg_ctl(u32 flags, struct umcg_task *self, clockid_t) */
	FXS_UMCG_SC_WAIT = 1, /* umcg_wait(u32 flags, u64 timeout) */
	FXS_UMCG_SC_KICK = 2, /* umcg_kick(u32 flags, pid_t tid) */
};

/* One umcg_* call, at enter (phase 0) or exit (phase 1), with the caller's umcg_task. */
struct fxs_umcg_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u32 tgid;
	__u32 tid;
	__u64 arg;           /* umcg_ctl: self; umcg_wait: timeout; umcg_kick: target tid */
	__u32 flags;         /* the call's flags argument */
	__s32 ret;           /* at exit; 0 at enter */
	__u32 state;         /* umcg_task.state: FXS_UMCG_TASK_* | FXS_UMCG_TF_* */
	__u32 next_tid;      /* umcg_task.next_tid */
	__u32 server_tid;    /* umcg_task.server_tid */
	__u8 syscall;        /* enum fxs_umcg_syscall */
	__u8 phase;          /* 0 enter, 1 exit */
	__u8 task_read;      /* 1: state/next_tid/server_tid were read from user memory */
	__u8 pad;
};

/*
 * One thread of the traced process as /proc showed it, written by the
 * collector when the recording attaches and when it ends
 * (collector/thread_snapshot.h): the system call it was in and, for a futex
 * call, its words and the lock's holder where the lock names it. Followed by
 * __u64 uaddrs[nr_uaddrs], then stack_len bytes of frame names separated by
 * '\n' (innermost first, kernel frames "[k] ..."), then padding to 8.
 * Encoded and decoded by replay/thread_state_record.h only.
 */
enum fxs_snapshot_when {
	FXS_SNAPSHOT_ATTACH = 0,
	FXS_SNAPSHOT_END = 1,
};

struct fxs_thread_state_rec {
	struct fxs_rec_hdr hdr;
	__u64 ts_ns;
	__u64 since_ns;      /* the futex call's enter time if it began while recording, else 0 */
	__u64 expected;      /* the value the wait expects */
	__s64 syscall;       /* x86-64 number, -1: not in a system call */
	__u32 tgid;
	__u32 tid;
	__u32 owner_tid;     /* the lock's holder, 0: not known */
	__u32 nr_uaddrs;
	__u32 stack_len;
	__u8 when;           /* enum fxs_snapshot_when */
	__u8 state;          /* /proc/TID/stat state letter */
	__u8 opi;            /* enum fxs_op; FXS_OP_NONE when not in a futex call */
	__u8 owner_source;   /* 0 none, 1 PI word, 2 glibc mutex __owner, 3 PI word of a lock refused with EDEADLK */
	char comm[16];
};

/*
 * The name of a futex word, given by the collector the first time a record
 * names the address, while the process lives (collector/futex_namer.h): a
 * data symbol of the module that maps it, with the member path from DWARF
 * where the module has it ("g_pool.lock", "_PyRuntime+0x6f0"), or else what
 * the address is ("[heap]", "[stack]", a mapped file). A NUL-terminated name
 * follows; hdr.size is rounded up to a multiple of 8.
 */
enum fxs_futex_name_source {
	FXS_NAME_SYMBOL = 1,   /* symbol (+ offset) from .symtab/.dynsym */
	FXS_NAME_DWARF = 2,    /* symbol and member path from DWARF */
	FXS_NAME_MAPPING = 3,  /* no symbol: the mapping that holds it */
	FXS_NAME_MAPPING_CALLER = 4, /* an anonymous mapping ("[heap]") and the program's function in the
				      * first stack recorded on the word: "[heap] in worker"; a later record
				      * for the same word than its FXS_NAME_MAPPING one */
};

struct fxs_futex_name_rec {
	struct fxs_rec_hdr hdr;
	__u32 tgid;
	__u32 source;        /* enum fxs_futex_name_source */
	__u64 uaddr;
};

/*
 * A sampled stack's weight (collector/stack_sample_weights.h): of a thread's
 * waits shorter than --stack-min-wait that queued, one in --stack-sample (the
 * first among them, then every N-th) has a stack; this record, written when
 * such a sampled wait arrives, gives the waits on the same futex by the same
 * thread since its last sample that have none (and their time), which that
 * stack stands for besides its own wait. At the end of the recording the
 * waits after a thread's last stack on a futex are given to that stack.
 * With FXS_STACK_WEIGHT_WAKER in flags the same for wake calls: one in
 * --stack-sample of a thread's wake calls that woke a waiter has a stack, and
 * `waits` is the waiters its thread's wake calls without a stack woke on the
 * futex since its previous waker stack there, `wait_ns` those calls.
 */
#define FXS_STACK_WEIGHT_WAKER 1u
struct fxs_stack_weight_rec {
	struct fxs_rec_hdr hdr;
	__u32 tgid;
	__u32 tid;
	__u64 uaddr;
	__s32 ustack_id;     /* the sampled wait's (or wake call's) stack (FXS_REC_STACK) */
	__u32 flags;         /* FXS_STACK_WEIGHT_*; 0 (a wait's) in traces before wakers were sampled */
	__u64 waits;         /* waker: waiters woken */
	__u64 wait_ns;       /* waker: wake calls */
};

#ifdef __cplusplus
static_assert(sizeof(struct fxs_stack_weight_rec) == 48, "fxs_stack_weight_rec layout");
static_assert(sizeof(struct fxs_futex_name_rec) == 24, "fxs_futex_name_rec layout");
static_assert(sizeof(struct fxs_thread_state_rec) == 80, "fxs_thread_state_rec layout");
static_assert(sizeof(struct fxs_rseq_abort_rec) == 64, "fxs_rseq_abort_rec layout");
static_assert(sizeof(struct fxs_rseq_counts) == 64, "fxs_rseq_counts layout");
static_assert(sizeof(struct fxs_rseq_thread_rec) == 96, "fxs_rseq_thread_rec layout");
static_assert(sizeof(struct fxs_rseq_reg_rec) == 48, "fxs_rseq_reg_rec layout");
static_assert(sizeof(struct fxs_rseq_stats_rec) == 48, "fxs_rseq_stats_rec layout");
static_assert(sizeof(struct fxs_rseq_sym_rec) == 32, "fxs_rseq_sym_rec layout");
static_assert(sizeof(struct fxs_umcg_rec) == 56, "fxs_umcg_rec layout");
#else
_Static_assert(sizeof(struct fxs_rseq_abort_rec) == 64, "fxs_rseq_abort_rec layout");
_Static_assert(sizeof(struct fxs_rseq_counts) == 64, "fxs_rseq_counts layout");
_Static_assert(sizeof(struct fxs_rseq_thread_rec) == 96, "fxs_rseq_thread_rec layout");
_Static_assert(sizeof(struct fxs_rseq_reg_rec) == 48, "fxs_rseq_reg_rec layout");
#endif

#endif /* FUTEXSCOPE_TRACE_ABI_H */
