// fxs-sample-buckets: hash-bucket lock contention on purpose. T threads spin
// through W futex words calling FUTEX_WAIT_PRIVATE with a value the word never
// holds: the kernel takes the word's hash-bucket lock, sees the mismatch and
// returns EAGAIN, so every call is one pass through a bucket lock, and threads
// on different CPUs keep meeting in the same buckets. With W words spread over
// several buckets, the contended lock addresses also pin down where the global
// table lies (futexscope calibrates its base from them).
//
// Prints FXS_TRUTH (ops and eagain per word, exact) and FXS_TRUTH_HASH
// {"pid":N,"slots":N} from prctl(PR_FUTEX_HASH, GET_SLOTS) ("slots":null on a
// kernel without a private futex hash). --hash-slots N sets the slots first
// (0: the global table). --numa uses FUTEX2_NUMA futexes ({u32 value; u32
// node} pairs, node -1 until the kernel picks one) with futex_wait(2);
// FXS_TRUTH_HASH then also carries "numa_nodes":{"0xaddr":node,...}, the node
// each word holds at the end.
#include "ground_truth.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <sys/prctl.h>
#include <unistd.h>

using namespace fxs_sample;

namespace {

constexpr int kPrFutexHash = 78, kPrFutexHashSetSlots = 1, kPrFutexHashGetSlots = 2;
constexpr uint64_t kMaxWords = 64;

PaddedWord g_words[kMaxWords];  // every word holds 0; threads wait for 1
// FUTEX2_NUMA futexes: the value, then the node the kernel chose (-1: not yet).
struct alignas(64) NumaWord {
	Word val{0};
	Word node{~0u};
};
NumaWord g_numa_words[kMaxWords];
constexpr uint32_t kFutex2Numa = 0x04;
std::atomic<bool> g_go{false};
TruthCollector g_truth;

struct Options {
	uint64_t threads = 4;
	uint64_t words = 8;
	uint64_t calls = 200000;  // FUTEX_WAIT calls per thread
	int64_t hash_slots = -1;  // -1: leave the process's table as the kernel made it
	bool numa = false;        // FUTEX2_NUMA futexes with futex_wait(2)
};

void worker(const Options &o, uint64_t seed)
{
	Tally t;
	while (!g_go.load(std::memory_order_acquire))
		;
	// A pseudo-random word each call (xorshift64): threads meet on every word, one in W calls.
	uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
	for (uint64_t i = 0; i < o.calls; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (o.numa) {
			sys_futex_wait(t, &g_numa_words[x % o.words].val, 1, 0xffffffffull, kFutex2Flags | kFutex2Numa,
				       nullptr, CLOCK_MONOTONIC);
		} else {
			futex_wait(t, &g_words[x % o.words].w, 1);  // EAGAIN: the word is 0
		}
	}
	g_truth.merge(t);
}

void print_hash_truth(const Options &o)
{
	const int slots = prctl(kPrFutexHash, kPrFutexHashGetSlots, 0, 0, 0);
	std::string line = "FXS_TRUTH_HASH {\"pid\":" + std::to_string(getpid()) +
			   ",\"slots\":" + (slots >= 0 ? std::to_string(slots) : "null");
	if (o.numa) {
		line += ",\"numa_nodes\":{";
		for (uint64_t i = 0; i < o.words; i++) {
			char addr[32];
			std::snprintf(addr, sizeof(addr), "0x%" PRIxPTR, reinterpret_cast<uintptr_t>(&g_numa_words[i].val));
			line += (i ? ",\"" : "\"") + std::string(addr) + "\":" +
				std::to_string(int32_t(g_numa_words[i].node.load()));
		}
		line += "}";
	}
	std::fflush(stdout);
	std::printf("%s}\n", line.c_str());
	std::fflush(stdout);
}

void usage(const char *argv0, FILE *f)
{
	std::fprintf(f,
		     "usage: %s [--threads N] [--words N] [--calls N] [--hash-slots N] [--numa]\n"
		     "  --threads N     threads (default 4)\n"
		     "  --words N       futex words they share, 1..64 (default 8)\n"
		     "  --calls N       FUTEX_WAIT calls per thread, each failing with EAGAIN (default 200000)\n"
		     "  --hash-slots N  prctl(PR_FUTEX_HASH, SET_SLOTS, N) first (0 = the global table)\n"
		     "  --numa          FUTEX2_NUMA futexes with futex_wait(2) (Linux 6.16+)\n",
		     argv0);
}

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; i++) {
		uint64_t slots = 0;
		if (arg_u64(argc, argv, i, "--threads", o.threads) || arg_u64(argc, argv, i, "--words", o.words) ||
		    arg_u64(argc, argv, i, "--calls", o.calls))
			continue;
		if (arg_u64(argc, argv, i, "--hash-slots", slots)) {
			o.hash_slots = int64_t(slots);
		} else if (arg_flag(argv, i, "--numa")) {
			o.numa = true;
		} else if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) {
			usage(argv[0], stdout);
			return 0;
		} else {
			std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
			usage(argv[0], stderr);
			return 2;
		}
	}
	if (o.threads < 1 || o.threads > 256 || o.words < 1 || o.words > kMaxWords) {
		std::fprintf(stderr, "%s: --threads must be 1..256, --words 1..%" PRIu64 "\n", argv[0], kMaxWords);
		return 2;
	}
	arm_watchdog(120);
	if (o.hash_slots >= 0 && prctl(kPrFutexHash, kPrFutexHashSetSlots, unsigned(o.hash_slots), 0, 0) != 0)
		std::fprintf(stderr, "%s: note: prctl(PR_FUTEX_HASH, SET_SLOTS, %" PRId64 ") failed: %s "
				     "(a kernel before 6.16 has only the global table)\n",
			     argv[0], o.hash_slots, std::strerror(errno));

	std::vector<std::thread> threads;
	for (uint64_t i = 0; i < o.threads; i++)
		threads.emplace_back(worker, std::cref(o), i);
	const uint64_t t0 = now_ns();
	g_go.store(true, std::memory_order_release);
	for (auto &th : threads)
		th.join();
	const uint64_t elapsed = now_ns() - t0;
	print_hash_truth(o);
	print_truth(g_truth.total(), elapsed);
	return 0;
}
