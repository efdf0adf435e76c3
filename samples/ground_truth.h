// ground_truth.h: shared code of the sample workloads (see samples/README.md).
//
// Every futex-family system call a sample makes on its own futex words goes
// through one of the wrappers below. The wrapper makes the raw system call and
// then counts what the call did, from its own return value, with exactly the
// rules the tracer's report uses. At the end a sample merges the per-thread
// tallies and prints one line:
//
//   FXS_TRUTH {"pid":N,"futexes":[...],"elapsed_ns":N,"ops_per_sec":N}
//
// Counting rules (kept in one place: Tally::record_*):
//  - ops: one count per call on EVERY futex address the call names (uaddr, plus
//    uaddr2 for FUTEX_REQUEUE/CMP_REQUEUE/WAKE_OP/WAIT_REQUEUE_PI/CMP_REQUEUE_PI,
//    both addresses of futex_requeue, every entry of a futex_waitv vector).
//  - wait-type calls (FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI,
//    FUTEX_LOCK_PI, FUTEX_LOCK_PI2, futex_wait, futex_waitv), on uaddr (every
//    entry for futex_waitv): waits += 1 if ret >= 0 or ETIMEDOUT or EINTR;
//    eagain += 1 on EAGAIN; timeouts += 1 on ETIMEDOUT; interrupted += 1 on EINTR.
//  - FUTEX_WAKE, FUTEX_WAKE_BITSET, futex_wake, FUTEX_WAKE_OP: woken += ret on
//    uaddr (FUTEX_WAKE_OP: the whole return value, on uaddr only).
//  - FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, futex_requeue: on uaddr (the source)
//    woken += min(ret, nr_wake), requeued += ret - min(ret, nr_wake).
//  - a futex2 system call (futex_waitv/wait/wake/requeue) that fails with
//    ENOSYS does not exist on this kernel: it is not counted at all.
#ifndef FUTEXSCOPE_SAMPLES_GROUND_TRUTH_H
#define FUTEXSCOPE_SAMPLES_GROUND_TRUTH_H

#include <atomic>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace fxs_sample {

// A futex word. std::atomic<uint32_t> is a plain 32-bit word in memory.
using Word = std::atomic<uint32_t>;
static_assert(sizeof(Word) == 4 && alignof(Word) == 4, "futex word must be a plain u32");

// One futex word on its own cache line, so that every word has its own
// address and the words do not false-share. Use these as static globals.
struct alignas(64) PaddedWord {
	Word w{0};
};

// futex(2) commands and flags (linux/futex.h), futex2 syscalls and flags.
// Spelled out here because older userspace headers lack the futex2 ones.
constexpr int kFutexWait = 0, kFutexWake = 1, kFutexFd = 2, kFutexRequeue = 3,
	      kFutexCmpRequeue = 4, kFutexWakeOp = 5, kFutexLockPi = 6, kFutexUnlockPi = 7,
	      kFutexTrylockPi = 8, kFutexWaitBitset = 9, kFutexWakeBitset = 10,
	      kFutexWaitRequeuePi = 11, kFutexCmpRequeuePi = 12, kFutexLockPi2 = 13;
constexpr int kFutexPrivate = 128;
constexpr int kFutexClockRealtime = 256;
constexpr int kFutexCmdMask = 0x7f;
constexpr uint32_t kBitsetMatchAny = 0xffffffffu;

constexpr long kNrFutex = 202;       // x86_64
constexpr long kNrFutexWaitv = 449;  // since 5.16
constexpr long kNrFutexWake = 454;   // since 6.7
constexpr long kNrFutexWait = 455;   // since 6.7
constexpr long kNrFutexRequeue = 456;  // since 6.7

constexpr uint32_t kFutex2SizeU32 = 0x02;
constexpr uint32_t kFutex2Private = 128;
constexpr uint32_t kFutex2Flags = kFutex2SizeU32 | kFutex2Private;

// FUTEX_OP(op, oparg, cmp, cmparg) for FUTEX_WAKE_OP's val3.
constexpr uint32_t kFutexOpSet = 0, kFutexOpAdd = 1;
constexpr uint32_t kFutexOpCmpEq = 0, kFutexOpCmpNe = 1;
constexpr uint32_t futex_op(uint32_t op, uint32_t oparg, uint32_t cmp, uint32_t cmparg)
{
	return ((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff);
}

// struct futex_waitv (linux/futex.h, since 5.16).
struct FutexWaitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};
static_assert(sizeof(FutexWaitv) == 24, "struct futex_waitv layout");

// Operation index: futex(2) commands keep their number, futex2 calls follow.
enum OpIndex : int {
	kOpFutex2Waitv = 14,
	kOpFutex2Wait = 15,
	kOpFutex2Wake = 16,
	kOpFutex2Requeue = 17,
	kNrOps = 18,
};
// Report name of an operation index ("FUTEX_WAIT", ..., "futex_waitv").
const char *op_name(int opi);

struct Counts {
	uint64_t ops[kNrOps] = {};
	uint64_t waits = 0, eagain = 0, timeouts = 0, interrupted = 0, woken = 0, requeued = 0;
	// Who woke whom on this word, where the sample knows it: (waker tid, waiter tid) -> count.
	std::map<std::pair<pid_t, pid_t>, uint64_t> wakers;
	// Waiters woken per successful wake call (from its return value) -> calls; and
	// wake calls that woke nobody.
	std::map<uint64_t, uint64_t> herd_sizes;
	uint64_t empty_wakes = 0;
	// Waits that slept (the thread's voluntary context switches went up during
	// the call), where the sample measured it (slept_known).
	uint64_t slept = 0;
	bool slept_known = false;
	// Waits that returned 0 (woken), and those of them after which the thread
	// went straight back to waiting on this word (its condition was not met:
	// a futile wakeup), where the sample knows it (woken_known).
	uint64_t woken_waits = 0, futile = 0;
	bool woken_known = false;
	// What the word implements, where the sample says so ("mutex", "condvar").
	std::string kind;
	void add(const Counts &o);
};

// What one thread (or the whole sample, after merging) did to its futex words.
// Not thread-safe: give every thread its own Tally and merge them at the end.
class Tally {
public:
	// Counted futex-family system calls (one per call, whatever it names).
	uint64_t syscalls = 0;

	Counts &at(const void *uaddr);
	const Counts *find(const void *uaddr) const;
	void merge(const Tally &o);
	const std::vector<std::pair<uintptr_t, Counts>> &words() const { return words_; }

	// Count one futex(2) call. ret is the raw result: >= 0, or -errno.
	void record_futex(const void *uaddr, int op, uint32_t val, uintptr_t val2,
			  const void *uaddr2, long ret);
	void record_waitv(const FutexWaitv *v, unsigned nr, long ret);
	void record_wait2(const void *uaddr, long ret);
	void record_wake2(const void *uaddr, long ret);
	void record_requeue2(const FutexWaitv *v /*[2]*/, int nr_wake, long ret);
	// A wake on uaddr by `waker` that woke `n` waiters, all of them `waiter`
	// (the sample knows it: the word has a single waiter).
	void record_wakers(const void *uaddr, pid_t waker, pid_t waiter, long n);
	// A wait on uaddr that did (or did not) sleep: see thread_nvcsw().
	void record_slept(const void *uaddr, bool slept);
	// A wait on uaddr that returned 0; futile: the thread's next futex call
	// is a wait on uaddr again.
	void record_woken_wait(const void *uaddr, bool futile);
	// The sample's own word of what uaddr implements (FXS_TRUTH "kind").
	void set_kind(const void *uaddr, const char *kind);

private:
	void wait_outcome(Counts &c, long ret);
	void requeue_outcome(Counts &c, uint64_t nr_wake, long ret);
	std::vector<std::pair<uintptr_t, Counts>> words_;
	size_t last_ = 0;
};

// A process-wide collection point: threads merge their Tally into it.
class TruthCollector {
public:
	void merge(const Tally &t);
	Tally total() const;

private:
	mutable std::mutex mu_;
	Tally total_;
};

// ---- Counting system call wrappers. All return >= 0 or -errno, and leave
// errno set as the raw syscall did. ------------------------------------------

// futex(2): the general form. val2 is the timeout pointer or the numeric val2.
long futex(Tally &t, Word *uaddr, int op, uint32_t val, uintptr_t val2, Word *uaddr2, uint32_t val3);

// Convenience forms.
long futex_wait(Tally &t, Word *uaddr, uint32_t val, const timespec *rel_timeout = nullptr,
		int flags = kFutexPrivate);
long futex_wake(Tally &t, Word *uaddr, int nr, int flags = kFutexPrivate);
// FUTEX_WAIT_BITSET: timeout is absolute (CLOCK_MONOTONIC, or CLOCK_REALTIME
// if flags has kFutexClockRealtime).
long futex_wait_bitset(Tally &t, Word *uaddr, uint32_t val, const timespec *abs_timeout,
		       uint32_t bitset, int flags = kFutexPrivate);
long futex_wake_bitset(Tally &t, Word *uaddr, int nr, uint32_t bitset, int flags = kFutexPrivate);
long futex_cmp_requeue(Tally &t, Word *uaddr, int nr_wake, int nr_requeue, Word *uaddr2,
		       uint32_t cmpval, int flags = kFutexPrivate);
long futex_requeue(Tally &t, Word *uaddr, int nr_wake, int nr_requeue, Word *uaddr2,
		   int flags = kFutexPrivate);
long futex_wake_op(Tally &t, Word *uaddr, int nr_wake, int nr_wake2, Word *uaddr2,
		   uint32_t op, int flags = kFutexPrivate);

// futex2 system calls. Timeouts are absolute on clockid. An ENOSYS result is
// returned but not counted.
long sys_futex_waitv(Tally &t, FutexWaitv *v, unsigned nr, const timespec *abs_timeout,
		     clockid_t clockid);
long sys_futex_wait(Tally &t, Word *uaddr, uint32_t val, uint64_t mask, uint32_t flags,
		    const timespec *abs_timeout, clockid_t clockid);
long sys_futex_wake(Tally &t, Word *uaddr, uint64_t mask, int nr, uint32_t flags);
long sys_futex_requeue(Tally &t, FutexWaitv *v /*[2]*/, int nr_wake, int nr_requeue);

// ---- Helpers ----------------------------------------------------------------

pid_t gettid_();
// This thread's voluntary context switches (getrusage RUSAGE_THREAD ru_nvcsw):
// the kernel counts one each time the thread blocks, the same test
// futexscope's sched_switch hook uses to tell a wait that slept.
long thread_nvcsw();
uint64_t now_ns(clockid_t clk = CLOCK_MONOTONIC);
timespec ns_to_ts(uint64_t ns);
// Absolute deadline `ms` milliseconds from now on `clk`.
timespec deadline_ms(uint64_t ms, clockid_t clk = CLOCK_MONOTONIC);
timespec rel_ms(uint64_t ms);
void sleep_us(uint64_t us);

// Wait (polling /proc/self/task/<tid>/syscall) until thread `tid` is blocked
// in system call `nr` with first argument `arg0` (0: any). Returns false after
// `timeout_ms`. Lets a sample wake/signal/requeue a waiter only once it
// really sleeps in the kernel, so the outcomes are the intended ones.
bool wait_blocked_in(pid_t tid, long nr, uintptr_t arg0, unsigned timeout_ms);

// Print the FXS_TRUTH line (one write(2) on stdout, after flushing stdio).
// ops_per_sec = rate_ops / elapsed; rate_ops defaults to total.syscalls.
void print_truth(const Tally &total, uint64_t elapsed_ns);
void print_truth(const Tally &total, uint64_t elapsed_ns, uint64_t rate_ops);
std::string truth_json(const Tally &total, uint64_t elapsed_ns, uint64_t rate_ops);

// Tiny argv parsing: "--name N" or "--name=N". Returns true if argv[i] matched
// (and advances i past the value); exits with a message on a bad value.
bool arg_u64(int argc, char **argv, int &i, const char *name, uint64_t &out);
bool arg_flag(char **argv, int i, const char *name);

// Abort the process (with a message) if it runs longer than `seconds`.
void arm_watchdog(unsigned seconds);

}  // namespace fxs_sample

#endif
