// fxs-sample-mutex: a contended mutex built on one futex word (Drepper,
// "Futexes Are Tricky", mutex 3: 0 unlocked, 1 locked, 2 locked + waiters),
// FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE. N threads each lock/unlock it M
// times around a tiny critical section (a shared counter, checked at the end).
// With --pi, a priority-inheritance mutex instead: the word holds the owner's
// TID, FUTEX_LOCK_PI_PRIVATE when it is taken, FUTEX_UNLOCK_PI_PRIVATE when
// there are waiters, and the kernel hands the lock to the top waiter; the
// FXS_TRUTH_PI line says which handovers the sample knows of for certain.
// Prints the FXS_TRUTH line (see samples/README.md).
#include "ground_truth.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <thread>
#include <vector>

#include <sched.h>

using namespace fxs_sample;

namespace {

PaddedWord g_static_lock;
PaddedWord *g_lock = &g_static_lock;  // the futex word (--heap: one allocated with new)
struct alignas(64) Shared {
	uint64_t counter = 0;  // protected by g_lock (or g_std_lock in --std mode)
} g_shared;
std::mutex g_std_lock;
std::atomic<bool> g_go{false};
TruthCollector g_truth;

struct Options {
	uint64_t threads = 4;
	uint64_t iters = 100000;
	uint64_t work = 0;              // extra spin iterations inside the critical section
	uint64_t hold_yield_every = 100;  // the holder yields every N-th critical section
	uint64_t wait_yield_every = 2;  // every N-th time, yield between xchg and FUTEX_WAIT
	uint64_t budget_ms = 1500;      // how long to keep going for contention
	bool exact = false;             // exactly --iters per thread, even if uncontended
	bool use_std = false;           // std::mutex instead of the futex mutex
	bool pi = false;                // a PI mutex (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI)
	bool heap = false;              // the lock word on the heap, not in .bss
};

// Set once some thread has seen a FUTEX_WAIT that slept / failed with EAGAIN.
std::atomic<bool> g_seen_wait{false}, g_seen_eagain{false};
std::atomic<uint64_t> g_done_iters{0};

// Every --wait-yield-every'th time a thread is about to sleep it first yields the
// CPU (as spin-then-yield-then-sleep locks do): the owner may then release the
// lock meanwhile and FUTEX_WAIT fails with EAGAIN, even on a single CPU.
inline void lock(Tally &t, const Options &o, uint64_t &sleeps)
{
	Word &w = g_lock->w;
	uint32_t c = 0;
	if (w.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
		return;
	if (c != 2)
		c = w.exchange(2, std::memory_order_acquire);
	while (c != 0) {
		if (o.wait_yield_every && ++sleeps % o.wait_yield_every == 0)
			sched_yield();
		const long r = futex_wait(t, &w, 2);  // EAGAIN if the owner released it meanwhile
		if (r == -EAGAIN) {
			if (!g_seen_eagain.load(std::memory_order_relaxed))
				g_seen_eagain.store(true, std::memory_order_relaxed);
		} else if (!g_seen_wait.load(std::memory_order_relaxed)) {
			g_seen_wait.store(true, std::memory_order_relaxed);
		}
		c = w.exchange(2, std::memory_order_acquire);
		// Woken but the lock is taken again: back to FUTEX_WAIT, a futile wakeup.
		// Woken and acquired: the next futex call is unlock's FUTEX_WAKE (the word is 2).
		if (r == 0)
			t.record_woken_wait(&w, c != 0);
	}
}

inline void unlock(Tally &t)
{
	Word &w = g_lock->w;
	if (w.fetch_sub(1, std::memory_order_release) != 1) {
		w.store(0, std::memory_order_release);
		futex_wake(t, &w, 1);
	}
}

// --pi. An owner that finds FUTEX_WAITERS set unlocks with FUTEX_UNLOCK_PI:
// the kernel hands the lock to the top waiter if one is queued, else (the
// bit is set again at every handover, waiters or not) unlocks it. Which
// call handed the lock to whom the sample knows for certain only for a
// FUTEX_LOCK_PI that slept (its thread's nvcsw went up): it was queued, so a
// handover ended it, and the owner that handed it over wrote its TID here
// before its FUTEX_UNLOCK_PI (nobody else can write it until the new owner
// unlocks). Those are FXS_TRUTH_PI's "slept_handoffs": the report must have at
// least as many handoffs per (waker, waiter), and at most one per
// FUTEX_UNLOCK_PI call in all.
std::atomic<pid_t> g_pi_unlocker{0};
std::atomic<uint64_t> g_unlock_pi_calls{0};
std::mutex g_pi_mu;
std::map<std::pair<pid_t, pid_t>, uint64_t> g_pi_slept_handoffs;  // (waker, waiter) -> count

inline void lock_pi(Tally &t, pid_t me, std::map<pid_t, uint64_t> &handed_by)
{
	Word &w = g_lock->w;
	uint32_t c = 0;
	if (w.compare_exchange_strong(c, static_cast<uint32_t>(me), std::memory_order_acquire, std::memory_order_relaxed))
		return;
	for (;;) {
		const long before = thread_nvcsw();
		if (futex(t, &w, kFutexLockPi | kFutexPrivate, 0, 0, nullptr, 0) != 0)
			continue;
		if (thread_nvcsw() > before) {
			handed_by[g_pi_unlocker.load(std::memory_order_relaxed)]++;
			if (!g_seen_wait.load(std::memory_order_relaxed))
				g_seen_wait.store(true, std::memory_order_relaxed);
		}
		return;
	}
}

inline void unlock_pi(Tally &t, pid_t me)
{
	Word &w = g_lock->w;
	uint32_t c = static_cast<uint32_t>(me);
	if (w.compare_exchange_strong(c, 0, std::memory_order_release, std::memory_order_relaxed))
		return;
	g_pi_unlocker.store(me, std::memory_order_relaxed);
	g_unlock_pi_calls.fetch_add(1, std::memory_order_relaxed);
	futex(t, &w, kFutexUnlockPi | kFutexPrivate, 0, 0, nullptr, 0);
}

void print_pi_truth()
{
	std::string edges;
	for (const auto &[k, n] : g_pi_slept_handoffs)
		edges += (edges.empty() ? "" : ",") + std::string("{\"waker_tid\":") + std::to_string(k.first) +
			 ",\"waiter_tid\":" + std::to_string(k.second) + ",\"count\":" + std::to_string(n) + "}";
	char uaddr[32];
	std::snprintf(uaddr, sizeof uaddr, "%p", static_cast<void *>(&g_lock->w));
	std::printf("FXS_TRUTH_PI {\"uaddr\":\"%s\",\"unlock_pi_calls\":%" PRIu64 ",\"slept_handoffs\":[%s]}\n", uaddr,
		    g_unlock_pi_calls.load(), edges.c_str());
}

inline void critical_section(const Options &o, uint64_t iter)
{
	g_shared.counter = g_shared.counter + 1;
	for (uint64_t i = 0; i < o.work; i++)
		asm volatile("" ::: "memory");
	// Now and then the holder gives up the CPU with the lock held (as if
	// preempted): the others then really block in FUTEX_WAIT, even on one CPU.
	if (o.hold_yield_every && (iter + 1) % o.hold_yield_every == 0)
		sched_yield();
}

// After its --iters, a thread goes on (in steps of 1000) until some thread has
// seen both a sleeping FUTEX_WAIT and an EAGAIN, or until the time budget is
// spent: on a busy machine threads may otherwise hardly overlap.
bool keep_going(const Options &o, uint64_t deadline)
{
	if (o.exact || o.use_std || o.threads < 2)
		return false;
	// (A PI lock never fails with EAGAIN: a handover is all it waits for.)
	if (g_seen_wait.load(std::memory_order_relaxed) && (o.pi || g_seen_eagain.load(std::memory_order_relaxed)))
		return false;
	return now_ns() < deadline;
}

void worker(const Options &o, uint64_t deadline)
{
	Tally t;
	while (!g_go.load(std::memory_order_acquire))
		sched_yield();
	uint64_t i = 0, sleeps = 0;
	if (o.use_std) {
		for (; i < o.iters; i++) {
			std::lock_guard<std::mutex> g(g_std_lock);
			critical_section(o, i);
		}
	} else if (o.pi) {
		const pid_t me = gettid_();
		std::map<pid_t, uint64_t> handed_by;  // waker -> lock handovers to this thread it certainly made
		t.set_kind(&g_lock->w, "pi-mutex");
		for (uint64_t end = o.iters;; end += 1000) {
			for (; i < end; i++) {
				lock_pi(t, me, handed_by);
				critical_section(o, i);
				unlock_pi(t, me);
			}
			if (!keep_going(o, deadline))
				break;
		}
		std::lock_guard<std::mutex> g(g_pi_mu);
		for (const auto &[waker, n] : handed_by)
			g_pi_slept_handoffs[{waker, me}] += n;
	} else {
		t.set_kind(&g_lock->w, "mutex");
		for (uint64_t end = o.iters;; end += 1000) {
			for (; i < end; i++) {
				lock(t, o, sleeps);
				critical_section(o, i);
				unlock(t);
			}
			if (!keep_going(o, deadline))
				break;
		}
	}
	g_done_iters.fetch_add(i);
	g_truth.merge(t);
}

void usage(const char *argv0, FILE *f)
{
	std::fprintf(f,
		     "usage: %s [--threads N] [--iters N] [--work N] [--hold-yield-every N]\n"
		     "          [--wait-yield-every N] [--budget-ms N] [--exact] [--std] [--pi]\n"
		     "          [--heap]\n"
		     "  A contended futex mutex (Drepper mutex 3: FUTEX_WAIT_PRIVATE/FUTEX_WAKE_PRIVATE\n"
		     "  on one futex word). Prints a FXS_TRUTH line with the futex calls it made.\n"
		     "  --threads N           threads contending for the lock (default 4)\n"
		     "  --iters N             lock/unlock pairs per thread (default 100000)\n"
		     "  --work N              extra busy-loop iterations in the critical section (default 0)\n"
		     "  --hold-yield-every N  every N-th critical section the holder calls sched_yield()\n"
		     "                        with the lock held, so the others block in the kernel\n"
		     "                        (default 100, 0: never)\n"
		     "  --wait-yield-every N  every N-th time a thread is about to sleep in FUTEX_WAIT it\n"
		     "                        first calls sched_yield(), giving the owner a chance to\n"
		     "                        release the lock (-> EAGAIN) (default 2, 0: never)\n"
		     "  --budget-ms N         after --iters, threads go on in steps of 1000 lock/unlock\n"
		     "                        pairs until both a sleeping FUTEX_WAIT and an EAGAIN were\n"
		     "                        seen, for at most N ms from the start (default 1500)\n"
		     "  --exact               exactly --iters per thread, never go on\n"
		     "  --pi                  a priority-inheritance mutex instead (FUTEX_LOCK_PI_PRIVATE /\n"
		     "                        FUTEX_UNLOCK_PI_PRIVATE; the kernel hands the lock over)\n"
		     "  --heap                the lock word in a heap allocation (new), not a static\n"
		     "  --std                 use std::mutex instead: no futex calls of its own are\n"
		     "                        counted, the futexes list is empty and ops_per_sec is\n"
		     "                        lock acquisitions per second\n",
		     argv0);
}

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; i++) {
		if (arg_u64(argc, argv, i, "--threads", o.threads) || arg_u64(argc, argv, i, "--iters", o.iters) ||
		    arg_u64(argc, argv, i, "--work", o.work) ||
		    arg_u64(argc, argv, i, "--hold-yield-every", o.hold_yield_every) ||
		    arg_u64(argc, argv, i, "--wait-yield-every", o.wait_yield_every) ||
		    arg_u64(argc, argv, i, "--budget-ms", o.budget_ms))
			continue;
		if (arg_flag(argv, i, "--std")) {
			o.use_std = true;
		} else if (arg_flag(argv, i, "--pi")) {
			o.pi = true;
		} else if (arg_flag(argv, i, "--heap")) {
			o.heap = true;
		} else if (arg_flag(argv, i, "--exact")) {
			o.exact = true;
		} else if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) {
			usage(argv[0], stdout);
			return 0;
		} else {
			std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
			usage(argv[0], stderr);
			return 2;
		}
	}
	if (o.threads < 1 || o.threads > 1024) {
		std::fprintf(stderr, "%s: --threads must be 1..1024\n", argv[0]);
		return 2;
	}
	arm_watchdog(120);
	if (o.heap)
		g_lock = new PaddedWord;  // kept to the end: the threads use it until they are joined

	std::vector<std::thread> threads;
	threads.reserve(o.threads);
	const uint64_t deadline = now_ns() + o.budget_ms * 1000000ull;
	for (uint64_t i = 0; i < o.threads; i++)
		threads.emplace_back(worker, std::cref(o), deadline);
	const uint64_t t0 = now_ns();
	g_go.store(true, std::memory_order_release);
	for (auto &th : threads)
		th.join();
	const uint64_t elapsed = now_ns() - t0;

	const Tally total = g_truth.total();
	const uint64_t expect = g_done_iters.load();
	const bool ok = g_shared.counter == expect;
	const Counts *c = total.find(&g_lock->w);
	std::printf("fxs-sample-mutex: %s, %" PRIu64 " threads x %" PRIu64 " iters (%" PRIu64
		    " done), counter %" PRIu64 " (%s), %.3f ms\n",
		    o.use_std ? "std::mutex" : "futex mutex", o.threads, o.iters, expect, g_shared.counter,
		    ok ? "ok" : "WRONG", elapsed / 1e6);
	if (c)
		std::printf("fxs-sample-mutex: lock word %p: %" PRIu64 " FUTEX_WAIT (%" PRIu64 " slept, %" PRIu64
			    " EAGAIN), %" PRIu64 " FUTEX_WAKE (%" PRIu64 " woken)\n",
			    static_cast<void *>(&g_lock->w), c->ops[kFutexWait], c->waits, c->eagain,
			    c->ops[kFutexWake], c->woken);
	if (!o.use_std && !(c && c->waits && (o.pi || c->eagain)))  // a PI lock has no EAGAIN
		std::fprintf(stderr, "fxs-sample-mutex: note: the lock was not really contended "
				     "(no sleeping FUTEX_WAIT or no EAGAIN)\n");
	if (o.use_std)
		print_truth(total, elapsed, expect);
	else
		print_truth(total, elapsed);
	if (o.pi)
		print_pi_truth();
	if (!ok) {
		std::fprintf(stderr, "fxs-sample-mutex: counter is %" PRIu64 ", expected %" PRIu64 "\n",
			     g_shared.counter, expect);
		return 1;
	}
	return 0;
}
