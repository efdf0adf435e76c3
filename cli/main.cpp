// futexscope: the command-line dispatcher. It only wires the subcommands
// (cli/cmd_*.cpp) to the libraries below it.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage = R"HELP(futexscope: see who waits on which futex, for how long, and who woke them.

usage: futexscope COMMAND [OPTIONS]

commands:
  record   record futex, futex2 activity into a trace file (root)
  report   print a recorded trace as text or JSON
  probe    show what this kernel supports and what will be captured
  replay   open a recorded trace in a window: timeline per thread, futex table
  export   write a recorded trace as Chrome trace-event JSON (Perfetto)
  live     record and watch in the window at once (root + display)
  ui       the window on a trace stream from a socket (ui --connect ADDR)
  stuck    one look at a hung process: blocked threads, lock holders, deadlocks (root)

examples:
  sudo futexscope record -- ./my_program arg1      trace a command and its children
  sudo futexscope record -p 1234 --duration 10s    trace a running process for 10 s
  sudo futexscope record --summary                 system-wide, in-kernel aggregation, Ctrl-C to stop
  sudo futexscope stuck -p 1234                    who is blocked on what, who holds it, deadlocks
  futexscope report futexscope.fxs --top 10        the 10 futexes with the most wait time
  futexscope report futexscope.fxs --format json   machine-readable report
  futexscope replay futexscope.fxs                 timeline and tables in a window

Run `futexscope COMMAND --help` for a command's options.
)HELP";

}  // namespace

namespace fxs {

int usage_error(const char* cmd, const std::string& msg) {
  std::fprintf(stderr, "futexscope %s: %s (try `futexscope %s --help`)\n", cmd, msg.c_str(), cmd);
  return 2;
}

}  // namespace fxs

int main(int argc, char** argv) {
  // A closed pipe (`report ... | head`) must end the write with EPIPE, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("futexscope %s\n", FXS_VERSION);
    return 0;
  }
  std::string cmd = argv[1];
  try {
    if (cmd == "record") return fxs::cmd_record(argc - 1, argv + 1);
    if (cmd == "report") return fxs::cmd_report(argc - 1, argv + 1);
    if (cmd == "probe") return fxs::cmd_probe(argc - 1, argv + 1);
    if (cmd == "replay") return fxs::cmd_replay(argc - 1, argv + 1);
    if (cmd == "export") return fxs::cmd_export(argc - 1, argv + 1);
    if (cmd == "live") return fxs::cmd_live(argc - 1, argv + 1);
    if (cmd == "ui") return fxs::cmd_ui(argc - 1, argv + 1);
    if (cmd == "stuck") return fxs::cmd_stuck(argc - 1, argv + 1);
  } catch (const std::bad_alloc&) {
    // The memory budget (--memory-limit) normally stops reading first; this is
    // a smaller address-space limit (ulimit -v) or an overcommitted machine.
    std::fprintf(stderr, "futexscope %s: out of memory; give it a smaller --memory-limit or more memory\n",
                 cmd.c_str());
    return 1;
  }
  std::fprintf(stderr, "futexscope: unknown command '%s' (run `futexscope --help` for the list)\n",
               cmd.c_str());
  return 2;
}
