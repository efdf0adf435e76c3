// `futexscope live`: record and watch in one process. The recorder
// (collector/recorder.h) runs on a thread and writes the trace file as usual;
// the window reads that file with TraceReader::follow(true), i.e. live mode is
// a replay of a stream that is still growing. Closing the window stops the
// recording as Ctrl-C would (the command, if any, gets the signal too).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "cli/units.h"
#include "collector/kernel_probe.h"
#include "collector/recorder.h"
#include "replay/trace_reader.h"
#ifdef FXS_HAVE_UI
#include "ui/app.h"
#endif

namespace fxs {
namespace {

constexpr const char* kHelp = R"HELP(usage: futexscope live [-p PID] [-o FILE] [--min-wait DUR] [--duration DUR] [--size WxH]
                       [--screenshot PNG] [--screenshot-after DUR] [--memory-limit SIZE]
                       [-- COMMAND [ARGS...]]

Records like `futexscope record` and shows the trace in the replay window while
it grows (4 times a second, when the recorder flushes). Needs root for the
recording and a display for the window. The timeline follows the newest data
(the last 10 s; a slider sets 1 s to 10 min); panning or zooming pauses it, End
follows again. Closing the window stops the recording (like Ctrl-C); with
COMMAND, futexscope exits with the command's status.

  -p, --pid PID     watch this process (all its threads)
  -- COMMAND ARGS   start COMMAND and watch it
  -o, --output FILE keep the trace in FILE (default: a temporary file, removed at exit)
  --min-wait DUR    do not record waits shorter than DUR
  --duration DUR    stop recording after DUR (as `record --duration`); the
                    window stays open on what was recorded
  --size WxH        window size (default 1600x1000)
  --memory-limit SIZE
                    most memory the timeline may take for its calls (24 bytes a
                    call; default: half of this machine's memory); the calls after
                    that are counted in the futex table but not drawn, and past
                    as many waits their p50/p99 are estimated
  --screenshot PNG  when the recording has ended (COMMAND exited), write the
                    window to PNG and exit (for scripts and tests)
  --screenshot-after DUR
                    with --screenshot: write it DUR after the window opened,
                    while recording (then stop as if the window was closed), and
                    print the calls loaded and how long before the picture the
                    newest of them returned
Without -p or COMMAND the whole system is watched. DUR is a number with a
unit: ns, us, ms, s, m or h (250ms, 10s, 2m).

examples:
  sudo futexscope live -- ./build/samples/fxs-sample-condvar
  sudo futexscope live -p "$(pidof myserver)" -o server.fxs
)HELP";

}  // namespace

int cmd_live(int argc, char** argv) {
  RecordOptions ro;
  ro.output.clear();
  ro.quiet = true;
  ro.flush_interval_ns = kWatchedFlushIntervalNs;
  int w = 1600, h = 1000;
  uint64_t memory_limit = 0;
  std::string screenshot;
  double screenshot_after_s = 0;
  ArgParser p(argc, argv, 1);
  std::string v;
  while (!p.done()) {
    if (p.at_command_separator()) {
      ro.command = p.rest_after_separator();
      if (ro.command.empty()) return usage_error("live", "no command after --");
      break;
    }
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.option({"-o", "--output"}, v)) {
      ro.output = v;
    } else if (p.option({"-p", "--pid"}, v)) {
      char* end = nullptr;
      long pid = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || pid <= 0) return usage_error("live", "bad PID '" + v + "'");
      ro.pid = int(pid);
    } else if (p.option({"--min-wait"}, v)) {
      // (A missing value is p.error()'s, said below.)
      std::string bad =
          p.error().empty() ? parse_duration_option("--min-wait", v, "100us", true, ro.min_wait_ns) : "";
      if (!bad.empty()) return usage_error("live", bad);
    } else if (p.option({"--duration"}, v)) {
      std::string bad =
          p.error().empty() ? parse_duration_option("--duration", v, "10s", false, ro.duration_ns) : "";
      if (!bad.empty()) return usage_error("live", bad);
    } else if (p.option({"--screenshot"}, screenshot)) {
    } else if (p.option({"--screenshot-after"}, v)) {
      uint64_t ns = 0;
      std::string bad =
          p.error().empty() ? parse_duration_option("--screenshot-after", v, "1s", false, ns) : "";
      if (!bad.empty()) return usage_error("live", bad);
      screenshot_after_s = double(ns) / 1e9;
    } else if (p.option({"--memory-limit"}, v)) {
      if (std::string bad = p.error().empty() ? parse_memory_limit(v, memory_limit) : ""; !bad.empty())
        return usage_error("live", bad);
    } else if (p.option({"--size"}, v)) {
      size_t x = v.find('x');
      if (x == std::string::npos || (w = std::atoi(v.substr(0, x).c_str())) < 200 ||
          (h = std::atoi(v.substr(x + 1).c_str())) < 150)
        return usage_error("live", "bad --size '" + v + "' (WxH, e.g. 1600x1000)");
    } else if (p.is_option()) {
      return usage_error("live", "unknown option '" + p.peek() + "'");
    } else {
      return usage_error("live", "unexpected argument '" + p.peek() + "' (put the command after --)");
    }
    if (!p.error().empty()) return usage_error("live", p.error());
  }
  if (ro.pid > 0 && !ro.command.empty()) return usage_error("live", "give -p or a command, not both");
  if (screenshot_after_s > 0 && screenshot.empty())
    return usage_error("live", "--screenshot-after needs --screenshot PNG");
#ifndef FXS_HAVE_UI
  (void)w, (void)h, (void)memory_limit, (void)screenshot_after_s;
  std::fprintf(stderr, "futexscope live: this futexscope was built without the UI (configure with "
                       "-DFXS_BUILD_UI=ON); record with `futexscope record` and read it with `report`\n");
  return 1;
#else
  // Refuse before anything is recorded or started if there is nowhere to show it.
  if (std::string why = ui::display_problem(); !why.empty()) {
    std::fprintf(stderr, "futexscope live: %s: run it in a desktop session, or record with `futexscope "
                         "record` and read the trace with `report`\n", why.c_str());
    return 1;
  }
  bool temporary = ro.output.empty();
  if (temporary) {
    const char* tmp = std::getenv("TMPDIR");
    ro.output = std::string(tmp && *tmp ? tmp : "/tmp") + "/futexscope-live-" + std::to_string(getpid()) + ".fxs";
  }
  std::string probe = format_probe_text(probe_kernel());

  std::atomic<bool> recording{true};
  std::atomic<int> record_status{0};
  std::thread recorder([&] {
    record_status = run_record(ro);
    recording = false;
  });
  // The window opens once the recorder has written the trace header (after
  // loading and attaching the BPF programs); if recording fails first, its
  // own error line is all the user needs.
  bool ready = false;
  for (int i = 0; i < 600 && recording && !ready; i++) {
    ready = access(ro.output.c_str(), R_OK) == 0 && TraceReader::open(ro.output).ok();
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int status = 0;
  if (ready) {
    ui::AppOptions o;
    o.command = "live";
    o.trace_path = ro.output;
    o.follow = true;
    o.width = w;
    o.height = h;
    o.memory_limit = memory_limit;
    o.probe_text = probe;
    o.screenshot_path = screenshot;
    o.screenshot_after_s = screenshot_after_s;
    o.source_finished = [&] { return !recording.load(); };
    o.live_status = [&] {
      return recording ? std::string("LIVE: recording")
                       : "recording ended (status " + std::to_string(record_status.load()) + ")";
    };
    status = ui::run_app(o);
  } else if (recording) {
    std::fprintf(stderr, "futexscope live: the recorder wrote no trace header to %s within 30 s\n",
                 ro.output.c_str());
    status = 1;
  }
  // Closing the window stops the recording the way Ctrl-C does: the
  // recorder's handler sees SIGINT, forwards it to the command, flushes.
  if (recording) kill(getpid(), SIGINT);
  recorder.join();
  if (temporary) unlink(ro.output.c_str());
  if (status != 0) return status;
  return record_status;
#endif
}

}  // namespace fxs
