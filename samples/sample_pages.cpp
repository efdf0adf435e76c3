// fxs-sample-pages: one FUTEX_WAKE_PRIVATE (nobody waits: returns 0 at once)
// on the first word of each of N distinct pages of a mapping it never touches,
// then asks move_pages(2) about those N pages itself and prints
//   FXS_TRUTH_PAGES {"pid":P,"pages":N,"first":"0x...","page_size":S,"answers":{"-2":N,...}}
// (answers: how many pages got each answer, a node or -errno), and lingers
// (--linger-ms) so the recorder asks about the last pages while it lives.
// Many futex pages per process, cheaply: for the page-node resolver's cap.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "ground_truth.h"

namespace {

void usage(const char *argv0, FILE *f)
{
	std::fprintf(f,
		     "usage: %s [--pages N] [--linger-ms N]\n"
		     "  FUTEX_WAKE_PRIVATE on the first word of N distinct untouched pages, then\n"
		     "  prints FXS_TRUTH_PAGES with move_pages' own answers for them.\n"
		     "  --pages N      pages (default 1000)\n"
		     "  --linger-ms N  stay alive this long after the last call (default 500)\n",
		     argv0);
}

}  // namespace

int main(int argc, char **argv)
{
	using namespace fxs_sample;
	arm_watchdog(120);
	uint64_t pages = 1000, linger_ms = 500;
	for (int i = 1; i < argc; i++) {
		if (arg_u64(argc, argv, i, "--pages", pages) || arg_u64(argc, argv, i, "--linger-ms", linger_ms))
			continue;
		if (arg_flag(argv, i, "--help")) {
			usage(argv[0], stdout);
			return 0;
		}
		usage(argv[0], stderr);
		return 2;
	}
	const long ps = sysconf(_SC_PAGESIZE);
	// Never touched: no memory is used, the futex keys need none (private).
	char *mem = static_cast<char *>(
		mmap(nullptr, pages * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
	if (mem == MAP_FAILED) {
		std::perror("fxs-sample-pages: mmap");
		return 1;
	}
	for (uint64_t i = 0; i < pages; i++) {
		if (syscall(SYS_futex, mem + i * ps, 1 | 128 /* FUTEX_WAKE_PRIVATE */, 1, nullptr, nullptr, 0) != 0) {
			std::perror("fxs-sample-pages: FUTEX_WAKE");
			return 1;
		}
		// A pause now and then: the recorder drains while it keeps up.
		if (i % 20000 == 19999)
			usleep(20000);
	}
	std::vector<void *> addrs(pages);
	std::vector<int> status(pages, 1);
	for (uint64_t i = 0; i < pages; i++)
		addrs[i] = mem + i * ps;
	if (syscall(SYS_move_pages, 0, pages, addrs.data(), nullptr, status.data(), 0) != 0) {
		std::perror("fxs-sample-pages: move_pages");
		return 1;
	}
	std::map<int, uint64_t> answers;
	for (int s : status)
		answers[s]++;
	std::string a;
	for (const auto &[s, n] : answers)
		a += (a.empty() ? "\"" : ",\"") + std::to_string(s) + "\":" + std::to_string(n);
	std::printf("FXS_TRUTH_PAGES {\"pid\":%d,\"pages\":%" PRIu64 ",\"first\":\"%p\",\"page_size\":%ld,\"answers\":{%s}}\n",
		    int(getpid()), pages, static_cast<void *>(mem), ps, a.c_str());
	std::fflush(stdout);
	usleep(linger_ms * 1000);
	return 0;
}
