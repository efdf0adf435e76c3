// fxs-sample-futex2: the futex2 system calls, in phases:
//  1. probe: a futex_waitv whose first entry's value does not match (EAGAIN);
//     a futex_waitv ENOSYS here means the kernel has no futex2 (< 5.16).
//  2. rounds: a thread waits with futex_waitv on a vector of 3 futex words; each
//     round another thread changes one entry (chosen pseudo-randomly) and wakes
//     it with futex_wake. The waiter answers on an "ack" word (futex_wake), on
//     which the waker sleeps with futex_wait. futex_waitv returns the index of
//     the woken entry, or EAGAIN if the entry changed before it slept.
//     --rounds rounds, or fewer if --budget-ms is spent first.
//  3. timeouts: futex_waitv and futex_wait with absolute CLOCK_MONOTONIC and
//     CLOCK_REALTIME deadlines nobody meets (ETIMEDOUT), a futex_wait EAGAIN.
//  4. requeue: waiters in futex_wait on a source word; futex_requeue wakes one
//     and requeues the others onto a target word; futex_wake wakes them there.
// futex_wait, futex_wake and futex_requeue exist since Linux 6.7: if one of
// them fails with ENOSYS it is not counted, a note goes to stderr and the
// sample falls back to futex(2) FUTEX_WAIT/FUTEX_WAKE or skips the phase.
// Prints the FXS_TRUTH line (see samples/README.md).
#include "ground_truth.h"

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <thread>
#include <vector>

using namespace fxs_sample;

namespace {

struct Words {
	PaddedWord v[3];      // the futex_waitv vector
	PaddedWord ack;       // rounds: waiter -> waker
	PaddedWord timer;     // futex_wait timeouts / EAGAIN
	PaddedWord src, dst;  // futex_requeue
} g_w;

TruthCollector g_truth;
constexpr uint64_t kSafetyMs = 2000;

std::atomic<bool> g_have_wait2{true}, g_have_wake2{true};

void note_enosys(const char *what, const char *instead)
{
	std::fprintf(stderr, "fxs-sample-futex2: note: %s: ENOSYS (kernel older than 6.7?), %s\n", what,
		     instead);
}

// futex_wake(2), or FUTEX_WAKE_PRIVATE where the kernel lacks it.
long wake_word(Tally &t, Word *w, int nr)
{
	if (g_have_wake2.load(std::memory_order_relaxed)) {
		const long r = sys_futex_wake(t, w, kBitsetMatchAny, nr, kFutex2Flags);
		if (r != -ENOSYS)
			return r;
		if (g_have_wake2.exchange(false))
			note_enosys("futex_wake", "using FUTEX_WAKE instead");
	}
	return futex_wake(t, w, nr);
}

// futex_wait(2) with a safety deadline, or FUTEX_WAIT_PRIVATE.
long wait_word(Tally &t, Word *w, uint32_t val)
{
	if (g_have_wait2.load(std::memory_order_relaxed)) {
		const timespec dl = deadline_ms(kSafetyMs, CLOCK_MONOTONIC);
		const long r = sys_futex_wait(t, w, val, kBitsetMatchAny, kFutex2Flags, &dl, CLOCK_MONOTONIC);
		if (r != -ENOSYS)
			return r;
		if (g_have_wait2.exchange(false))
			note_enosys("futex_wait", "using FUTEX_WAIT instead");
	}
	const timespec rel = rel_ms(kSafetyMs);
	return futex_wait(t, w, val, &rel);
}

void fill_vector(FutexWaitv vec[3], const uint32_t vals[3])
{
	for (int i = 0; i < 3; i++) {
		vec[i].val = vals[i];
		vec[i].uaddr = reinterpret_cast<uintptr_t>(&g_w.v[i].w);
		vec[i].flags = kFutex2Flags;
		vec[i].reserved = 0;
	}
}

// ---- 1. probe --------------------------------------------------------------------------

bool probe_waitv()
{
	Tally t;
	uint32_t vals[3] = {g_w.v[0].w.load() + 1, g_w.v[1].w.load(), g_w.v[2].w.load()};
	FutexWaitv vec[3];
	fill_vector(vec, vals);
	const timespec dl = deadline_ms(kSafetyMs, CLOCK_MONOTONIC);
	const long r = sys_futex_waitv(t, vec, 3, &dl, CLOCK_MONOTONIC);
	g_truth.merge(t);
	if (r == -ENOSYS) {
		std::fprintf(stderr, "fxs-sample-futex2: note: futex_waitv: ENOSYS (kernel older than 5.16?), "
				     "skipping the futex_waitv phases\n");
		return false;
	}
	return true;
}

// ---- 2. rounds ---------------------------------------------------------------------------

struct RoundStats {
	uint64_t woken_by_index[3] = {};
	uint64_t eagain = 0, other = 0;
	uint64_t done = 0;
};

// The waiter leads: once the time budget is spent it stores kStop in ack
// instead of the next round number, and both stop.
constexpr uint32_t kStop = UINT32_MAX;

RoundStats rounds(uint64_t n, uint64_t budget_ms)
{
	RoundStats st;
	const uint64_t deadline = now_ns() + budget_ms * 1000000ull;
	std::thread waiter([&] {
		Tally t;
		for (uint32_t r = 0; r < n; r++) {
			if (now_ns() > deadline) {
				g_w.ack.w.store(kStop);
				wake_word(t, &g_w.ack.w, 1);
				break;
			}
			uint32_t vals[3];
			for (int i = 0; i < 3; i++)
				vals[i] = g_w.v[i].w.load();
			FutexWaitv vec[3];
			fill_vector(vec, vals);
			g_w.ack.w.store(r + 1);
			wake_word(t, &g_w.ack.w, 1);
			for (;;) {
				const timespec dl = deadline_ms(kSafetyMs, CLOCK_MONOTONIC);
				const long ret = sys_futex_waitv(t, vec, 3, &dl, CLOCK_MONOTONIC);
				if (ret >= 0 && ret < 3)
					st.woken_by_index[ret]++;
				else if (ret == -EAGAIN)
					st.eagain++;
				else
					st.other++;
				bool changed = false;
				for (int i = 0; i < 3; i++)
					changed |= g_w.v[i].w.load() != vals[i];
				if (changed)
					break;
			}
			st.done = r + 1;
		}
		g_truth.merge(t);
	});
	std::thread waker([&] {
		Tally t;
		uint32_t rnd = 0x9e3779b9u;
		for (uint32_t r = 0; r < n; r++) {
			uint32_t a;
			while ((a = g_w.ack.w.load()) < r + 1)
				wait_word(t, &g_w.ack.w, a);
			if (a == kStop)
				break;
			rnd ^= rnd << 13;
			rnd ^= rnd >> 17;
			rnd ^= rnd << 5;
			Word *w = &g_w.v[rnd % 3].w;
			w->fetch_add(1);
			wake_word(t, w, 1);
		}
		g_truth.merge(t);
	});
	waiter.join();
	waker.join();
	return st;
}

// ---- 3. timeouts ---------------------------------------------------------------------------

void timeouts(bool have_waitv)
{
	Tally t;
	if (have_waitv) {
		uint32_t vals[3];
		for (int i = 0; i < 3; i++)
			vals[i] = g_w.v[i].w.load();
		FutexWaitv vec[3];
		fill_vector(vec, vals);
		const timespec mono = deadline_ms(1, CLOCK_MONOTONIC);
		sys_futex_waitv(t, vec, 3, &mono, CLOCK_MONOTONIC);
		const timespec rt = deadline_ms(1, CLOCK_REALTIME);
		sys_futex_waitv(t, vec, 3, &rt, CLOCK_REALTIME);
	}
	Word *w = &g_w.timer.w;  // stays 0, nobody wakes it
	const timespec mono = deadline_ms(1, CLOCK_MONOTONIC);
	if (sys_futex_wait(t, w, 0, kBitsetMatchAny, kFutex2Flags, &mono, CLOCK_MONOTONIC) == -ENOSYS) {
		if (g_have_wait2.exchange(false))
			note_enosys("futex_wait", "skipping its timeouts");
	} else {
		const timespec rt = deadline_ms(1, CLOCK_REALTIME);
		sys_futex_wait(t, w, 0, kBitsetMatchAny, kFutex2Flags, &rt, CLOCK_REALTIME);
		const timespec dl = deadline_ms(kSafetyMs, CLOCK_MONOTONIC);
		sys_futex_wait(t, w, 1, kBitsetMatchAny, kFutex2Flags, &dl, CLOCK_MONOTONIC);  // EAGAIN
	}
	g_truth.merge(t);
}

// ---- 4. requeue ------------------------------------------------------------------------------

struct RequeueResult {
	bool done = false;
	long requeue = 0, wake = 0;
};

RequeueResult requeue(uint64_t n)
{
	RequeueResult res;
	if (!g_have_wait2.load() || !g_have_wake2.load()) {
		std::fprintf(stderr, "fxs-sample-futex2: note: no futex_wait/futex_wake, skipping futex_requeue\n");
		return res;
	}
	std::vector<std::atomic<pid_t>> tids(n);
	std::vector<std::thread> waiters;
	for (uint64_t i = 0; i < n; i++) {
		waiters.emplace_back([&, i] {
			Tally t;
			tids[i].store(gettid_());
			while (g_w.src.w.load() == 0)
				wait_word(t, &g_w.src.w, 0);
			g_truth.merge(t);
		});
	}
	for (auto &tid : tids) {
		pid_t p;
		while ((p = tid.load()) == 0)
			sleep_us(10);
		if (!wait_blocked_in(p, kNrFutexWait, reinterpret_cast<uintptr_t>(&g_w.src.w), 1000) &&
		    !wait_blocked_in(p, kNrFutex, reinterpret_cast<uintptr_t>(&g_w.src.w), 1))
			sleep_us(20000);
	}
	Tally t;
	g_w.src.w.store(1);
	FutexWaitv vec[2] = {
		{1, reinterpret_cast<uintptr_t>(&g_w.src.w), kFutex2Flags, 0},
		{0, reinterpret_cast<uintptr_t>(&g_w.dst.w), kFutex2Flags, 0},
	};
	res.requeue = sys_futex_requeue(t, vec, 1, INT_MAX);
	if (res.requeue == -ENOSYS) {
		note_enosys("futex_requeue", "skipping it");
		wake_word(t, &g_w.src.w, INT_MAX);
	} else {
		res.done = true;
		res.wake = wake_word(t, &g_w.dst.w, INT_MAX);
	}
	for (auto &w : waiters)
		w.join();
	g_truth.merge(t);
	return res;
}

void usage(const char *argv0, FILE *f)
{
	std::fprintf(f,
		     "usage: %s [--rounds N] [--budget-ms N] [--waiters N]\n"
		     "  futex2 system calls: futex_waitv on 3 words woken by futex_wake, futex_wait,\n"
		     "  timeouts, futex_requeue. Prints a FXS_TRUTH line with the futex calls it made.\n"
		     "  --rounds N   futex_waitv rounds (default 5000)\n"
		     "  --budget-ms N  stop the rounds early after N ms (default 1200)\n"
		     "  --waiters N  waiters of the futex_requeue phase (default 3)\n",
		     argv0);
}

}  // namespace

int main(int argc, char **argv)
{
	uint64_t nrounds = 5000, nwaiters = 3, budget_ms = 1200;
	for (int i = 1; i < argc; i++) {
		if (arg_u64(argc, argv, i, "--rounds", nrounds) || arg_u64(argc, argv, i, "--waiters", nwaiters) ||
		    arg_u64(argc, argv, i, "--budget-ms", budget_ms))
			continue;
		if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) {
			usage(argv[0], stdout);
			return 0;
		}
		std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
		usage(argv[0], stderr);
		return 2;
	}
	if (nrounds > UINT32_MAX - 1 || nwaiters < 2 || nwaiters > 1000) {
		std::fprintf(stderr, "%s: --rounds must be < 2^32, --waiters 2..1000\n", argv[0]);
		return 2;
	}
	arm_watchdog(120);

	const uint64_t t0 = now_ns();
	const bool have_waitv = probe_waitv();
	RoundStats st;
	if (have_waitv)
		st = rounds(nrounds, budget_ms);
	timeouts(have_waitv);
	const RequeueResult rq = requeue(nwaiters);
	const uint64_t elapsed = now_ns() - t0;

	if (have_waitv)
		std::printf("fxs-sample-futex2: %" PRIu64 " of %" PRIu64 " rounds: futex_waitv woke on entry "
			    "0/1/2: %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", EAGAIN %" PRIu64 ", other %" PRIu64 "\n",
			    st.done, nrounds, st.woken_by_index[0], st.woken_by_index[1], st.woken_by_index[2], st.eagain,
			    st.other);
	if (rq.done)
		std::printf("fxs-sample-futex2: futex_requeue of %" PRIu64 " waiters -> %ld, futex_wake -> %ld\n",
			    nwaiters, rq.requeue, rq.wake);
	const char *names[] = {"v0", "v1", "v2", "ack", "timer", "src", "dst"};
	Word *words[] = {&g_w.v[0].w, &g_w.v[1].w, &g_w.v[2].w, &g_w.ack.w, &g_w.timer.w, &g_w.src.w, &g_w.dst.w};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		std::printf("fxs-sample-futex2: word %-5s %p\n", names[i], static_cast<void *>(words[i]));
	print_truth(g_truth.total(), elapsed);
	return 0;
}
