// app.h: the futexscope window (replay, live, ui). The only entry point of fxs_ui.
#pragma once

#include <functional>
#include <string>

#include "replay/trace_reader.h"

namespace fxs::ui {

struct AppOptions {
  std::string command = "replay";   // for messages: "futexscope replay: ..."
  std::string trace_path;
  bool follow = false;              // the trace is still growing (live)
  std::string screenshot_path;      // write a PNG after loading and exit
  int screenshot_frames = 3;        // frames rendered after loading, before the PNG
  // > 0: write the PNG this many seconds after the window opened, loaded or
  // not (live: while recording), and print the calls loaded and the newest one's age.
  double screenshot_after_s = 0;
  std::string lane_filter;          // the timeline shows only these threads (pid, tid or name; --filter)
  std::string tab;                  // tab shown first: below the timeline "futexes", "rseq", "umcg";
                                    // side panel "futex", "buckets", "numa", "trace", "machine"
  int bench_frames = 0;             // > 0: render this many frames panning/zooming, print timings, exit
                                    // (with screenshot_path: the PNG is of the last of them)
  bool full_redraw = false;         // draw every frame whole (ui/frame_renderer.h)
  uint64_t memory_limit = 0;        // bytes the timeline's calls may take; 0: half of physical memory
  int width = 1600, height = 1000;  // window size
  std::string probe_text;           // `probe` output to show (live), else empty
  std::function<std::string()> live_status;  // live: "LIVE: recording", ... (thread-safe)
  // live: true once the recorder has stopped, so nothing more will be
  // written; loading then ends at the end of the file (and --screenshot can fire).
  std::function<bool()> source_finished;
};

// "" when a display seems available, else why not ("no display (DISPLAY is not set)").
std::string display_problem();

// Opens the window and runs until it is closed (or the screenshot/bench is
// done). Prints one line on stderr for an error; returns the exit status.
int run_app(const AppOptions& opts);
// The same on a stream already opened (a socket: `ui --connect`); opts.trace_path names it.
int run_app(const AppOptions& opts, TraceReader trace);

}  // namespace fxs::ui
