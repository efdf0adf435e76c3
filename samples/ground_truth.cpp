// ground_truth.cpp: counting wrappers and the FXS_TRUTH printer (see ground_truth.h).
#include "ground_truth.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fxs_sample {

const char *op_name(int opi)
{
	static const char *const names[kNrOps] = {
		"FUTEX_WAIT",        "FUTEX_WAKE",        "FUTEX_FD",
		"FUTEX_REQUEUE",     "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
		"FUTEX_LOCK_PI",     "FUTEX_UNLOCK_PI",   "FUTEX_TRYLOCK_PI",
		"FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
		"FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2",
		"futex_waitv",       "futex_wait",        "futex_wake",
		"futex_requeue",
	};
	return opi >= 0 && opi < kNrOps ? names[opi] : "UNKNOWN";
}

void Counts::add(const Counts &o)
{
	for (int i = 0; i < kNrOps; i++)
		ops[i] += o.ops[i];
	waits += o.waits;
	eagain += o.eagain;
	timeouts += o.timeouts;
	interrupted += o.interrupted;
	woken += o.woken;
	requeued += o.requeued;
	for (const auto &[k, n] : o.wakers)
		wakers[k] += n;
	for (const auto &[k, n] : o.herd_sizes)
		herd_sizes[k] += n;
	empty_wakes += o.empty_wakes;
	slept += o.slept;
	slept_known = slept_known || o.slept_known;
	woken_waits += o.woken_waits;
	futile += o.futile;
	woken_known = woken_known || o.woken_known;
	if (kind.empty())
		kind = o.kind;
}

void Tally::set_kind(const void *uaddr, const char *kind)
{
	at(uaddr).kind = kind;
}

void Tally::record_woken_wait(const void *uaddr, bool futile)
{
	Counts &c = at(uaddr);
	c.woken_known = true;
	c.woken_waits++;
	c.futile += futile ? 1 : 0;
}

void Tally::record_slept(const void *uaddr, bool slept)
{
	Counts &c = at(uaddr);
	c.slept_known = true;
	c.slept += slept ? 1 : 0;
}

void Tally::record_wakers(const void *uaddr, pid_t waker, pid_t waiter, long n)
{
	if (n > 0) // a failed wake (-errno) woke nobody
		at(uaddr).wakers[{waker, waiter}] += static_cast<uint64_t>(n);
}

// ---- Tally -------------------------------------------------------------------

Counts &Tally::at(const void *uaddr)
{
	const auto a = reinterpret_cast<uintptr_t>(uaddr);
	if (last_ < words_.size() && words_[last_].first == a)
		return words_[last_].second;
	for (size_t i = 0; i < words_.size(); i++) {
		if (words_[i].first == a) {
			last_ = i;
			return words_[i].second;
		}
	}
	words_.emplace_back(a, Counts{});
	last_ = words_.size() - 1;
	return words_.back().second;
}

const Counts *Tally::find(const void *uaddr) const
{
	const auto a = reinterpret_cast<uintptr_t>(uaddr);
	for (const auto &w : words_)
		if (w.first == a)
			return &w.second;
	return nullptr;
}

void Tally::merge(const Tally &o)
{
	syscalls += o.syscalls;
	for (const auto &w : o.words_)
		at(reinterpret_cast<const void *>(w.first)).add(w.second);
}

void Tally::wait_outcome(Counts &c, long ret)
{
	if (ret >= 0 || ret == -ETIMEDOUT || ret == -EINTR)
		c.waits++;
	if (ret == -EAGAIN)
		c.eagain++;
	if (ret == -ETIMEDOUT)
		c.timeouts++;
	if (ret == -EINTR)
		c.interrupted++;
}

// Herd size of one wake-type call that succeeded: the waiters it woke.
static void count_herd(Counts &c, uint64_t woken, long ret)
{
	if (ret < 0)
		return;
	if (woken)
		c.herd_sizes[woken]++;
	else
		c.empty_wakes++;
}

void Tally::requeue_outcome(Counts &c, uint64_t nr_wake, long ret)
{
	count_herd(c, ret > 0 ? std::min(static_cast<uint64_t>(ret), nr_wake) : 0, ret);
	if (ret <= 0)
		return;
	const uint64_t r = static_cast<uint64_t>(ret);
	const uint64_t w = std::min(r, nr_wake);
	c.woken += w;
	c.requeued += r - w;
}

void Tally::record_futex(const void *uaddr, int op, uint32_t val, uintptr_t /*val2*/,
			 const void *uaddr2, long ret)
{
	const int cmd = op & kFutexCmdMask;
	if (cmd >= kOpFutex2Waitv) {
		// Not a futex(2) command this sample knows; never issued by the samples.
		std::fprintf(stderr, "fxs-sample: internal error: futex cmd %d\n", cmd);
		std::abort();
	}
	syscalls++;
	switch (cmd) {
	case kFutexRequeue:
	case kFutexCmpRequeue:
	case kFutexWakeOp:
	case kFutexWaitRequeuePi:
	case kFutexCmpRequeuePi:
		at(uaddr2).ops[cmd]++;  // before at(uaddr): at() may grow the vector
		break;
	default:
		break;
	}
	Counts &c = at(uaddr);
	c.ops[cmd]++;
	switch (cmd) {
	case kFutexWait:
	case kFutexWaitBitset:
	case kFutexWaitRequeuePi:
	case kFutexLockPi:
	case kFutexLockPi2:
		wait_outcome(c, ret);
		break;
	case kFutexWake:
	case kFutexWakeBitset:
	case kFutexWakeOp:
		count_herd(c, ret > 0 ? static_cast<uint64_t>(ret) : 0, ret);
		if (ret > 0)
			c.woken += static_cast<uint64_t>(ret);
		break;
	case kFutexRequeue:
	case kFutexCmpRequeue:
		requeue_outcome(c, val, ret);
		break;
	default:
		break;
	}
}

void Tally::record_waitv(const FutexWaitv *v, unsigned nr, long ret)
{
	if (ret == -ENOSYS)
		return;
	syscalls++;
	for (unsigned i = 0; i < nr; i++) {
		Counts &c = at(reinterpret_cast<const void *>(static_cast<uintptr_t>(v[i].uaddr)));
		c.ops[kOpFutex2Waitv]++;
		wait_outcome(c, ret);
	}
}

void Tally::record_wait2(const void *uaddr, long ret)
{
	if (ret == -ENOSYS)
		return;
	syscalls++;
	Counts &c = at(uaddr);
	c.ops[kOpFutex2Wait]++;
	wait_outcome(c, ret);
}

void Tally::record_wake2(const void *uaddr, long ret)
{
	if (ret == -ENOSYS)
		return;
	syscalls++;
	Counts &c = at(uaddr);
	c.ops[kOpFutex2Wake]++;
	count_herd(c, ret > 0 ? static_cast<uint64_t>(ret) : 0, ret);
	if (ret > 0)
		c.woken += static_cast<uint64_t>(ret);
}

void Tally::record_requeue2(const FutexWaitv *v, int nr_wake, long ret)
{
	if (ret == -ENOSYS)
		return;
	syscalls++;
	at(reinterpret_cast<const void *>(static_cast<uintptr_t>(v[1].uaddr))).ops[kOpFutex2Requeue]++;
	Counts &c = at(reinterpret_cast<const void *>(static_cast<uintptr_t>(v[0].uaddr)));
	c.ops[kOpFutex2Requeue]++;
	requeue_outcome(c, nr_wake > 0 ? static_cast<uint64_t>(nr_wake) : 0, ret);
}

void TruthCollector::merge(const Tally &t)
{
	std::lock_guard<std::mutex> g(mu_);
	total_.merge(t);
}

Tally TruthCollector::total() const
{
	std::lock_guard<std::mutex> g(mu_);
	return total_;
}

// ---- System call wrappers ------------------------------------------------------

static inline long raw(long r)
{
	return r < 0 ? -static_cast<long>(errno) : r;
}

long futex(Tally &t, Word *uaddr, int op, uint32_t val, uintptr_t val2, Word *uaddr2, uint32_t val3)
{
	const long r = raw(syscall(kNrFutex, uaddr, op, val, val2, uaddr2, val3));
	const int saved = errno;
	t.record_futex(uaddr, op, val, val2, uaddr2, r);
	errno = saved;
	return r;
}

long futex_wait(Tally &t, Word *uaddr, uint32_t val, const timespec *rel_timeout, int flags)
{
	return futex(t, uaddr, kFutexWait | flags, val, reinterpret_cast<uintptr_t>(rel_timeout), nullptr, 0);
}

long futex_wake(Tally &t, Word *uaddr, int nr, int flags)
{
	return futex(t, uaddr, kFutexWake | flags, static_cast<uint32_t>(nr), 0, nullptr, 0);
}

long futex_wait_bitset(Tally &t, Word *uaddr, uint32_t val, const timespec *abs_timeout,
		       uint32_t bitset, int flags)
{
	return futex(t, uaddr, kFutexWaitBitset | flags, val, reinterpret_cast<uintptr_t>(abs_timeout),
		     nullptr, bitset);
}

long futex_wake_bitset(Tally &t, Word *uaddr, int nr, uint32_t bitset, int flags)
{
	return futex(t, uaddr, kFutexWakeBitset | flags, static_cast<uint32_t>(nr), 0, nullptr, bitset);
}

long futex_cmp_requeue(Tally &t, Word *uaddr, int nr_wake, int nr_requeue, Word *uaddr2,
		       uint32_t cmpval, int flags)
{
	return futex(t, uaddr, kFutexCmpRequeue | flags, static_cast<uint32_t>(nr_wake),
		     static_cast<uintptr_t>(nr_requeue), uaddr2, cmpval);
}

long futex_requeue(Tally &t, Word *uaddr, int nr_wake, int nr_requeue, Word *uaddr2, int flags)
{
	return futex(t, uaddr, kFutexRequeue | flags, static_cast<uint32_t>(nr_wake),
		     static_cast<uintptr_t>(nr_requeue), uaddr2, 0);
}

long futex_wake_op(Tally &t, Word *uaddr, int nr_wake, int nr_wake2, Word *uaddr2, uint32_t op,
		   int flags)
{
	return futex(t, uaddr, kFutexWakeOp | flags, static_cast<uint32_t>(nr_wake),
		     static_cast<uintptr_t>(nr_wake2), uaddr2, op);
}

long sys_futex_waitv(Tally &t, FutexWaitv *v, unsigned nr, const timespec *abs_timeout, clockid_t clockid)
{
	const long r = raw(syscall(kNrFutexWaitv, v, nr, 0u, abs_timeout, clockid));
	const int saved = errno;
	t.record_waitv(v, nr, r);
	errno = saved;
	return r;
}

long sys_futex_wait(Tally &t, Word *uaddr, uint32_t val, uint64_t mask, uint32_t flags,
		    const timespec *abs_timeout, clockid_t clockid)
{
	const long r = raw(syscall(kNrFutexWait, uaddr, static_cast<unsigned long>(val),
				   static_cast<unsigned long>(mask), flags, abs_timeout, clockid));
	const int saved = errno;
	t.record_wait2(uaddr, r);
	errno = saved;
	return r;
}

long sys_futex_wake(Tally &t, Word *uaddr, uint64_t mask, int nr, uint32_t flags)
{
	const long r = raw(syscall(kNrFutexWake, uaddr, static_cast<unsigned long>(mask), nr, flags));
	const int saved = errno;
	t.record_wake2(uaddr, r);
	errno = saved;
	return r;
}

long sys_futex_requeue(Tally &t, FutexWaitv *v, int nr_wake, int nr_requeue)
{
	const long r = raw(syscall(kNrFutexRequeue, v, 0u, nr_wake, nr_requeue));
	const int saved = errno;
	t.record_requeue2(v, nr_wake, r);
	errno = saved;
	return r;
}

// ---- Helpers ------------------------------------------------------------------

long thread_nvcsw()
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nvcsw : 0;
}

pid_t gettid_()
{
	return static_cast<pid_t>(syscall(SYS_gettid));
}

uint64_t now_ns(clockid_t clk)
{
	timespec ts;
	clock_gettime(clk, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

timespec ns_to_ts(uint64_t ns)
{
	timespec ts;
	ts.tv_sec = static_cast<time_t>(ns / 1000000000ull);
	ts.tv_nsec = static_cast<long>(ns % 1000000000ull);
	return ts;
}

timespec deadline_ms(uint64_t ms, clockid_t clk)
{
	return ns_to_ts(now_ns(clk) + ms * 1000000ull);
}

timespec rel_ms(uint64_t ms)
{
	return ns_to_ts(ms * 1000000ull);
}

void sleep_us(uint64_t us)
{
	timespec ts = ns_to_ts(us * 1000ull);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

bool wait_blocked_in(pid_t tid, long nr, uintptr_t arg0, unsigned timeout_ms)
{
	char path[64];
	std::snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", static_cast<int>(tid));
	const uint64_t end = now_ns() + static_cast<uint64_t>(timeout_ms) * 1000000ull;
	do {
		const int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		char buf[256];
		const ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			char *end_p = nullptr;
			const long sc = std::strtol(buf, &end_p, 10);
			if (end_p != buf && sc == nr) {
				const uintptr_t a0 = static_cast<uintptr_t>(std::strtoull(end_p, nullptr, 16));
				if (arg0 == 0 || a0 == arg0)
					return true;
			}
		}
		sleep_us(50);
	} while (now_ns() < end);
	return false;
}

// ---- Output -------------------------------------------------------------------

std::string truth_json(const Tally &total, uint64_t elapsed_ns, uint64_t rate_ops)
{
	std::vector<std::pair<uintptr_t, Counts>> words = total.words();
	std::sort(words.begin(), words.end(),
		  [](const auto &a, const auto &b) { return a.first < b.first; });
	std::string s;
	char buf[160];
	std::snprintf(buf, sizeof(buf), "{\"pid\":%d,\"futexes\":[", static_cast<int>(getpid()));
	s += buf;
	bool first_word = true;
	for (const auto &[addr, c] : words) {
		uint64_t nops = 0;
		for (uint64_t n : c.ops)
			nops += n;
		if (nops == 0)
			continue;
		if (!first_word)
			s += ',';
		first_word = false;
		std::snprintf(buf, sizeof(buf), "{\"uaddr\":\"0x%" PRIxPTR "\",\"ops\":{", addr);
		s += buf;
		bool first_op = true;
		for (int i = 0; i < kNrOps; i++) {
			if (c.ops[i] == 0)
				continue;
			std::snprintf(buf, sizeof(buf), "%s\"%s\":%" PRIu64, first_op ? "" : ",", op_name(i), c.ops[i]);
			s += buf;
			first_op = false;
		}
		std::snprintf(buf, sizeof(buf),
			      "},\"waits\":%" PRIu64 ",\"eagain\":%" PRIu64 ",\"timeouts\":%" PRIu64
			      ",\"interrupted\":%" PRIu64 ",\"woken\":%" PRIu64 ",\"requeued\":%" PRIu64,
			      c.waits, c.eagain, c.timeouts, c.interrupted, c.woken, c.requeued);
		s += buf;
		s += ",\"herd_sizes\":{";
		bool first_herd = true;
		for (const auto &[size, calls] : c.herd_sizes) {
			std::snprintf(buf, sizeof(buf), "%s\"%" PRIu64 "\":%" PRIu64, first_herd ? "" : ",",
				      size, calls);
			s += buf;
			first_herd = false;
		}
		std::snprintf(buf, sizeof(buf), "},\"empty_wakes\":%" PRIu64, c.empty_wakes);
		s += buf;
		if (c.slept_known) {
			std::snprintf(buf, sizeof(buf), ",\"slept\":%" PRIu64, c.slept);
			s += buf;
		}
		if (!c.kind.empty()) {
			s += ",\"kind\":\"";
			s += c.kind;
			s += '"';
		}
		if (c.woken_known) {
			std::snprintf(buf, sizeof(buf), ",\"futile_wakeups\":{\"woken_waits\":%" PRIu64 ",\"futile\":%" PRIu64 "}",
				      c.woken_waits, c.futile);
			s += buf;
		}
		if (!c.wakers.empty()) {
			s += ",\"wakers\":[";
			bool first_edge = true;
			for (const auto &[k, n] : c.wakers) {
				std::snprintf(buf, sizeof(buf),
					      "%s{\"waker_tid\":%d,\"waiter_tid\":%d,\"count\":%" PRIu64 "}",
					      first_edge ? "" : ",", static_cast<int>(k.first),
					      static_cast<int>(k.second), n);
				s += buf;
				first_edge = false;
			}
			s += ']';
		}
		s += '}';
	}
	const uint64_t rate = elapsed_ns
		? static_cast<uint64_t>(static_cast<unsigned __int128>(rate_ops) * 1000000000u / elapsed_ns)
		: 0;
	std::snprintf(buf, sizeof(buf), "],\"elapsed_ns\":%" PRIu64 ",\"ops_per_sec\":%" PRIu64 "}",
		      elapsed_ns, rate);
	s += buf;
	return s;
}

void print_truth(const Tally &total, uint64_t elapsed_ns, uint64_t rate_ops)
{
	std::string line = "FXS_TRUTH " + truth_json(total, elapsed_ns, rate_ops) + "\n";
	std::fflush(stdout);
	std::fflush(stderr);
	const char *p = line.data();
	size_t left = line.size();
	while (left > 0) {
		const ssize_t n = write(STDOUT_FILENO, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			std::perror("write FXS_TRUTH");
			std::exit(1);
		}
		p += n;
		left -= static_cast<size_t>(n);
	}
}

void print_truth(const Tally &total, uint64_t elapsed_ns)
{
	print_truth(total, elapsed_ns, total.syscalls);
}

// ---- argv and watchdog -----------------------------------------------------------

bool arg_u64(int argc, char **argv, int &i, const char *name, uint64_t &out)
{
	const size_t len = std::strlen(name);
	const char *a = argv[i];
	const char *val = nullptr;
	if (std::strcmp(a, name) == 0) {
		if (i + 1 >= argc) {
			std::fprintf(stderr, "%s: %s needs a value\n", argv[0], name);
			std::exit(2);
		}
		val = argv[++i];
	} else if (std::strncmp(a, name, len) == 0 && a[len] == '=') {
		val = a + len + 1;
	} else {
		return false;
	}
	char *end = nullptr;
	errno = 0;
	const unsigned long long v = std::strtoull(val, &end, 0);
	if (errno || end == val || *end != '\0' || val[0] == '-') {
		std::fprintf(stderr, "%s: bad value for %s: '%s'\n", argv[0], name, val);
		std::exit(2);
	}
	out = v;
	return true;
}

bool arg_flag(char **argv, int i, const char *name)
{
	return std::strcmp(argv[i], name) == 0;
}

static void watchdog_fired(int)
{
	static const char msg[] = "fxs-sample: watchdog: workload did not finish in time, aborting\n";
	ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)ignored;
	_exit(3);
}

void arm_watchdog(unsigned seconds)
{
	struct sigaction sa;
	std::memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_fired;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, nullptr);
	alarm(seconds);
}

}  // namespace fxs_sample
