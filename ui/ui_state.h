// ui_state.h: what the views share: the visible time range, the replay
// clock, the selection and the colour of each futex. Owned by the app, one
// instance per window; no view keeps widget state of its own elsewhere.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "imgui.h"
#include "ui/ingest_worker.h"
#include "ui/live_follow.h"
#include "ui/trace_totals.h"
#include "ui/wake_arrows.h"

namespace fxs::ui {

struct PairingSnapshot;  // ui/pairing_finisher.h

struct FutexKey {
  uint32_t tgid = 0;
  uint64_t uaddr = 0;
  bool operator==(const FutexKey& o) const { return tgid == o.tgid && uaddr == o.uaddr; }
};
struct FutexKeyHash {
  size_t operator()(const FutexKey& k) const { return (k.uaddr * 0x9E3779B97F4A7C15ull) ^ k.tgid; }
};

struct UiState {
  // Time is kept relative to `origin_ns` (the first call of the trace) in
  // doubles: absolute boot-time nanoseconds would lose precision in a double.
  uint64_t origin_ns = 0;
  double view_start = 0;   // ns since origin at the left edge of the timeline
  double view_span = 0;    // ns across the timeline; 0 = not fitted yet
  bool fit_pending = true; // fit the whole trace once data arrives

  // Live (a stream still growing): follow the newest data until the user
  // looks elsewhere (ui/live_follow.h); End follows again.
  LiveFollow live;

  // What the seek bar and the status bar said in the last frame, in words:
  // --screenshot prints them, so tests read the numbers the picture shows.
  std::string seek_text, status_text;

  // Replay: a playhead moving at `speed` x real time; the view follows it.
  // While a replay is active, calls after the playhead are drawn faded.
  bool replay_active = false;
  bool playing = false;
  float speed = 1.0f;
  double playhead = 0;     // ns since origin

  // Selection: a futex (from the table or a clicked call) and perhaps a call.
  bool has_futex = false;
  FutexKey futex;
  size_t call_lane = SIZE_MAX;  // lane index of the selected call
  uint64_t call_enter_ns = 0;   // its enter time (stable while lanes are re-sorted)
  bool highlight_futex = true;  // dim other futexes in the timeline
  // The selected call's partner (replay/wake_flows.h), exact once the arrows
  // are: the wake that ended the selected wait, or a wait the selected wake
  // ended. Recomputed when the selection, the data or the arrows change.
  size_t partner_lane = SIZE_MAX;
  uint64_t partner_enter_ns = 0;
  size_t partner_for_lane = SIZE_MAX;
  uint64_t partner_for_enter = 0, partner_for_calls = 0;
  bool partner_for_exact = false;
  bool scroll_table_to_futex = false;

  // Colours: by rank in the latest futex snapshot, and by timeline futex index.
  std::shared_ptr<const FutexSnapshot> ranked_from;
  size_t colored_futexes = 0;  // timeline futexes with a colour computed
  std::unordered_map<FutexKey, int, FutexKeyHash> rank;
  std::vector<ImU32> timeline_colors;  // index: TimelineModel futex index
  std::unordered_map<FutexKey, size_t, FutexKeyHash> stats_index;  // into ranked_from->futexes

  // The futex table's row order (indexes into the snapshot), re-sorted when
  // the sort column or the snapshot changes.
  std::vector<uint32_t> table_order;
  // The timeline's rows: lane_rows[row] = lane index, row_of_lane[lane] = row
  // (view_timeline.cpp order_lanes), as of lane_rows_calls calls.
  std::vector<uint32_t> lane_rows, row_of_lane;
  uint64_t lane_rows_calls = UINT64_MAX;
  // Per lane, the time its waits were blocked until another thread's wake
  // ended them (from the exact arrows; empty until they are in): the first
  // key of the rows' order.
  std::vector<uint64_t> lane_contended;
  bool lane_rows_exact = false;
  // Only the lanes whose pid, tid, thread or process name the filter names
  // get a row (the timeline header's input; empty: all). A hidden lane's
  // row_of_lane is kHiddenRow.
  static constexpr uint32_t kHiddenRow = UINT32_MAX;
  char lane_filter[64] = {};
  std::string lane_rows_filter;  // the filter lane_rows were built for
  size_t lane_rows_lanes = 0;    // ... and the number of lanes
  // Quiet threads (no wait that queued, no wake that woke anyone, nothing
  // still blocked: a shim's helpers, pollers) share one collapsed row at the
  // bottom until it is clicked.
  bool show_quiet = false;
  bool lane_rows_show_quiet = false;  // what lane_rows were built with
  size_t quiet_lanes = 0;             // how many lanes are quiet (shown or not)
  std::shared_ptr<const FutexSnapshot> table_sorted_from;
  std::shared_ptr<const PairingSnapshot> table_sorted_wakes;  // the pairing the order used

  // Every wake -> wait arrow, built once the trace is complete; the timeline
  // draws those into the waits in view when there are few enough to read.
  std::unique_ptr<WakeArrows> arrows;
  LiveWakeArrows live_arrows;  // until `arrows` is ready
  bool arrows_restarted = false;  // `arrows` was (re)started this frame: a picture waits for it

  // Scratch for the timeline's per-lane items, reused every frame.
  std::vector<TimelineItem> items;

  // Set by views when something changed that needs another frame.
  bool animate = false;

  // A growing trace: when a view last asked the loader to pair what it holds (view_numa.cpp).
  std::chrono::steady_clock::time_point pairing_asked_at{};
  // A side tab to bring to front on the next frame ("numa", ...; --tab), then cleared.
  std::string select_tab;
  // The views beside the futex table (view_rseq.cpp, view_umcg.cpp) and the
  // stacks of the Futex tab (view_futex_detail.cpp).
  std::string open_tab;           // --view: the tab to select on the first frame
  bool rseq_has_section = false;  // the rseq histogram shows only this section
  uint32_t rseq_tgid = 0;
  uint64_t rseq_start_ip = 0;
  FutexKey stacks_of;                       // top stacks cached for this futex ...
  uint64_t stacks_generation = UINT64_MAX;  // ... as of this SideModels::generation()
  std::vector<StackWait> stacks;
  std::vector<StackWake> waker_stacks;      // of the calls that woke its waits
  StackWait stack_cover;                    // the waits its stacks stand for (StackModel::coverage)

  void select_futex(FutexKey k) {
    has_futex = true;
    futex = k;
    scroll_table_to_futex = true;
  }
  // Zoom so [t0, t1] (ns since origin) fills the view with a margin.
  void show_range(double t0, double t1) {
    double span = std::max(t1 - t0, 1000.0);
    view_span = span * 1.25;
    view_start = t0 - span * 0.125;
    live.on = false;  // looking at something: a live view stops following
  }
};

// Everything a view needs for one frame.
struct FrameContext {
  const IngestWorker& data;
  UiState& st;
  std::shared_ptr<const FutexSnapshot> futexes;
  IngestProgress progress;
  TraceTotals totals;  // taken once for the frame: every view shows the same numbers
  const std::string& trace_path;
  const std::string& probe_text;  // `probe` output when live, else empty
  const std::string& live;        // live mode: what the recorder is doing; else empty
  bool growing = false;           // live or --connect, and the stream has not ended yet
};

// Rebuilds colours when a new snapshot arrived or the timeline learned new futexes.
// Needs the timeline mutex held.
void update_colors(FrameContext& f);
ImU32 color_of(const UiState& st, FutexKey k);
// The statistics of a futex in the current snapshot, or nullptr.
const FutexStats* stats_of(const FrameContext& f, FutexKey k);

// The views, one per file (ui/view_*.cpp).
void draw_controls(FrameContext& f);        // view_controls.cpp: play/pause, speed, seek, jump
void draw_timeline(FrameContext& f);        // view_timeline.cpp
float timeline_content_height(const FrameContext& f);  // what draw_timeline() needs to show every lane
void draw_futexes(FrameContext& f);         // view_futexes.cpp
void draw_futex_detail(FrameContext& f);    // view_futex_detail.cpp
void draw_status(FrameContext& f);          // view_status.cpp
void draw_trace_info(FrameContext& f);      // view_status.cpp
void draw_capabilities(FrameContext& f);    // view_capabilities.cpp
void draw_buckets(FrameContext& f);         // view_buckets.cpp: hash-bucket heat map
void draw_numa(FrameContext& f);            // view_numa.cpp
// view_numa.cpp: the wake pairing the loader computed in its pass
// (IngestWorker::pairing: the NUMA view, every futex's wakers, split, futile
// wakeups and holders). Until it is in, it draws why not ("`what`: ...")
// and returns nullptr; on a growing trace it asks for a fresh one now and then.
std::shared_ptr<const PairingSnapshot> wake_pairing(FrameContext& f, const char* what);
void draw_rseq(FrameContext& f);            // view_rseq.cpp
void draw_umcg(FrameContext& f);            // view_umcg.cpp
std::string rseq_tab_label(const FrameContext& f);  // "rseq (N aborts)###rseq"
std::string umcg_tab_label(const FrameContext& f);  // "UMCG (N tasks)###umcg"
void draw_blocked(FrameContext& f);         // view_blocked.cpp: threads blocked when the recording ended
void draw_deadlock_banner(FrameContext& f); // view_blocked.cpp: one line per deadlock, or nothing
std::string blocked_tab_label(const FrameContext& f);  // "Blocked (N)###blocked"
// ImGuiTabItemFlags_SetSelected for the tab named by --view (once), else 0.
int open_tab_flags(UiState& st, const char* tab);

// Formatting shared by the views.
std::string format_time(double ns_since_origin);  // "1.234 567 s" style, for the time axis and tooltips
const char* ret_meaning(int32_t ret);             // "EAGAIN", "ETIMEDOUT", ... or nullptr

}  // namespace fxs::ui
