// `futexscope replay`: option parsing; the window is ui/app.cpp (built only
// with FXS_BUILD_UI; without it, replay says so in one line).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "cli/units.h"
#ifdef FXS_HAVE_UI
#include "ui/app.h"
#endif

namespace fxs {
namespace {

constexpr const char* kHelp = R"HELP(usage: futexscope replay FILE [--screenshot PNG] [--frames N] [--bench-frames N] [--size WxH] [--tab NAME]
                         [--filter TEXT]
                         [--full-redraw] [--memory-limit SIZE]

Opens a recorded trace in a window: one timeline lane per thread with every
futex call (waits as bars coloured by futex), a sortable futex table, the
selected futex's wait-time histogram, and the trace's loss counters. The trace
loads in the background; what is loaded is shown at once. Needs a display
(X11 or Wayland); headless, run it under xvfb-run.

  --screenshot PNG   load everything, render N frames, write the window to PNG, exit
  --frames N         frames rendered before the screenshot (default 3)
  --bench-frames N   load everything, render 20 warm-up frames, then N frames panning
                     and zooming across the whole trace; print load rate, memory
                     per event and `frame_ms p50=X p99=Y`, exit (with --screenshot:
                     the PNG shows the last of them)
  --size WxH         window size (default 1600x1000)
  --filter TEXT      show only the threads whose pid or tid is TEXT, or whose thread
                     or process name contains it (any case); the timeline's header
                     field changes it
  --tab NAME         open with this tab in front. Below the timeline: futexes
                     (default), rseq (critical-section aborts), umcg (server/worker
                     lanes), blocked (threads blocked when the recording ended,
                     their lock holders; deadlocks also get a banner). Side
                     panel: futex (default), buckets (hash-bucket heat map),
                     numa (NUMA wake matrix), trace, machine. (--view is the
                     same.)
  --memory-limit SIZE
                     most memory the timeline may take for its calls (24 bytes a
                     call; default: half of this machine's memory); the calls after
                     that are counted in the futex table but not drawn, and past
                     as many waits their p50/p99 are estimated
  --full-redraw      draw every frame whole; by default only what changed since the
                     last frame is drawn again (try this if the window shows stale
                     pieces on some GL driver)

Timeline: mouse wheel zooms, drag pans, click selects a call and its futex,
Shift+wheel scrolls lanes; A/D or arrows pan, W/S zoom, Home fits, Space plays.

examples:
  futexscope replay app.fxs
  futexscope replay app.fxs --tab buckets
  futexscope replay app.fxs --filter python     only the threads of processes named python*
  xvfb-run -a -s "-screen 0 1600x1000x24" futexscope replay app.fxs --screenshot app.png
  xvfb-run -a -s "-screen 0 1600x1000x24" futexscope replay big.fxs --bench-frames 600
)HELP";

bool parse_int(const std::string& v, int lo, int hi, int& out) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || n < lo || n > hi) return false;
  out = int(n);
  return true;
}

}  // namespace

int cmd_replay(int argc, char** argv) {
  std::string file, screenshot, tab, filter, v;
  int frames = 3, bench = 0, w = 1600, h = 1000;
  bool full_redraw = false;
  uint64_t memory_limit = 0;
  ArgParser p(argc, argv, 1);
  while (!p.done()) {
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.option({"--screenshot"}, screenshot)) {
      if (p.error().empty() && screenshot.empty()) return usage_error("replay", "--screenshot needs a file name");
    } else if (p.option({"--frames"}, v)) {
      if (p.error().empty() && !parse_int(v, 1, 100000, frames))
        return usage_error("replay", "bad --frames '" + v + "' (1..100000)");
    } else if (p.option({"--bench-frames"}, v)) {
      if (p.error().empty() && !parse_int(v, 1, 1000000, bench))
        return usage_error("replay", "bad --bench-frames '" + v + "' (1..1000000)");
    } else if (p.option({"--memory-limit"}, v)) {
      if (std::string bad = p.error().empty() ? parse_memory_limit(v, memory_limit) : ""; !bad.empty())
        return usage_error("replay", bad);
    } else if (p.flag({"--full-redraw"})) {
      full_redraw = true;
    } else if (p.option({"--filter"}, filter)) {
      if (p.error().empty() && filter.size() >= 63) return usage_error("replay", "--filter is at most 62 bytes");
    } else if (p.option({"--tab", "--view"}, tab)) {
      static const char* const kTabs[] = {"futexes", "rseq",  "umcg",  "blocked", "futex",
                                          "buckets", "numa", "trace", "machine"};
      if (p.error().empty() && std::find(std::begin(kTabs), std::end(kTabs), tab) == std::end(kTabs))
        return usage_error("replay", "bad --tab/--view '" + tab +
                                         "' (futexes, rseq, umcg, blocked, futex, buckets, numa, trace or machine)");
    } else if (p.option({"--size"}, v)) {
      if (!p.error().empty()) return usage_error("replay", p.error());
      size_t x = v.find('x');
      if (x == std::string::npos || !parse_int(v.substr(0, x), 200, 16384, w) ||
          !parse_int(v.substr(x + 1), 150, 16384, h))
        return usage_error("replay", "bad --size '" + v + "' (WxH, e.g. 1600x1000)");
    } else if (p.is_option()) {
      return usage_error("replay", "unknown option '" + p.peek() + "'");
    } else if (file.empty()) {
      file = p.take();
    } else {
      return usage_error("replay", "more than one trace file given");
    }
    if (!p.error().empty()) return usage_error("replay", p.error());
  }
  if (file.empty()) return usage_error("replay", "no trace file given");
#ifdef FXS_HAVE_UI
  ui::AppOptions o;
  o.command = "replay";
  o.trace_path = file;
  o.screenshot_path = screenshot;
  o.screenshot_frames = frames;
  o.tab = tab;
  o.lane_filter = filter;
  o.bench_frames = bench;
  o.full_redraw = full_redraw;
  o.memory_limit = memory_limit;
  o.width = w;
  o.height = h;
  return ui::run_app(o);
#else
  (void)frames, (void)filter, (void)bench, (void)full_redraw, (void)memory_limit, (void)w, (void)h;
  std::fprintf(stderr, "futexscope replay: this futexscope was built without the UI (configure with "
                       "-DFXS_BUILD_UI=ON and install libimgui-dev libglfw3-dev libstb-dev); `futexscope "
                       "report` reads the trace as text\n");
  return 1;
#endif
}

}  // namespace fxs
