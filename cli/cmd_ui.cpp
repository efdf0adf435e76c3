// `futexscope ui --connect ADDR`: the replay window on a trace stream read
// from a socket (what `record --serve ADDR` sends: the same bytes as a .fxs
// file, docs/trace-format.md). The window shows what has arrived and keeps
// following until the sender closes the connection.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "cli/stream_socket.h"
#include "cli/units.h"
#include "replay/error.h"
#include "replay/trace_reader.h"
#ifdef FXS_HAVE_UI
#include "ui/app.h"
#endif

namespace fxs {
namespace {

constexpr const char* kHelp = R"HELP(usage: futexscope ui --connect ADDR [--screenshot PNG] [--size WxH] [--memory-limit SIZE]

Shows a trace stream received over a socket in the replay window, while it
arrives (see `futexscope record --serve`). ADDR is a unix socket path (it
contains a '/'), HOST:PORT, or PORT alone for the loopback address. As in
`live`, the timeline follows the newest data (the last 10 s) until you pan or
zoom; End follows again.

  --connect ADDR     where the stream comes from
  --screenshot PNG   when the sender has closed the stream and everything is
                     loaded, write the window to PNG and exit
  --size WxH         window size (default 1600x1000)
  --memory-limit SIZE
                     most memory the timeline may take for its calls (24 bytes a
                     call; default: half of this machine's memory); the calls after
                     that are counted in the futex table but not drawn, and past
                     as many waits their p50/p99 are estimated

examples:
  futexscope ui --connect 127.0.0.1:7411
  futexscope ui --connect /run/futexscope.sock
)HELP";

}  // namespace

int cmd_ui(int argc, char** argv) {
  std::string addr, screenshot, v;
  int w = 1600, h = 1000;
  uint64_t memory_limit = 0;
  ArgParser p(argc, argv, 1);
  while (!p.done()) {
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.option({"--connect", "-c"}, addr)) {
    } else if (p.option({"--screenshot"}, screenshot)) {
    } else if (p.option({"--memory-limit"}, v)) {
      if (std::string bad = p.error().empty() ? parse_memory_limit(v, memory_limit) : ""; !bad.empty())
        return usage_error("ui", bad);
    } else if (p.option({"--size"}, v)) {
      size_t x = v.find('x');
      if (x == std::string::npos || (w = std::atoi(v.substr(0, x).c_str())) < 200 ||
          (h = std::atoi(v.substr(x + 1).c_str())) < 150)
        return usage_error("ui", "bad --size '" + v + "' (WxH, e.g. 1600x1000)");
    } else if (p.is_option()) {
      return usage_error("ui", "unknown option '" + p.peek() + "'");
    } else {
      return usage_error("ui", "unexpected argument '" + p.peek() + "' (replay a file with `futexscope replay FILE`)");
    }
    if (!p.error().empty()) return usage_error("ui", p.error());
  }
  if (addr.empty()) return usage_error("ui", "no --connect ADDR given");
  if (std::string bad = stream_address_problem(addr); !bad.empty())
    return usage_error("ui", "--connect " + addr + ": " + bad);
#ifndef FXS_HAVE_UI
  (void)w, (void)h, (void)memory_limit;
  std::fprintf(stderr, "futexscope ui: this futexscope was built without the UI (configure with -DFXS_BUILD_UI=ON)\n");
  return 1;
#else
  if (std::string why = ui::display_problem(); !why.empty()) {
    std::fprintf(stderr, "futexscope ui: %s: run it in a desktop session, or headless under xvfb-run\n",
                 why.c_str());
    return 1;
  }
  auto fd = connect_stream(addr);
  if (!fd) {
    std::fprintf(stderr, "futexscope ui: %s (is `futexscope record --serve %s` running?)\n", fd.message().c_str(),
                 addr.c_str());
    return 1;
  }
  // Reads the stream header (waiting for it); the reader owns the socket from here.
  auto reader = TraceReader::from_fd(*fd, addr);
  if (!reader) {
    std::fprintf(stderr, "futexscope ui: %s\n", reader.message().c_str());
    return 1;
  }
  ui::AppOptions o;
  o.command = "ui";
  o.trace_path = addr;
  o.follow = true;  // poll the socket; the sender closing it ends the stream
  o.screenshot_path = screenshot;
  o.width = w;
  o.height = h;
  o.memory_limit = memory_limit;
  return ui::run_app(o, std::move(*reader));
#endif
}

}  // namespace fxs
