// fxs-sample-numa: two threads pinned to CPUs of different NUMA nodes take
// turns on one futex word whose page is bound to one node (default node 1),
// with FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE. The word counts turns: thread
// 0 acts when it is even, thread 1 when it is odd; acting = increment it and
// FUTEX_WAKE it (unconditionally, so many wakes wake nobody); otherwise
// FUTEX_WAIT on the value seen.
//
// Besides the usual per-futex counts the FXS_TRUTH line carries
//   "numa":{"nodes":N,"page_node":N,"thread_nodes":[a,b],"thread_cpus":[a,b],
//           "cross_node_wakes":N,"wakes_by_node":[[..],..]}
// wakes_by_node[waker node][woken thread's node] += what each FUTEX_WAKE
// returned (only the other thread ever waits on the word). Every waker's and
// waiter's node is checked with getcpu() around each call; page_node is what
// move_pages(2) says about the word's page. No libnuma: raw mbind/move_pages.
// Prints the FXS_TRUTH line (see samples/README.md).
#include "ground_truth.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace fxs_sample;

namespace {

constexpr int kMaxNodes = 64;
constexpr uint32_t kStop = 0xffffffffu;  // thread 0 ran out of time: both stop
constexpr int kMpolBind = 2;             // linux/mempolicy.h
constexpr unsigned kMpolMfStrict = 1, kMpolMfMove = 2;

struct Options {
	uint64_t rounds = 2000;  // turns per thread
	uint64_t budget_ms = 1500;
	uint64_t page_node = 1;
	uint64_t node_a = 0, node_b = 1;
};

// Parses a sysfs list such as "0-3,8,10-11".
std::vector<int> parse_list(const std::string &s)
{
	std::vector<int> out;
	std::stringstream ss(s);
	std::string part;
	while (std::getline(ss, part, ',')) {
		if (part.empty() || part == "\n")
			continue;
		int lo = 0, hi = 0;
		if (std::sscanf(part.c_str(), "%d-%d", &lo, &hi) == 2) {
			for (int i = lo; i <= hi; i++)
				out.push_back(i);
		} else if (std::sscanf(part.c_str(), "%d", &lo) == 1) {
			out.push_back(lo);
		}
	}
	return out;
}

std::string read_file(const std::string &path)
{
	std::ifstream f(path);
	std::string s;
	std::getline(f, s);
	return s;
}

std::vector<int> online_nodes()
{
	std::vector<int> n = parse_list(read_file("/sys/devices/system/node/online"));
	if (n.empty())
		n.push_back(0);  // no NUMA support compiled in: one node
	return n;
}

std::vector<int> node_cpus(int node)
{
	return parse_list(read_file("/sys/devices/system/node/node" + std::to_string(node) + "/cpulist"));
}

// The node of the CPU this thread runs on, from getcpu(2).
int current_node(unsigned *cpu_out = nullptr)
{
	unsigned cpu = 0, node = 0;
	if (syscall(SYS_getcpu, &cpu, &node, nullptr) != 0)
		return -1;
	if (cpu_out)
		*cpu_out = cpu;
	return static_cast<int>(node);
}

bool pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return false;
	sched_yield();  // let the scheduler move us now
	return true;
}

// The node of the page holding p (move_pages with nodes = NULL only asks).
int page_node_of(const void *p)
{
	void *page = reinterpret_cast<void *>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t(getpagesize() - 1));
	int status = -1;
	if (syscall(SYS_move_pages, 0, 1ul, &page, nullptr, &status, 0) != 0)
		return -errno;
	return status;  // a node, or -errno for this page
}

struct Side {
	int node = 0;  // the node this thread is pinned to
	int cpu = 0;
	pid_t tid = 0;
	uint64_t acts = 0;
	uint64_t wakes[kMaxNodes] = {};  // threads woken, by the woken thread's node
	std::string error;               // set if a getcpu() check failed
	Tally tally;
};

struct Shared {
	Word *turn = nullptr;
	Side side[2];
	uint64_t rounds = 0;
	uint64_t deadline = 0;
	std::atomic<int> ready{0};
};

void fail(Side &me, const char *what, int node)
{
	if (me.error.empty()) {
		char buf[160];
		std::snprintf(buf, sizeof(buf), "thread %d on node %d: %s on node %d (affinity not kept?)",
			      static_cast<int>(me.tid), me.node, what, node);
		me.error = buf;
	}
}

void turn_taker(Shared &sh, int s)
{
	Side &me = sh.side[s];
	Side &other = sh.side[1 - s];
	me.tid = gettid_();
	if (!pin_to(me.cpu)) {
		me.error = std::string("sched_setaffinity: ") + std::strerror(errno);
	} else if (current_node() != me.node) {
		fail(me, "started", current_node());
	}
	sh.ready.fetch_add(1);
	while (sh.ready.load() < 2)
		sched_yield();
	Word &w = *sh.turn;
	const timespec safety = rel_ms(2000);  // a lost wake must not hang the sample
	for (uint64_t r = 0; r < sh.rounds; r++) {
		uint32_t v = w.load(std::memory_order_acquire);
		while (v != kStop && v % 2 != static_cast<uint32_t>(s)) {
			futex_wait(me.tally, &w, v, &safety);
			const int n = current_node();
			if (n != me.node)
				fail(me, "returned from FUTEX_WAIT", n);
			v = w.load(std::memory_order_acquire);
		}
		if (v == kStop)
			break;
		const bool stop = s == 0 && now_ns() > sh.deadline;
		w.store(stop ? kStop : v + 1, std::memory_order_release);
		const int n0 = current_node();
		const long woke = futex_wake(me.tally, &w, 1);
		const int n1 = current_node();
		if (n0 != me.node || n1 != me.node)
			fail(me, "called FUTEX_WAKE", n0 != me.node ? n0 : n1);
		if (woke > 0) {
			me.wakes[other.node] += static_cast<uint64_t>(woke);
			me.tally.record_wakers(&w, me.tid, other.tid, woke);
		}
		if (stop)
			break;
		me.acts++;
	}
}

void usage(const char *argv0, FILE *f)
{
	std::fprintf(f,
		     "usage: %s [--rounds N] [--budget-ms N] [--page-node N] [--node-a N] [--node-b N]\n"
		     "  Two threads pinned to CPUs of nodes A and B take turns on one futex word\n"
		     "  (FUTEX_WAIT_PRIVATE/FUTEX_WAKE_PRIVATE) whose page is bound to --page-node with\n"
		     "  mbind(2). Prints a FXS_TRUTH line with the futex calls it made and a \"numa\"\n"
		     "  object: the page's node (move_pages) and threads woken by (waker node, woken node).\n"
		     "  --rounds N     turns per thread (default 2000)\n"
		     "  --budget-ms N  stop early after N ms (default 1500)\n"
		     "  --page-node N  bind the futex word's page to node N (default 1)\n"
		     "  --node-a N     node of thread 0's CPU (default 0)\n"
		     "  --node-b N     node of thread 1's CPU (default 1)\n"
		     "  With a single NUMA node everything falls back to node 0 (note on stderr).\n",
		     argv0);
}

}  // namespace

int main(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; i++) {
		if (arg_u64(argc, argv, i, "--rounds", o.rounds) || arg_u64(argc, argv, i, "--budget-ms", o.budget_ms) ||
		    arg_u64(argc, argv, i, "--page-node", o.page_node) || arg_u64(argc, argv, i, "--node-a", o.node_a) ||
		    arg_u64(argc, argv, i, "--node-b", o.node_b))
			continue;
		if (arg_flag(argv, i, "--help") || arg_flag(argv, i, "-h")) {
			usage(argv[0], stdout);
			return 0;
		}
		std::fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
		usage(argv[0], stderr);
		return 2;
	}
	arm_watchdog(120);

	const std::vector<int> nodes = online_nodes();
	auto online = [&](uint64_t n) {
		for (int x : nodes)
			if (static_cast<uint64_t>(x) == n && !node_cpus(x).empty())
				return true;
		return false;
	};
	const int nr_nodes = nodes.back() + 1;
	if (nr_nodes > kMaxNodes) {
		std::fprintf(stderr, "fxs-sample-numa: more than %d nodes\n", kMaxNodes);
		return 2;
	}
	for (uint64_t *n : {&o.page_node, &o.node_a, &o.node_b}) {
		if (!online(*n)) {
			std::fprintf(stderr, "fxs-sample-numa: note: node %" PRIu64 " is not online (or has no CPU), using node %d\n",
				     *n, nodes.front());
			*n = static_cast<uint64_t>(nodes.front());
		}
	}

	// The futex word, alone at the start of a page bound to --page-node before
	// it is first touched.
	const size_t page = static_cast<size_t>(getpagesize());
	void *mem = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		std::perror("fxs-sample-numa: mmap");
		return 1;
	}
	unsigned long mask[kMaxNodes / (8 * sizeof(unsigned long)) + 1] = {};
	mask[o.page_node / (8 * sizeof(unsigned long))] |= 1ul << (o.page_node % (8 * sizeof(unsigned long)));
	if (syscall(SYS_mbind, mem, page, kMpolBind, mask, sizeof(mask) * 8, kMpolMfStrict | kMpolMfMove) != 0) {
		if (errno == ENOSYS)  // kernel without CONFIG_NUMA: one node anyway
			std::fprintf(stderr, "fxs-sample-numa: note: mbind: ENOSYS (no NUMA support)\n");
		else {
			std::fprintf(stderr, "fxs-sample-numa: mbind to node %" PRIu64 ": %s\n", o.page_node,
				     std::strerror(errno));
			return 1;
		}
	}
	std::memset(mem, 0, page);
	Shared sh;
	sh.turn = new (mem) Word(0);
	sh.rounds = o.rounds;
	sh.side[0].node = static_cast<int>(o.node_a);
	sh.side[1].node = static_cast<int>(o.node_b);
	sh.side[0].cpu = node_cpus(sh.side[0].node).front();
	// Two different CPUs even if both threads are on one node.
	const std::vector<int> cpus_b = node_cpus(sh.side[1].node);
	sh.side[1].cpu = cpus_b.size() > 1 && cpus_b.front() == sh.side[0].cpu ? cpus_b[1] : cpus_b.front();
	const int node_before = page_node_of(sh.turn);

	const uint64_t t0 = now_ns();
	sh.deadline = t0 + o.budget_ms * 1000000ull;
	std::thread a(turn_taker, std::ref(sh), 0);
	std::thread b(turn_taker, std::ref(sh), 1);
	a.join();
	b.join();
	const uint64_t elapsed = now_ns() - t0;
	const int node_after = page_node_of(sh.turn);

	// Merged after the joins, so that no lock of our own adds futex calls.
	Tally total;
	uint64_t matrix[kMaxNodes][kMaxNodes] = {};
	uint64_t cross = 0, woken_sum = 0;
	for (const Side &s : sh.side) {
		total.merge(s.tally);
		for (int n = 0; n < nr_nodes; n++) {
			matrix[s.node][n] += s.wakes[n];
			woken_sum += s.wakes[n];
			if (n != s.node)
				cross += s.wakes[n];
		}
	}
	const Counts *c = total.find(sh.turn);

	std::printf("fxs-sample-numa: %d online node(s); thread 0 on CPU %d (node %d), thread 1 on CPU %d (node %d)\n",
		    static_cast<int>(nodes.size()), sh.side[0].cpu, sh.side[0].node, sh.side[1].cpu, sh.side[1].node);
	std::printf("fxs-sample-numa: word %p: page on node %d (asked for %" PRIu64 "; %d before the run)\n",
		    static_cast<void *>(sh.turn), node_after, o.page_node, node_before);
	std::printf("fxs-sample-numa: %" PRIu64 "/%" PRIu64 " turns of %" PRIu64 ", %" PRIu64
		    " FUTEX_WAIT (%" PRIu64 " slept, %" PRIu64 " EAGAIN), %" PRIu64 " FUTEX_WAKE (%" PRIu64
		    " woken, %" PRIu64 " across nodes), %.3f ms\n",
		    sh.side[0].acts, sh.side[1].acts, o.rounds, c ? c->ops[kFutexWait] : 0, c ? c->waits : 0,
		    c ? c->eagain : 0, c ? c->ops[kFutexWake] : 0, c ? c->woken : 0, cross, elapsed / 1e6);

	std::string numa = ",\"numa\":{\"nodes\":" + std::to_string(nr_nodes) +
			   ",\"page_node\":" + std::to_string(node_after) + ",\"thread_nodes\":[" +
			   std::to_string(sh.side[0].node) + "," + std::to_string(sh.side[1].node) +
			   "],\"thread_cpus\":[" + std::to_string(sh.side[0].cpu) + "," +
			   std::to_string(sh.side[1].cpu) + "],\"cross_node_wakes\":" + std::to_string(cross) +
			   ",\"wakes_by_node\":[";
	for (int i = 0; i < nr_nodes; i++) {
		numa += i ? ",[" : "[";
		for (int j = 0; j < nr_nodes; j++)
			numa += (j ? "," : "") + std::to_string(matrix[i][j]);
		numa += "]";
	}
	numa += "]}";
	std::string line = truth_json(total, elapsed, total.syscalls);
	line.insert(line.size() - 1, numa);  // before the closing brace
	line = "FXS_TRUTH " + line + "\n";
	std::fflush(stdout);
	std::fflush(stderr);
	for (size_t off = 0; off < line.size();) {
		const ssize_t n = write(STDOUT_FILENO, line.data() + off, line.size() - off);
		if (n <= 0)
			break;
		off += static_cast<size_t>(n);
	}

	int rc = 0;
	for (const Side &s : sh.side) {
		if (!s.error.empty()) {
			std::fprintf(stderr, "fxs-sample-numa: %s\n", s.error.c_str());
			rc = 1;
		}
	}
	if (nodes.size() > 1 && node_after != static_cast<int>(o.page_node)) {
		std::fprintf(stderr, "fxs-sample-numa: the word's page is on node %d, not on node %" PRIu64 "\n",
			     node_after, o.page_node);
		rc = 1;
	}
	if (c && woken_sum != c->woken) {
		std::fprintf(stderr, "fxs-sample-numa: internal: %" PRIu64 " wakes by node, %" PRIu64 " woken\n",
			     woken_sum, c->woken);
		rc = 1;
	}
	return rc;
}
