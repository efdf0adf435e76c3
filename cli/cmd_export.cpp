// `futexscope export`: option parsing; the work is in replay/chrome_export.cpp.
#include <cstdio>
#include <string>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "cli/fd_output.h"
#include "replay/chrome_export.h"

namespace fxs {
namespace {

constexpr const char* kHelp = R"HELP(usage: futexscope export FILE --format chrome -o OUT.json

Writes a recorded trace as Chrome trace-event JSON, which Perfetto
(ui.perfetto.dev) and chrome://tracing open: every futex call as a slice on
its thread (named after the op), thread and process names, and an arrow from
each wake that woke someone to the wait it ended (docs/ui.md: the rule).

  --format chrome   the only format so far (required, so scripts stay explicit)
  -o, --output OUT  the JSON file to write ("-" for stdout)

example:
  futexscope export app.fxs --format chrome -o app.json   # then open app.json in Perfetto
)HELP";

}  // namespace

int cmd_export(int argc, char** argv) {
  std::string file, format, output;
  ArgParser p(argc, argv, 1);
  while (!p.done()) {
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.option({"--format", "-f"}, format)) {
      if (p.error().empty() && format != "chrome")
        return usage_error("export", "unknown format '" + format + "' (chrome)");
    } else if (p.option({"-o", "--output"}, output)) {
    } else if (p.is_option()) {
      return usage_error("export", "unknown option '" + p.peek() + "'");
    } else if (file.empty()) {
      file = p.take();
    } else {
      return usage_error("export", "more than one trace file given");
    }
    if (!p.error().empty()) return usage_error("export", p.error());
  }
  if (file.empty()) return usage_error("export", "no trace file given");
  if (format.empty()) return usage_error("export", "no --format given (chrome)");
  if (output.empty()) return usage_error("export", "no output file given (-o OUT.json)");

  auto out = FdOutput::open(output);
  if (!out) {
    std::fprintf(stderr, "futexscope export: %s\n", out.message().c_str());
    return 1;
  }
  std::vector<std::string> warnings;
  auto st = export_chrome(file, **out, warnings);
  for (const auto& w : warnings) std::fprintf(stderr, "futexscope: warning: %s\n", w.c_str());
  // A failed write is said with the file and the cause (the export itself only knows that one failed).
  Status closed = (*out)->close();
  if (!st || !closed) {
    std::fprintf(stderr, "futexscope export: %s\n", (!closed ? closed.message() : st.message()).c_str());
    return 1;
  }
  if (output != "-")
    std::fprintf(stderr, "futexscope: %llu calls, %llu threads, %llu wake arrows (%s) written to %s\n",
                 static_cast<unsigned long long>(st->calls), static_cast<unsigned long long>(st->threads),
                 static_cast<unsigned long long>(st->flows),
                 st->exact_flows ? "one per thread woken" : "paired by time", output.c_str());
  if (st->unplaced_flows)
    std::fprintf(stderr, "futexscope: %llu wakes have no arrow: their call or wait is not in the trace\n",
                 static_cast<unsigned long long>(st->unplaced_flows));
  return 0;
}

}  // namespace fxs
