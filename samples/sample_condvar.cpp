// fxs-sample-condvar: condition-variable style futex use, in phases:
//  1. ping-pong: two threads take turns over two futex words (FUTEX_WAIT_PRIVATE
//     until it is their turn; the other stores the new turn and FUTEX_WAKEs),
//     --rounds times or until --budget-ms is spent.
//  2. timeouts: FUTEX_WAIT_BITSET with absolute CLOCK_MONOTONIC and
//     CLOCK_REALTIME deadlines and FUTEX_WAIT with a relative timeout, on a
//     word nobody wakes (ETIMEDOUT).
//  3. bitset: a FUTEX_WAIT_BITSET waiter (bitset 0x2), a FUTEX_WAKE_BITSET that
//     does not match it (0x1, wakes nobody) and one that does.
//  4. signal: a FUTEX_WAIT waiter gets SIGUSR1 (handler without SA_RESTART)
//     while it sleeps, until it has seen EINTR: once in a FUTEX_WAIT without
//     timeout, once in one with a timeout.
//  5. broadcast: several waiters on a cond word; FUTEX_CMP_REQUEUE wakes one
//     and requeues the rest onto a mutex word; FUTEX_REQUEUE wakes one there
//     and moves the rest on to a second word; FUTEX_WAKE wakes them there.
//  6. wake-op: FUTEX_WAKE_OP wakes a waiter on one word and, through the
//     atomic operation on the second word, a waiter on that one.
//  7. herd (only with --herd-rounds N): --herd threads wait on one word; each
//     round one FUTEX_WAKE wakes all of them. Who woke whom is known exactly:
//     a waiter whose FUTEX_WAIT returned 0 was woken by that call.
// Every waiter uses a timeout as a safety net; the outcome of every call is
// counted. Prints the FXS_TRUTH line (see samples/README.md).
#include "ground_truth.h"

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <thread>
#include <vector>

#include <pthread.h>

using namespace fxs_sample;

namespace {

// The futex words, each on its own cache line at a stable address.
struct Words {
	PaddedWord ping, pong;          // phase 1
	PaddedWord timer;               // phase 2
	PaddedWord bits;                // phase 3
	PaddedWord intr;                // phase 4
	PaddedWord cond, mtx, mtx2;     // phase 5
	PaddedWord op1, op2;            // phase 6
	PaddedWord herd;                // phase 7
} g_w;

TruthCollector g_truth;

constexpr uint64_t kSafetyMs = 2000;  // safety-net timeout of waits that should be woken

struct Options {
	uint64_t rounds = 20000;
	uint64_t timeouts = 3;
	uint64_t waiters = 4;
	uint64_t budget_ms = 1200;
	uint64_t herd = 3, herd_rounds = 0;
};

// A thread that publishes its tid and merges its tally when it ends.
struct Tid {
	std::atomic<pid_t> tid{0};
	pid_t get()
	{
		pid_t t;
		while ((t = tid.load()) == 0)
			sleep_us(10);
		return t;
	}
};

void blocked_or_sleep(pid_t tid, Word *w)
{
	if (!wait_blocked_in(tid, kNrFutex, reinterpret_cast<uintptr_t>(w), 1000))
		sleep_us(20000);  // no /proc/<tid>/syscall: just give it time
}

// ---- 1. ping-pong ------------------------------------------------------------------

// A ping-pong wait, noting whether it slept (FXS_TRUTH "slept": the waits
// futexscope must give a latency split).
long wait_noting_sleep(Tally &t, Word *w, uint32_t val, const timespec *timeout)
{
	const long before = thread_nvcsw();
	const long ret = futex_wait(t, w, val, timeout);
	t.record_slept(w, thread_nvcsw() > before);
	return ret;
}

// A leads: once the time budget is spent it stores kStop instead of the next
// round number, and both stop. Returns the number of round trips done.
constexpr uint32_t kStop = UINT32_MAX;

uint64_t ping_pong(uint64_t rounds, uint64_t budget_ms)
{
	const timespec safety = rel_ms(kSafetyMs);
	const uint64_t deadline = now_ns() + budget_ms * 1000000ull;
	uint64_t done = 0;
	// Each word has exactly one waiter, so a wake that woke 1 woke the partner:
	// the who-woke-whom edges are known exactly. Both tids are published first.
	std::atomic<pid_t> tid_a{0}, tid_b{0};
	std::thread a([&] {
		Tally t;
		// Turn words waited on until they hold the expected round: condvar-style.
		t.set_kind(&g_w.ping.w, "condvar");
		t.set_kind(&g_w.pong.w, "condvar");
		tid_a = gettid_();
		while (!tid_b.load())
			sched_yield();
		for (uint32_t i = 1; i <= rounds; i++) {
			if (now_ns() > deadline) {
				g_w.ping.w.store(kStop);
				t.record_wakers(&g_w.ping.w, tid_a, tid_b, futex_wake(t, &g_w.ping.w, 1));
				break;
			}
			g_w.ping.w.store(i);
			t.record_wakers(&g_w.ping.w, tid_a, tid_b, futex_wake(t, &g_w.ping.w, 1));
			// A woken wait followed by another one is a futile wakeup (FXS_TRUTH).
			bool woken = false;
			while (g_w.pong.w.load() != i) {
				if (woken)
					t.record_woken_wait(&g_w.pong.w, true);
				woken = wait_noting_sleep(t, &g_w.pong.w, i - 1, &safety) == 0;
			}
			if (woken)
				t.record_woken_wait(&g_w.pong.w, false);
			done = i;
		}
		g_truth.merge(t);
	});
	std::thread b([&] {
		Tally t;
		tid_b = gettid_();
		while (!tid_a.load())
			sched_yield();
		for (uint32_t i = 1; i <= rounds; i++) {
			uint32_t v;
			bool woken = false;
			while ((v = g_w.ping.w.load()) != i && v != kStop) {
				if (woken)
					t.record_woken_wait(&g_w.ping.w, true);
				woken = wait_noting_sleep(t, &g_w.ping.w, i - 1, &safety) == 0;
			}
			if (woken)
				t.record_woken_wait(&g_w.ping.w, false);
			if (v == kStop)
				break;
			g_w.pong.w.store(i);
			t.record_wakers(&g_w.pong.w, tid_b, tid_a, futex_wake(t, &g_w.pong.w, 1));
		}
		g_truth.merge(t);
	});
	a.join();
	b.join();
	return done;
}

// ---- 2. timeouts --------------------------------------------------------------------

void timeouts(uint64_t n)
{
	Tally t;
	Word *w = &g_w.timer.w;  // stays 0, nobody wakes it
	for (uint64_t i = 0; i < n; i++) {
		const timespec dl = deadline_ms(1, CLOCK_MONOTONIC);
		futex_wait_bitset(t, w, 0, &dl, kBitsetMatchAny);
	}
	const timespec dl_rt = deadline_ms(1, CLOCK_REALTIME);
	futex_wait_bitset(t, w, 0, &dl_rt, kBitsetMatchAny, kFutexPrivate | kFutexClockRealtime);
	const timespec rel = rel_ms(1);
	futex_wait(t, w, 0, &rel);
	g_truth.merge(t);
}

// ---- 3. bitset ----------------------------------------------------------------------

void bitset()
{
	Tid tid;
	std::thread waiter([&] {
		Tally t;
		tid.tid.store(gettid_());
		while (g_w.bits.w.load() == 0) {
			const timespec dl = deadline_ms(kSafetyMs);
			futex_wait_bitset(t, &g_w.bits.w, 0, &dl, 0x2);
		}
		g_truth.merge(t);
	});
	Tally t;
	blocked_or_sleep(tid.get(), &g_w.bits.w);
	futex_wake_bitset(t, &g_w.bits.w, 1, 0x1);  // other bits: wakes nobody
	g_w.bits.w.store(1);
	futex_wake_bitset(t, &g_w.bits.w, 1, 0x2);
	waiter.join();
	g_truth.merge(t);
}

// ---- 4. signal ----------------------------------------------------------------------

std::atomic<uint64_t> g_signals{0};
void on_sigusr1(int)
{
	g_signals.fetch_add(1, std::memory_order_relaxed);
}

uint64_t interrupt()
{
	struct sigaction sa;
	std::memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;  // no SA_RESTART: the interrupted FUTEX_WAIT returns EINTR
	sigaction(SIGUSR1, &sa, nullptr);

	Tid tid;
	std::atomic<bool> done{false};
	std::atomic<uint64_t> eintr{0};
	std::thread waiter([&] {
		Tally t;
		tid.tid.store(gettid_());
		// a) no timeout (in the kernel: -ERESTARTSYS). Main keeps signalling
		//    while this thread is blocked, so it cannot sleep forever.
		while (futex_wait(t, &g_w.intr.w, 0, nullptr) != -EINTR) {
		}
		eintr.fetch_add(1);
		// b) with a timeout (in the kernel: -ERESTART_RESTARTBLOCK).
		const timespec safety = rel_ms(500);
		for (int attempt = 0; attempt < 20; attempt++) {
			if (futex_wait(t, &g_w.intr.w, 0, &safety) == -EINTR) {
				eintr.fetch_add(1);
				break;
			}
		}
		g_truth.merge(t);
		done.store(true);
	});
	const pid_t wt = tid.get();
	while (!done.load()) {
		if (wait_blocked_in(wt, kNrFutex, reinterpret_cast<uintptr_t>(&g_w.intr.w), 100))
			pthread_kill(waiter.native_handle(), SIGUSR1);
		sleep_us(200);
	}
	waiter.join();
	return eintr.load();
}

// ---- 5. broadcast: FUTEX_CMP_REQUEUE, FUTEX_REQUEUE -------------------------------------

struct Broadcast {
	long cmp_requeue = 0, requeue = 0, wake = 0;
};

Broadcast broadcast(uint64_t n)
{
	std::vector<Tid> tids(n);
	std::vector<std::thread> waiters;
	for (uint64_t i = 0; i < n; i++) {
		waiters.emplace_back([&, i] {
			Tally t;
			tids[i].tid.store(gettid_());
			const timespec safety = rel_ms(kSafetyMs);
			while (g_w.cond.w.load() == 0)
				futex_wait(t, &g_w.cond.w, 0, &safety);
			g_truth.merge(t);
		});
	}
	for (auto &tid : tids)
		blocked_or_sleep(tid.get(), &g_w.cond.w);
	Tally t;
	Broadcast r;
	// "pthread_cond_broadcast": new cond value, wake one, requeue the rest.
	g_w.cond.w.store(1);
	t.set_kind(&g_w.cond.w, "condvar");
	r.cmp_requeue = futex_cmp_requeue(t, &g_w.cond.w, 1, INT_MAX, &g_w.mtx.w, 1);
	// The mutex word wakes one of those and hands the rest on to a second word.
	r.requeue = futex_requeue(t, &g_w.mtx.w, 1, INT_MAX, &g_w.mtx2.w);
	r.wake = futex_wake(t, &g_w.mtx2.w, INT_MAX);
	for (auto &w : waiters)
		w.join();
	g_truth.merge(t);
	return r;
}

// ---- 6. FUTEX_WAKE_OP -------------------------------------------------------------------

long wake_op()
{
	Tid tid1, tid2;
	auto waiter = [](Tid &tid, Word *w) {
		Tally t;
		tid.tid.store(gettid_());
		const timespec safety = rel_ms(kSafetyMs);
		while (w->load() == 0)
			futex_wait(t, w, 0, &safety);
		g_truth.merge(t);
	};
	std::thread a(waiter, std::ref(tid1), &g_w.op1.w);
	std::thread b(waiter, std::ref(tid2), &g_w.op2.w);
	blocked_or_sleep(tid1.get(), &g_w.op1.w);
	blocked_or_sleep(tid2.get(), &g_w.op2.w);
	Tally t;
	g_w.op1.w.store(1);
	// Wake 1 on op1; atomically op2 = 1 and, if op2 was 0, wake 1 on op2.
	const long r = futex_wake_op(t, &g_w.op1.w, 1, 1, &g_w.op2.w,
				     futex_op(kFutexOpSet, 1, kFutexOpCmpEq, 0));
	a.join();
	b.join();
	g_truth.merge(t);
	return r;
}

// ---- 7. herd -------------------------------------------------------------------------------

// Returns the waiters woken, summed over the rounds (what FUTEX_WAKE returned).
long herd(uint64_t n, uint64_t rounds)
{
	Word &w = g_w.herd.w;
	std::vector<Tid> tids(n);
	std::atomic<pid_t> waker{0};
	std::vector<std::thread> waiters;
	for (uint64_t i = 0; i < n; i++) {
		waiters.emplace_back([&, i] {
			Tally t;
			tids[i].tid.store(gettid_());
			const timespec safety = rel_ms(kSafetyMs);
			// The word holds the round: wait while it is this round's.
			for (uint32_t r = 0; r < rounds; r++) {
				while (w.load() == r) {
					if (futex_wait(t, &w, r, &safety) == 0)
						t.record_wakers(&w, waker.load(), gettid_(), 1);
				}
			}
			g_truth.merge(t);
		});
	}
	Tally t;
	waker.store(gettid_());
	long woken = 0;
	for (uint32_t r = 0; r < rounds; r++) {
		for (auto &tid : tids)
			blocked_or_sleep(tid.get(), &w);
		w.store(r + 1);
		const long n_woken = futex_wake(t, &w, INT_MAX);
		woken += n_woken > 0 ? n_woken : 0;
	}
	for (auto &th : waiters)
		th.join();
	g_truth.merge(t);
	return woken;
}

void usage(const char *argv0, FILE *f)
{
	std::fprintf(f,
		     "usage: %s [--rounds N] [--budget-ms N] [--timeouts N] [--waiters N]\n"
		     "  Condition-variable style futex use: ping-pong, timeouts, bitsets, a signal\n"
		     "  (EINTR), FUTEX_CMP_REQUEUE/FUTEX_REQUEUE broadcast, FUTEX_WAKE_OP.\n"
		     "  Prints a FXS_TRUTH line with the futex calls it made.\n"
		     "  --rounds N    ping-pong round trips (default 20000)\n"
		     "  --budget-ms N stop the ping-pong early after N ms (default 1200)\n"
		     "  --timeouts N  FUTEX_WAIT_BITSET calls with a 1 ms CLOCK_MONOTONIC deadline\n"
		     "                (default 3; one CLOCK_REALTIME one and one relative FUTEX_WAIT\n"
		     "                timeout follow)\n"
		     "  --waiters N   waiters of the broadcast phase (default 4)\n"
		     "  --herd-rounds N  rounds of the herd phase (default 0: no herd): each round\n"
		     "                one FUTEX_WAKE wakes all --herd waiters (default 3)\n",
		     argv0);
}

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; i++) {
		if (arg_u64(argc, argv, i, "--rounds", o.rounds) || arg_u64(argc, argv, i, "--timeouts", o.timeouts) ||
		    arg_u64(argc, argv, i, "--waiters", o.waiters) || arg_u64(argc, argv, i, "--budget-ms", o.budget_ms) ||
		    arg_u64(argc, argv, i, "--herd", o.herd) || arg_u64(argc, argv, i, "--herd-rounds", o.herd_rounds))
			continue;
		if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) {
			usage(argv[0], stdout);
			return 0;
		}
		std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
		usage(argv[0], stderr);
		return 2;
	}
	if (o.rounds > UINT32_MAX - 1 || o.waiters < 2 || o.waiters > 1000 || o.herd < 1 || o.herd > 1000 ||
	    o.herd_rounds > 100000) {
		std::fprintf(stderr, "%s: --rounds must be < 2^32, --waiters 2..1000, --herd 1..1000, --herd-rounds <= 100000\n",
			     argv[0]);
		return 2;
	}
	arm_watchdog(120);

	const uint64_t t0 = now_ns();
	const uint64_t trips = ping_pong(o.rounds, o.budget_ms);
	const uint64_t t1 = now_ns();
	timeouts(o.timeouts);
	bitset();
	const uint64_t eintr = interrupt();
	const Broadcast bc = broadcast(o.waiters);
	const long wop = wake_op();
	const long herd_woken = o.herd_rounds ? herd(o.herd, o.herd_rounds) : 0;
	const uint64_t elapsed = now_ns() - t0;

	std::printf("fxs-sample-condvar: ping-pong %" PRIu64 " of %" PRIu64 " round trips in %.3f ms\n",
		    trips, o.rounds, (t1 - t0) / 1e6);
	std::printf("fxs-sample-condvar: EINTR seen %" PRIu64 " time(s) after %" PRIu64 " signal(s)\n", eintr,
		    g_signals.load());
	std::printf("fxs-sample-condvar: broadcast of %" PRIu64 " waiters: FUTEX_CMP_REQUEUE -> %ld, "
		    "FUTEX_REQUEUE -> %ld, FUTEX_WAKE -> %ld\n",
		    o.waiters, bc.cmp_requeue, bc.requeue, bc.wake);
	std::printf("fxs-sample-condvar: FUTEX_WAKE_OP -> %ld\n", wop);
	if (o.herd_rounds)
		std::printf("fxs-sample-condvar: herd of %" PRIu64 " waiters, %" PRIu64 " rounds: %ld woken\n", o.herd,
			    o.herd_rounds, herd_woken);
	const char *names[] = {"ping", "pong", "timer", "bits", "intr", "cond", "mtx", "mtx2", "op1", "op2", "herd"};
	Word *words[] = {&g_w.ping.w, &g_w.pong.w, &g_w.timer.w, &g_w.bits.w, &g_w.intr.w, &g_w.cond.w,
			 &g_w.mtx.w,  &g_w.mtx2.w, &g_w.op1.w,  &g_w.op2.w,  &g_w.herd.w};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		std::printf("fxs-sample-condvar: word %-5s %p\n", names[i], static_cast<void *>(words[i]));
	const Tally total = g_truth.total();
	print_truth(total, elapsed);
	if (eintr < 2)
		std::fprintf(stderr, "fxs-sample-condvar: note: EINTR observed only %" PRIu64 " time(s)\n", eintr);
	return 0;
}
