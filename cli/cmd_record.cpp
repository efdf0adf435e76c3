// `futexscope record`: option parsing; the work is in collector/recorder.cpp.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "cli/stream_socket.h"
#include "cli/units.h"
#include "collector/recorder.h"

namespace fxs {
namespace {

constexpr const char* kHelp = R"HELP(usage: futexscope record [-o FILE] [--summary] [-p PID] [--min-wait DUR]
                         [--duration DUR] [--ring-size SIZE] [--max-futexes N]
                         [--stack-min-wait DUR] [--stack-sample N] [--no-stacks] [--each-call]
                         [--serve ADDR] [-q] [-v]
                         [-- COMMAND [ARGS...]]

Records every futex(2), futex_wait, futex_wake, futex_requeue and futex_waitv
call into a trace file. Needs root (or CAP_BPF + CAP_PERFMON).

  -o, --output FILE    trace file to write (default: futexscope.fxs)
  --summary            aggregate per futex in the kernel, no per-event stream:
                       the lowest overhead; `report` reads it the same way
  -p, --pid PID        trace this process (all its threads, also later ones)
  -- COMMAND ARGS      start COMMAND, trace it and its children, stop when it
                       exits and exit with its status
  --min-wait DUR       per-event mode: do not record waits shorter than DUR
                       (they are counted as "filtered")
  --duration DUR       stop after DUR (e.g. 500ms, 10s, 2m); a command still running
                       then (a hung one) is left running, and its PID said
  --ring-size SIZE     BPF ring buffer size per CPU (a power of two; default:
                       64M split over the CPUs, at least 4M each)
  --max-futexes N      --summary: in-kernel map size (default 65536)
  --stack-min-wait DUR capture the user and kernel call stacks of waits that
                       slept at least DUR (default 1ms; a stack walk costs
                       microseconds, so 0, every wait, slows contended locks
                       measurably). User stacks are unwound with DWARF through
                       code without frame pointers, such as glibc's
                       pthread_mutex_lock (FXS_NO_DWARF_STACKS=1: frame
                       pointers only)
  --stack-sample N     also take the stack of 1 in N of each thread's shorter waits
                       (the first among them; default 16; 0: none): a contended lock's
                       waits are mostly short. Each sampled stack weighs the waits
                       it stands for, so the stacks and flame graphs cover the
                       contention (`report` says how many waits are sampled);
                       the same for each thread's wake calls that woke anyone
                       (the waker stacks, `report --format folded --wakers`)
  --no-stacks          capture no stacks (no folded output)
  --each-call          per-event mode: one record for every call. By default
                       calls that did nothing (waits that returned EAGAIN,
                       the word had already changed: nearly every call of a
                       futex-heavy program; wakes that woke nobody) are
                       counted in the kernel per thread and word, exact
                       counts over spans of at most 20-40 ms between the
                       thread's other calls, which costs far less; readers
                       spread each count evenly over its span
  --serve ADDR         also stream the trace, as it is written, to every
                       `futexscope ui --connect ADDR` (ADDR: PORT or :PORT for
                       loopback, HOST:PORT, or a unix socket path, with a '/');
                       written out every 250 ms instead of every second. Says
                       where it listens on stderr (PORT 0: a free port)
  -q, --quiet          no progress or closing line
  -v, --verbose        also say what this kernel cannot capture (UMCG, which
                       no mainline kernel has; `futexscope probe` lists it all)
Without -p or COMMAND the whole system is traced. Ctrl-C stops cleanly.
DUR is a number with a unit: ns, us, ms, s, m or h (250ms, 10s, 2m; a bare
number is refused, except 0).

Per event it also records who woke whom (sched_waking/wakeup/switch), the
kernel hash bucket of every futex op (and, from lock:contention_begin/end,
spins on bucket locks inside traced calls), and the NUMA node of each futex
word's page (move_pages(2) queries: nothing moves; needs ptrace access to the
traced processes, which root has). The global hash table's size comes from the
kernel log (root) or the kernel's sizing rule.

examples:
  sudo futexscope record -- ./build/samples/fxs-sample-mutex
  sudo futexscope record -p "$(pidof myserver)" --duration 30s -o server.fxs
  sudo futexscope record --summary --duration 10s
)HELP";

bool is_power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

}  // namespace

int cmd_record(int argc, char** argv) {
  RecordOptions o;
  std::string serve;  // --serve ADDR
  ArgParser p(argc, argv, 1);
  std::string v;
  while (!p.done()) {
    if (p.at_command_separator()) {
      o.command = p.rest_after_separator();
      if (o.command.empty()) return usage_error("record", "no command after --");
      break;
    }
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.flag({"--summary"})) {
      o.summary = true;
    } else if (p.flag({"--no-stacks"})) {
      o.stacks = false;
    } else if (p.flag({"--each-call"})) {
      o.each_call = true;
    } else if (p.flag({"-q", "--quiet"})) {
      o.quiet = true;
    } else if (p.flag({"-v", "--verbose"})) {
      o.verbose = true;
    } else if (p.option({"-o", "--output"}, v)) {
      o.output = v;
    } else if (p.option({"--serve"}, serve)) {
    } else if (p.option({"-p", "--pid"}, v)) {
      char* end = nullptr;
      long pid = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || pid <= 0) return usage_error("record", "bad PID '" + v + "'");
      o.pid = int(pid);
    } else if (p.option({"--stack-min-wait"}, v)) {
      // (A missing value is p.error()'s, said below.)
      std::string bad =
          p.error().empty() ? parse_duration_option("--stack-min-wait", v, "1ms", true, o.stack_min_wait_ns) : "";
      if (!bad.empty()) return usage_error("record", bad);
    } else if (p.option({"--stack-sample"}, v)) {
      char* end = nullptr;
      long n = p.error().empty() ? std::strtol(v.c_str(), &end, 10) : 0;
      if (p.error().empty() && (v.empty() || *end || n < 0 || n > 255))
        return usage_error("record", "bad --stack-sample '" + v + "' (0..255)");
      o.stack_sample_every = uint32_t(n);
    } else if (p.option({"--min-wait"}, v)) {
      std::string bad =
          p.error().empty() ? parse_duration_option("--min-wait", v, "100us", true, o.min_wait_ns) : "";
      if (!bad.empty()) return usage_error("record", bad);
    } else if (p.option({"--duration"}, v)) {
      std::string bad =
          p.error().empty() ? parse_duration_option("--duration", v, "10s", false, o.duration_ns) : "";
      if (!bad.empty()) return usage_error("record", bad);
    } else if (p.option({"--ring-size"}, v)) {
      auto b = parse_size_bytes(v);
      if (!b || !is_power_of_two(*b) || *b < 4096 || *b > (1ull << 31))
        return usage_error("record", "bad --ring-size '" + v + "' (a power of two from 4K to 2G, e.g. 64M)");
      o.ring_bytes = uint32_t(*b);
    } else if (p.option({"--max-futexes"}, v)) {
      long n = std::strtol(v.c_str(), nullptr, 10);
      if (n <= 0) return usage_error("record", "bad --max-futexes '" + v + "'");
      o.agg_entries = uint32_t(n);
    } else if (p.is_option()) {
      return usage_error("record", "unknown option '" + p.peek() + "'");
    } else {
      return usage_error("record", "unexpected argument '" + p.peek() + "' (put the command after --)");
    }
    if (!p.error().empty()) return usage_error("record", p.error());
  }
  if (serve.empty()) return run_record(o);
  if (std::string bad = stream_address_problem(serve); !bad.empty())
    return usage_error("record", "--serve " + serve + ": " + bad);
  // --serve: the file is written as usual and served to `ui --connect`
  // clients while it grows (cli/stream_socket.h), flushed more often.
  o.flush_interval_ns = kWatchedFlushIntervalNs;
  auto server = StreamServer::start(serve, o.output);
  if (!server) {
    std::fprintf(stderr, "futexscope record: --serve %s: %s\n", serve.c_str(), server.message().c_str());
    return 1;
  }
  // Said even with -q: with PORT 0 nothing else tells where to connect.
  std::fprintf(stderr, "futexscope: serving the trace on %s (futexscope ui --connect %s)\n",
               (*server)->address().c_str(), (*server)->address().c_str());
  int status = run_record(o);
  (*server)->finish();
  return status;
}

}  // namespace fxs
