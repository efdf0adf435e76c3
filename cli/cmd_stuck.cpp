// `futexscope stuck -p PID`: one look at a process, no recording: every thread
// blocked in a futex call, the lock's holder where the lock says, chains and
// deadlocks, with stacks. pstack for locks.
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <nlohmann/json.hpp>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "collector/stack_symbolizer.h"
#include "collector/thread_snapshot.h"
#include "replay/blocked_report.h"

namespace fxs {
namespace {

constexpr const char* kHelp = R"HELP(usage: futexscope stuck -p PID [--format text|json] [--no-stacks] [--fail-on-deadlock]

Looks once at every thread of a running process, without recording and
without stopping it: which futex each blocked thread waits on, who holds that
lock (read from the lock itself: PI futexes and glibc mutexes; otherwise
"holder unknown"), the chains of holders that are themselves stuck, and every
deadlock (a cycle of threads waiting on each other), with kernel and user
stacks. Needs root (or ptrace rights over PID) to read its memory and stacks.
Each blocked thread is stopped for a moment (ptrace) to read its frame
pointer, which /proc does not give, so that its user stack walks through code
built with frame pointers; its blocked call restarts when it is let go, as
after a signal (--no-stacks: nothing is stopped, except a thread glibc parked
after the kernel refused it a PI lock, to learn which lock it wanted).

options:
  -p, --pid PID         the process to look at
  -f, --format FMT      text (default) or json: {"pid", "threads", "blocked",
                        "deadlocks", "chains"} as in `report --format json`
  --no-stacks           skip the stacks (faster on processes with many threads)
  --fail-on-deadlock    exit with status 3 when a deadlock is found

examples:
  sudo futexscope stuck -p 1234
  sudo futexscope stuck -p "$(pidof myserver)" --format json | jq .deadlocks
  sudo futexscope stuck -p 1234 --fail-on-deadlock || echo "deadlocked (or error)"

exit status: 0 looked (deadlocked or not, unless --fail-on-deadlock), 1 error,
2 usage, 3 deadlock found with --fail-on-deadlock.
)HELP";

constexpr int kDeadlockStatus = 3;

}  // namespace

int cmd_stuck(int argc, char** argv) {
  long pid = -1;
  bool json = false, stacks = true, fail_on_deadlock = false;
  std::string v;
  ArgParser p(argc, argv, 1);
  while (!p.done()) {
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.option({"--pid", "-p"}, v)) {
      char* end = nullptr;
      pid = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || pid <= 0) return usage_error("stuck", "-p wants a process id, not '" + v + "'");
    } else if (p.option({"--format", "-f"}, v)) {
      if (v == "json") json = true;
      else if (v != "text") return usage_error("stuck", "unknown format '" + v + "' (text or json)");
    } else if (p.flag({"--no-stacks"})) {
      stacks = false;
    } else if (p.flag({"--fail-on-deadlock"})) {
      fail_on_deadlock = true;
    } else {
      return usage_error("stuck", "unexpected argument '" + p.peek() + "'");
    }
    if (!p.error().empty()) return usage_error("stuck", p.error());
  }
  if (pid <= 0) return usage_error("stuck", "which process? give -p PID");

  StackSymbolizer symbolizer(-1);
  auto threads = snapshot_threads(pid_t(pid), stacks ? &symbolizer : nullptr, /*stop_for_frame_pointer=*/stacks);
  if (!threads.ok()) {
    std::fprintf(stderr, "futexscope stuck: %s\n", threads.message().c_str());
    return 1;
  }
  const WaitForGraph g = analyze_wait_for(*threads);
  std::ostringstream out;
  if (json) {
    nlohmann::json j = wait_for_json(g, *threads);
    j["pid"] = pid;
    j["threads"] = threads->size();
    j["blocked"] = blocked_json(*threads);
    out << j.dump(2) << '\n';
  } else {
    out << "futexscope stuck: pid " << pid << ", " << threads->size() << " threads\n\n";
    write_wait_for_text(g, *threads, out);
    write_blocked_text(*threads, g, out);
  }
  const std::string text = out.str();
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    std::perror("futexscope stuck: write");
    return 1;
  }
  return fail_on_deadlock && !g.deadlocks.empty() ? kDeadlockStatus : 0;
}

}  // namespace fxs
