// fxs-sample-rseq: restartable sequences on glibc's own rseq registration.
//
// glibc (2.35+) registers an rseq area for every thread at thread pointer +
// __rseq_offset (<sys/rseq.h>). Each worker runs one critical section, written
// in inline asm, over and over: it points rseq->rseq_cs at the section's
// descriptor {start_ip, post_commit_offset, abort_ip}, reads rseq->cpu_id,
// spins --spin iterations (so that preemption lands inside the section), and
// commits with a plain increment of that CPU's counter. More threads than
// CPUs make the kernel preempt them mid-section; every preemption, migration
// or signal that lands inside the section makes the kernel move the thread to
// the abort handler (preceded by the RSEQ_SIG signature, 0x53053053 on x86),
// which counts one abort and retries.
//
// Ground truth: every run of the abort handler is exactly one rseq_ip_fixup
// event for this start_ip (the kernel clears rseq_cs when it aborts, so one
// abort is one handler run, whatever the cause). The per-CPU counters must sum
// to the number of commits (rseq makes the non-atomic increment safe); exit 1
// if not. Prints
//   FXS_TRUTH {"pid":N,"futexes":[],"rseq":{"aborts":N,"start_ip":"0x...",...},"elapsed_ns":N}
//
// --signal-every-ms N: the main thread sends SIGUSR1 to a worker every N ms
// (the handler does nothing), so some aborts have the cause "signal".
#include "ground_truth.h"

#include <pthread.h>
#include <signal.h>
#include <sys/rseq.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

using namespace fxs_sample;

#if !defined(__x86_64__)
#error "fxs-sample-rseq is written for x86_64"
#endif

// The critical section's labels, global so that the tracer can name it.
extern "C" const char fxs_rseq_cs_start[], fxs_rseq_cs_commit[], fxs_rseq_cs_abort[];

namespace {

constexpr unsigned kMaxCpus = 4096;
struct alignas(64) CpuSlot {
	uint64_t count;
};
CpuSlot g_per_cpu[kMaxCpus];  // committed increments, per CPU (rseq-protected)

std::atomic<bool> g_go{false}, g_stop{false};

struct Options {
	uint64_t threads = 0;           // 0: 2 * CPUs + 1
	uint64_t ms = 500;              // how long the workers run
	uint64_t spin = 20000;          // spin iterations inside the section
	uint64_t signal_every_ms = 0;   // SIGUSR1 to a worker every N ms (0: none)
};

struct alignas(64) Worker {
	uint64_t aborts = 0;
	uint64_t commits = 0;
	pthread_t thread{};
	std::atomic<bool> ready{false};
};

struct rseq *thread_rseq()
{
	return reinterpret_cast<struct rseq *>(static_cast<char *>(__builtin_thread_pointer()) +
					       __rseq_offset);
}

// One attempt: true if it committed, false if the kernel aborted it. noinline
// and noclone: the asm defines global labels and must exist exactly once.
__attribute__((noinline, noclone)) bool run_section(struct rseq *rs, uint64_t spin)
{
	asm goto(
		// The descriptor: version 0, flags 0, start_ip, post_commit_offset, abort_ip.
		".pushsection __rseq_cs, \"aw\"\n\t"
		".balign 32\n"
		"fxs_rseq_cs_desc:\n\t"
		".long 0, 0\n\t"
		".quad fxs_rseq_cs_start, fxs_rseq_cs_commit - fxs_rseq_cs_start, fxs_rseq_cs_abort\n\t"
		".popsection\n\t"
		"leaq fxs_rseq_cs_desc(%%rip), %%rax\n\t"
		"movq %%rax, %c[cs_off](%[rs])\n\t"  // rseq->rseq_cs = &descriptor
		".globl fxs_rseq_cs_start\n"
		"fxs_rseq_cs_start:\n\t"
		"movl %c[cpu_off](%[rs]), %%ecx\n\t"  // rseq->cpu_id
		"movq %[spin], %%rdx\n"
		"1:\n\t"
		"subq $1, %%rdx\n\t"
		"jnz 1b\n\t"
		"shlq $6, %%rcx\n\t"  // sizeof(CpuSlot)
		"addq $1, (%[slots], %%rcx)\n"  // the commit: the section's last instruction
		".globl fxs_rseq_cs_commit\n"
		"fxs_rseq_cs_commit:\n\t"
		// The abort handler, out of line, preceded by the signature glibc registered.
		".pushsection __rseq_failure, \"ax\"\n\t"
		".byte 0x0f, 0xb9, 0x3d\n\t"  // ud1 <sig>(%rip), %edi: the signature as an instruction
		".long 0x53053053\n"
		".globl fxs_rseq_cs_abort\n"
		"fxs_rseq_cs_abort:\n\t"
		"jmp %l[aborted]\n\t"
		".popsection\n\t"
		:
		: [rs] "r"(rs), [slots] "r"(g_per_cpu), [spin] "r"(spin),
		  [cs_off] "i"(offsetof(struct rseq, rseq_cs)), [cpu_off] "i"(offsetof(struct rseq, cpu_id))
		: "rax", "rcx", "rdx", "memory", "cc"
		: aborted);
	return true;
aborted:
	return false;
}

void on_sigusr1(int) {}

void worker(Worker *w, const Options *o)
{
	struct rseq *rs = thread_rseq();
	if (static_cast<int32_t>(rs->cpu_id) < 0) {
		std::fprintf(stderr, "fxs-sample-rseq: this thread has no rseq registration\n");
		std::exit(77);
	}
	w->thread = pthread_self();
	w->ready.store(true);
	while (!g_go.load(std::memory_order_acquire)) {
	}
	while (!g_stop.load(std::memory_order_relaxed)) {
		if (run_section(rs, o->spin))
			w->commits++;
		else
			w->aborts++;
	}
}

void usage()
{
	std::fprintf(stderr,
		     "usage: fxs-sample-rseq [--threads N] [--ms N] [--spin N] [--signal-every-ms N]\n"
		     "  runs an rseq critical section (inline asm, glibc's rseq area) on more threads\n"
		     "  than CPUs for --ms (500) ms and prints FXS_TRUTH with the abort count\n");
}

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; i++) {
		if (arg_u64(argc, argv, i, "--threads", o.threads) || arg_u64(argc, argv, i, "--ms", o.ms) ||
		    arg_u64(argc, argv, i, "--spin", o.spin) ||
		    arg_u64(argc, argv, i, "--signal-every-ms", o.signal_every_ms))
			continue;
		usage();
		return arg_flag(argv, i, "--help") ? 0 : 2;
	}
	alarm(120);  // never hang a test run
	if (__rseq_size == 0) {
		std::fprintf(stderr, "fxs-sample-rseq: glibc did not register rseq "
				     "(kernel without rseq, or GLIBC_TUNABLES=glibc.pthread.rseq=0)\n");
		return 77;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (o.threads == 0)
		o.threads = 2 * uint64_t(ncpu > 0 ? ncpu : 1) + 1;
	if (o.spin == 0)
		o.spin = 1;
	struct sigaction sa {};
	sa.sa_handler = on_sigusr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, nullptr);

	std::vector<Worker> workers(o.threads);
	std::vector<std::thread> threads;
	for (auto &w : workers)
		threads.emplace_back(worker, &w, &o);
	for (auto &w : workers)
		while (!w.ready.load()) {
		}
	const uint64_t t0 = now_ns();
	g_go.store(true, std::memory_order_release);
	uint64_t signals = 0;
	if (o.signal_every_ms) {
		for (uint64_t t = 0; t + o.signal_every_ms <= o.ms; t += o.signal_every_ms) {
			sleep_us(o.signal_every_ms * 1000);
			pthread_kill(workers[signals % workers.size()].thread, SIGUSR1);
			signals++;
		}
	}
	while (now_ns() - t0 < o.ms * 1000000ull)
		sleep_us(1000);
	g_stop.store(true);
	for (auto &t : threads)
		t.join();
	const uint64_t elapsed = now_ns() - t0;

	uint64_t aborts = 0, commits = 0, counted = 0;
	for (const auto &w : workers) {
		aborts += w.aborts;
		commits += w.commits;
	}
	for (const auto &c : g_per_cpu)
		counted += c.count;
	if (counted != commits) {
		std::fprintf(stderr, "fxs-sample-rseq: per-CPU counters sum to %" PRIu64 ", %" PRIu64
				     " commits: rseq did not protect the section\n", counted, commits);
		return 1;
	}
	char line[512];
	std::snprintf(line, sizeof(line),
		      "FXS_TRUTH {\"pid\":%d,\"futexes\":[],\"rseq\":{\"aborts\":%" PRIu64
		      ",\"start_ip\":\"0x%" PRIxPTR "\",\"commits\":%" PRIu64 ",\"threads\":%" PRIu64
		      ",\"signals_sent\":%" PRIu64 "},\"elapsed_ns\":%" PRIu64 "}\n",
		      static_cast<int>(getpid()), aborts, reinterpret_cast<uintptr_t>(fxs_rseq_cs_start),
		      commits, o.threads, signals, elapsed);
	std::fflush(stdout);
	if (write(STDOUT_FILENO, line, std::strlen(line)) < 0)
		return 1;
	return 0;
}
