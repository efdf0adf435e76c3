// `futexscope report`: option parsing; the work is in replay/report.cpp.
#include <cstdio>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "cli/units.h"
#include "replay/report.h"

namespace fxs {
namespace {

constexpr int kDeadlockStatus = 3;  // as `stuck --fail-on-deadlock`

constexpr const char* kHelp = R"HELP(usage: futexscope report FILE [--format text|json|folded [--wakers]] [--top N] [--sort ORDER]
                         [--fail-on-deadlock] [--memory-limit SIZE]

Prints a recorded trace. If the recording ended with threads blocked (a hung
process), what is stuck comes first: deadlocks, then every blocked thread with
the lock's holder. Then the futexes, the most contended first, with per-op counts,
waits, EAGAIN, timeouts, interruptions, wakes and wait-time percentiles, who
woke whom, latency splits, kinds and stacks; then the hash buckets (collisions,
bucket-lock spins, per-process table advice), NUMA (wake matrix by node, page
nodes) and rseq sections. Dropped events are always shown. Reading needs no
root and no BPF.

  --format FMT   text (default, with wait-time histograms), json (docs/report-json.md),
                 or folded (user stacks of waits weighted by wait ns, for flame graphs)
  --wakers       with --format folded: the stacks of the calls that woke those
                 waits (FUTEX_WAKE, FUTEX_UNLOCK_PI, requeues), weighted by
                 waiters woken: where locks are released and conditions signalled
  --top N        show the first N futexes (in --sort order), and at most N
                 buckets, per-process hash-table lines and rseq sections
                 (text default 20, json default all; 0 = all)
  --fail-on-deadlock
                 exit with status 3 when the recording ended with a deadlock
                 (watchdogs, CI); the report is written all the same
  --sort ORDER   contention (default: time threads were blocked until another
                 thread's wake call released them, so joins, timed sleeps and
                 idle pools sink; ties by wait), wait (total wait time),
                 waits, wakes (waiters woken), name (process, pid, address)
  --memory-limit SIZE
                 most memory the report may take while reading (default: 32 times
                 the file's size, at least 1G, at most half of this machine's
                 memory); past half of it (finishing takes about as much
                 again) the report covers the records read so far, with a
                 warning, and reads on only for the recording's final loss
                 counters

examples:
  futexscope report futexscope.fxs
  futexscope report trace.fxs --format json | jq '.futexes[0]'
  futexscope report trace.fxs --format folded --wakers | flamegraph.pl > wakers.svg
)HELP";

}  // namespace

int cmd_report(int argc, char** argv) {
  ReportOptions o;
  std::string file, v;
  bool fail_on_deadlock = false;
  ArgParser p(argc, argv, 1);
  while (!p.done()) {
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.option({"--format", "-f"}, v)) {
      if (v == "text") o.format = ReportOptions::Format::kText;
      else if (v == "json") o.format = ReportOptions::Format::kJson;
      else if (v == "folded") o.format = ReportOptions::Format::kFolded;
      else return usage_error("report", "unknown format '" + v + "' (text, json or folded)");
    } else if (p.flag({"--wakers"})) {
      o.wakers = true;
    } else if (p.flag({"--fail-on-deadlock"})) {
      fail_on_deadlock = true;
    } else if (p.option({"--sort"}, v)) {
      auto sort = p.error().empty() ? parse_sort(v) : std::nullopt;
      if (p.error().empty() && !sort)
        return usage_error("report", "unknown --sort '" + v + "' (contention, wait, waits, wakes or name)");
      if (sort) o.sort = *sort;
    } else if (p.option({"--top", "-n"}, v)) {
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0) return usage_error("report", "bad --top '" + v + "'");
      o.top = size_t(n);
    } else if (p.option({"--memory-limit"}, v)) {
      if (std::string bad = p.error().empty() ? parse_memory_limit(v, o.memory_limit) : ""; !bad.empty())
        return usage_error("report", bad);
    } else if (p.is_option()) {
      return usage_error("report", "unknown option '" + p.peek() + "'");
    } else if (file.empty()) {
      file = p.take();
    } else {
      return usage_error("report", "more than one trace file given");
    }
    if (!p.error().empty()) return usage_error("report", p.error());
  }
  if (file.empty()) return usage_error("report", "no trace file given");
  if (o.wakers && o.format != ReportOptions::Format::kFolded)
    return usage_error("report", "--wakers goes with --format folded (JSON has waker_stacks per futex)");
  errno = 0;
  size_t deadlocks = 0;
  Status st = write_report(file, o, std::cout, std::cerr, &deadlocks);
  std::cout.flush();
  // A full disk or a closed file is an error; a reader that stopped early
  // (`report ... | head`) is not.
  if (!std::cout && errno != EPIPE) {
    const int err = errno;
    std::fprintf(stderr, "futexscope report: write to stdout: %s\n",
                 err ? std::strerror(err) : "the output stream failed");
    return 1;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "futexscope: %s\n", st.message().c_str());
    return 1;
  }
  return fail_on_deadlock && deadlocks ? kDeadlockStatus : 0;
}

}  // namespace fxs
