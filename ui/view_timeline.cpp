// view_timeline.cpp: one lane per thread, the threads that waited longest on
// top and those that never waited at the bottom, every futex call as a bar coloured
// by its futex. Waits that queued fill the lane; calls that did not block
// (wakes, EAGAIN) are thin bars at its foot. Per frame and lane, two binary
// searches find the visible calls and narrow ones fold into blocks of ~3 px
// (TimelineModel::fold), so a frame costs the same for 1K or 100M calls.
//
// Mouse: wheel zooms at the cursor, drag pans, click selects a call (and its
// futex), Shift+wheel scrolls lanes. Keys: A/D or Left/Right pan, W/S or
// Up/Down zoom, Home fits, Esc clears the selection.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "imgui.h"
#include "replay/format.h"
#include "replay/futex_model.h"
#include "replay/futex_ops.h"
#include "replay/wake_flows.h"
#include "ui/pairing_finisher.h"
#include "ui/palette.h"
#include "ui/text_fit.h"
#include "ui/time_view.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

constexpr float kLabelW = 200.0f;   // thread names column
constexpr float kAxisH = 24.0f;
constexpr float kLaneH = 34.0f;
constexpr float kMinItemPx = 3.0f;  // narrower calls fold together

// A wait still open when the recording ended (view_blocked.cpp has the list):
// drawn as an open bar from when it began, or the trace's start, to its end,
// in the thread's lane, or in a lane of its own below when the thread made no
// call the trace holds (a process that was hung all along).
// Its label and text are made only for the rows in view (open_wait_text).
struct OpenWait {
  uint32_t pid = 0, tid = 0, owner_tid = 0;
  uint64_t uaddr = 0, since_ns = 0;
  std::string op, comm;
  bool at_end = true;  // the look at the end, not the one at attach
};

std::vector<OpenWait> open_waits(const FrameContext& f) {
  std::vector<OpenWait> out;
  std::lock_guard lk(f.data.side_mutex());  // after the timeline mutex, as everywhere
  const BlockedReport& r = f.data.side().blocked();
  for (const auto& t : r.threads)
    if (t.in_futex && !t.uaddrs.empty())
      out.push_back({t.pid, t.tid, t.owner_tid, t.uaddrs[0], t.since_ns, t.op, t.comm, r.at_end});
  return out;
}

// What an open bar says: "FUTEX_WAIT 0x... held by 123  still blocked at the end".
std::string open_wait_text(const OpenWait& w) {
  return w.op + " " + format_uaddr(w.uaddr) + (w.owner_tid ? "  held by " + std::to_string(w.owner_tid) : "") +
         (w.at_end ? "  still blocked at the end" : "  blocked when the recording began");
}

size_t open_wait_lanes(const TimelineModel& tl, const std::vector<OpenWait>& open) {
  size_t n = 0;
  for (const auto& w : open) n += tl.find_lane(w.pid, w.tid) == SIZE_MAX;
  return n;
}

// A tick step of 1, 2 or 5 x 10^k ns giving about `px` pixels between ticks.
double nice_step(double ns_per_px, double px) {
  double raw = ns_per_px * px;
  double p = std::pow(10.0, std::floor(std::log10(std::max(raw, 1.0))));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

// "120 ms", "1.5 ms", "250 us": the unit follows the tick step.
std::string axis_label(double t, double step) {
  double unit = step * 5 >= 1e9 ? 1e9 : step * 5 >= 1e6 ? 1e6 : step * 5 >= 1e3 ? 1e3 : 1;
  const char* name = unit == 1e9 ? "s" : unit == 1e6 ? "ms" : unit == 1e3 ? "us" : "ns";
  int decimals = std::max(0, int(std::ceil(-std::log10(step / unit) - 1e-9)));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f %s", decimals, t / unit, name);
  return buf;
}

std::string lane_label(const TimelineModel& tl, const TimelineLane& lane) {
  std::string name(tl.thread_name(lane.tid));
  if (name.empty()) name = "thread";
  return name + "  " + std::to_string(lane.tid);
}

std::string return_text(const TimelineCall& c) {
  if (const char* n = ret_meaning(c.ret)) return std::to_string(c.ret) + " (" + n + ")";
  if (is_wake_or_requeue_op(c.opi))
    return std::to_string(c.ret) + (c.ret == 1 ? " (woke 1 waiter)" : " (woke/requeued " + std::to_string(c.ret) + ")");
  if (c.opi == FXS_OP_FUTEX2_WAITV) return std::to_string(c.ret) + " (woken by entry " + std::to_string(c.ret) + ")";
  if (is_wait_op(c.opi)) return std::to_string(c.ret) + " (woken)";
  return std::to_string(c.ret);
}

void call_tooltip(const FrameContext& f, const TimelineModel& tl, const TimelineLane& lane, const TimelineCall& c) {
  const TimelineFutex& fx = tl.futexes()[c.futex];
  const FutexStats* s = stats_of(f, {fx.tgid, fx.uaddr});
  ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(f.st.timeline_colors[c.futex]),
                     ImGuiColorEditFlags_NoTooltip, ImVec2(12, 12));
  ImGui::SameLine();
  ImGui::Text("%s on %s", op_name(c.opi), format_uaddr(fx.uaddr).c_str());
  ImGui::TextDisabled("futex: %s, pid %u%s%s", s ? kind_name(s->kind) : "?", fx.tgid,
                      tl.process_name(fx.tgid).empty() ? "" : " ",
                      std::string(tl.process_name(fx.tgid)).c_str());
  ImGui::Text("thread     %s", lane_label(tl, lane).c_str());
  ImGui::Text("entered    %s", format_time(double(c.enter_ns - f.st.origin_ns)).c_str());
  if (c.flags & kCallEnterLost)
    ImGui::TextColored(ImVec4(0.95f, 0.65f, 0.15f, 1), "duration   unknown (enter not recorded)");
  else
    ImGui::Text("duration   %s", format_ns(c.dur_ns()).c_str());
  ImGui::Text("returned   %s", return_text(c).c_str());
  if (c.nr_uaddrs) ImGui::Text("waitv      %u addresses", unsigned(c.nr_uaddrs));
  if (s)
    ImGui::TextDisabled("this futex: %llu waits, total %s, max %s",
                        static_cast<unsigned long long>(s->waits), format_ns(s->wait_total_ns).c_str(),
                        format_ns(s->wait_max_ns).c_str());
}

void draw_axis(ImDrawList* dl, ImVec2 a0, ImVec2 a1, const UiState& st, double ns_per_px, float lanes_bottom) {
  dl->AddRectFilled(a0, a1, IM_COL32(30, 33, 38, 255));
  double step = nice_step(ns_per_px, 120);
  double minor = step / 5;
  double first = std::floor(st.view_start / minor) * minor;
  for (double t = first; t < st.view_start + st.view_span; t += minor) {
    float x = a0.x + float((t - st.view_start) / ns_per_px);
    if (x < a0.x) continue;
    bool major = std::fabs(std::remainder(t, step)) < minor * 0.01;
    dl->AddLine(ImVec2(x, a1.y - (major ? 8.0f : 4.0f)), ImVec2(x, a1.y), colors::kAxisText);
    if (major) {
      dl->AddLine(ImVec2(x, a1.y), ImVec2(x, lanes_bottom), colors::kGrid);
      std::string s = axis_label(t, step);
      if (x + 3 + ImGui::CalcTextSize(s.c_str()).x <= a1.x)  // whole or not at all ("600" was cut to "60")
        dl->AddText(ImVec2(x + 3, a0.y + 3), colors::kAxisText, s.c_str());
    }
  }
}

void handle_input(UiState& st, ImVec2 area0, ImVec2 area1, double total, bool hovered) {
  ImGuiIO& io = ImGui::GetIO();
  double width = area1.x - area0.x;
  double ns_per_px = st.view_span / width;
  auto zoom_at = [&](double t_anchor, double factor) {
    double span = std::clamp(st.view_span * factor, 100.0, std::max(total * 10, 1e4));
    st.view_start = t_anchor - (t_anchor - st.view_start) * (span / st.view_span);
    st.view_span = span;
    st.fit_pending = false;
    st.live.on = false;  // a live view stops following where the user looks
  };
  if (hovered && io.MouseWheel != 0 && !io.KeyShift) {
    double t = st.view_start + (io.MousePos.x - area0.x) * ns_per_px;
    zoom_at(t, std::pow(0.8, io.MouseWheel));
  }
  if (hovered && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f)) {
    st.view_start -= io.MouseDelta.x * ns_per_px;
    ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseDelta.y);
    st.fit_pending = false;
    st.live.on = false;
  }
  if (io.WantTextInput) return;
  auto key = [](int k) { return ImGui::IsKeyPressed(k, true); };
  double centre = st.view_start + st.view_span / 2;
  if (key(ImGui::GetKeyIndex(ImGuiKey_LeftArrow)) || key(GLFW_KEY_A)) {
    st.view_start -= st.view_span * 0.1;
    st.fit_pending = false;
    st.live.on = false;
  }
  if (key(ImGui::GetKeyIndex(ImGuiKey_RightArrow)) || key(GLFW_KEY_D)) {
    st.view_start += st.view_span * 0.1;
    st.fit_pending = false;
    st.live.on = false;
  }
  if (key(ImGui::GetKeyIndex(ImGuiKey_UpArrow)) || key(GLFW_KEY_W)) zoom_at(centre, 0.7);
  if (key(ImGui::GetKeyIndex(ImGuiKey_DownArrow)) || key(GLFW_KEY_S)) zoom_at(centre, 1 / 0.7);
  if (key(ImGui::GetKeyIndex(ImGuiKey_Home))) {
    st.fit_pending = true;
    st.live.on = false;
  }
  if (key(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    st.call_lane = SIZE_MAX;
    st.has_futex = false;
  }
}

// The wake that ended the selected wait (or a wait the selected wake
// ended): from the exact arrows once they are in, else by time over the
// calls of the selected futex; only when the selection, the data or the
// arrows changed.
void update_partner(UiState& st, const TimelineModel& tl) {
  const ArrowIndex* exact = st.arrows && st.arrows->exact() ? st.arrows->index() : nullptr;
  if (st.call_lane == st.partner_for_lane && st.call_enter_ns == st.partner_for_enter &&
      tl.calls() == st.partner_for_calls && (exact != nullptr) == st.partner_for_exact)
    return;
  st.partner_for_lane = st.call_lane;
  st.partner_for_enter = st.call_enter_ns;
  st.partner_for_calls = tl.calls();
  st.partner_for_exact = exact != nullptr;
  st.partner_lane = SIZE_MAX;
  if (st.call_lane >= tl.lanes().size()) return;
  const auto& lanes = tl.lanes();
  size_t i = TimelineModel::call_entered_at(lanes[st.call_lane], st.call_enter_ns);
  if (i == SIZE_MAX) return;
  if (exact) {
    size_t lane = SIZE_MAX, call = SIZE_MAX;
    if (auto in = exact->into(st.call_lane, i, i + 1); !in.empty()) {
      lane = in.front().wake_lane;
      call = in.front().wake_call;
    } else if (!exact->out_of(st.call_lane, i, lane, call)) {
      return;
    }
    st.partner_lane = lane;
    st.partner_enter_ns = lanes[lane].calls[call].enter_ns;
    return;
  }
  for (const WakeFlow& fl : pair_wakes(tl, lanes[st.call_lane].calls[i].futex)) {
    if (fl.wait_lane == st.call_lane && fl.wait_call == i) {
      st.partner_lane = fl.wake_lane;
      st.partner_enter_ns = lanes[fl.wake_lane].calls[fl.wake_call].enter_ns;
      return;
    }
    if (fl.wake_lane == st.call_lane && fl.wake_call == i) {
      st.partner_lane = fl.wait_lane;
      st.partner_enter_ns = lanes[fl.wait_lane].calls[fl.wait_call].enter_ns;
      return;
    }
  }
}

// More arrows than this in view are not drawn: they would hide the calls.
constexpr size_t kMaxWakeArrows = 400;

// The arrows into the waits of the lanes in view (ui/wake_arrows.h): a faint
// line from where the wake entered to where the wait returned, fainter still
// for futexes other than the selected one.
template <typename XOf>
void draw_wake_arrows(const UiState& st, const ArrowIndex& index, const TimelineModel& tl, uint64_t t0, uint64_t t1,
                      size_t first_row, size_t last_row, const XOf& x_of, float lanes_y, ImDrawList* dl) {
  const auto& lanes = tl.lanes();
  struct InView {
    size_t lane;
    std::span<const ArrowIndex::Arrow> arrows;
  };
  std::vector<InView> in_view;
  size_t n = 0;
  for (size_t row = first_row; row < last_row; row++) {
    const size_t li = st.lane_rows[row];
    const TimelineLane& lane = lanes[li];
    auto a = index.into(li, TimelineModel::first_ending_at_or_after(lane, t0),
                             TimelineModel::first_entering_at_or_after(lane, t1));
    if (a.empty()) continue;
    n += a.size();
    if (n > kMaxWakeArrows) return;
    in_view.push_back({li, a});
  }
  for (const InView& v : in_view) {
    const float wait_y = lanes_y + (float(st.row_of_lane[v.lane]) + 0.5f) * kLaneH;
    for (const ArrowIndex::Arrow& a : v.arrows) {
      if (st.row_of_lane[a.wake_lane] == UiState::kHiddenRow) continue;  // the waker's lane is filtered out
      const TimelineCall& wait = lanes[v.lane].calls[a.wait_call];
      const TimelineCall& wake = lanes[a.wake_lane].calls[a.wake_call];
      const TimelineFutex& fx = tl.futexes()[wait.futex];
      const bool other = st.has_futex && st.highlight_futex && !(st.futex == FutexKey{fx.tgid, fx.uaddr});
      const ImU32 col = IM_COL32(255, 255, 255, other ? 40 : 110);
      ImVec2 from(x_of(wake.enter_ns), lanes_y + (float(st.row_of_lane[a.wake_lane]) + 0.5f) * kLaneH);
      ImVec2 to(x_of(wait.exit_ns()), wait_y);
      dl->AddLine(from, to, col, 1.0f);
      const float dir = to.y >= from.y ? 1.0f : -1.0f;
      dl->AddTriangleFilled(to, ImVec2(to.x - 3, to.y - 6 * dir), ImVec2(to.x + 3, to.y - 6 * dir), col);
    }
  }
}

// One line about the selected call and its partner, in place of the legend.
bool selection_line(const UiState& st, const TimelineModel& tl) {
  if (st.call_lane >= tl.lanes().size()) return false;
  const TimelineLane& lane = tl.lanes()[st.call_lane];
  size_t i = TimelineModel::call_entered_at(lane, st.call_enter_ns);
  if (i == SIZE_MAX) return false;
  const TimelineCall& c = lane.calls[i];
  const std::string what = "selected: " + std::string(op_name(c.opi)) + " " + format_ns(c.dur_ns()) + " on " +
                           format_uaddr(tl.futexes()[c.futex].uaddr);
  const std::string who = lane_label(tl, lane), when = "at " + format_time(double(c.enter_ns - st.origin_ns));
  std::string partner;
  if (st.partner_lane < tl.lanes().size()) {
    const TimelineLane& pl = tl.lanes()[st.partner_lane];
    size_t j = TimelineModel::call_entered_at(pl, st.partner_enter_ns);
    if (j != SIZE_MAX) {
      bool woken = is_wait_op(c.opi);
      partner = (woken ? "<-  woken by " : "->  woke ") + lane_label(tl, pl) + " (" + op_name(pl.calls[j].opi) + ")";
    }
  }
  // Whole parts only, as many as the line holds (the tooltip has them all).
  std::string s = leading_items_that_fit({what, who, when, partner}, ", ", ImGui::GetContentRegionAvail().x);
  ImGui::TextColored(ImVec4(1, 1, 1, 1), "%s", s.c_str());
  return true;
}

}  // namespace

// Whether `lane` is one the filter names: its pid or tid, or a part of its
// thread's or process's name (any case).
static bool lane_matches(const TimelineModel& tl, const TimelineLane& lane, std::string_view filter) {
  if (filter.empty() || filter == std::to_string(lane.tid) || filter == std::to_string(lane.tgid)) return true;
  auto has = [&](std::string_view name) {
    auto lower = [](char c) { return char(std::tolower(static_cast<unsigned char>(c))); };
    return std::search(name.begin(), name.end(), filter.begin(), filter.end(),
                       [&](char a, char b) { return lower(a) == lower(b); }) != name.end();
  };
  return has(tl.thread_name(lane.tid)) || has(tl.process_name(lane.tgid));
}

// The rows of the lanes the filter keeps (who was kept waiting longest on
// top), in st.lane_rows / st.row_of_lane. Rebuilt when calls arrive, the
// exact arrows come in or the filter changes; while a live trace grows only
// when a thread is new, so rows do not jump under the reader's eyes.
// A lane with nothing to show for: no wait that queued, no wake that woke
// anyone, and no wait still open at the end (`open`).
static bool lane_is_quiet(const TimelineLane& lane, const std::vector<OpenWait>& open) {
  if (lane.wait_ns || lane.waking_calls) return false;
  for (const OpenWait& w : open)
    if (w.tid == lane.tid && w.pid == lane.tgid) return false;
  return true;
}

static void order_lanes(UiState& st, const TimelineModel& tl, bool growing, const std::vector<OpenWait>& open,
                        const WakesByFutex* wakes) {
  const size_t n = tl.lanes().size();
  const ArrowIndex* exact = st.arrows && st.arrows->exact() ? st.arrows->index() : nullptr;
  // The words whose waits were all released by threads as they exited are
  // joins by another name: their waits are not contention (as in the table).
  auto join_like = [&](uint32_t futex) {
    if (!wakes || futex >= tl.futexes().size()) return false;
    auto it = wakes->find(PairKey{tl.futexes()[futex].tgid, tl.futexes()[futex].uaddr});
    return it != wakes->end() && it->second.join_like();
  };
  const std::string_view filter = st.lane_filter;
  if (st.lane_rows_lanes == n && (growing || st.lane_rows_calls == tl.calls()) &&
      (exact != nullptr) == st.lane_rows_exact && filter == st.lane_rows_filter &&
      st.show_quiet == st.lane_rows_show_quiet)
    return;
  st.lane_rows_lanes = n;
  st.lane_rows_filter = filter;
  st.lane_rows_show_quiet = st.show_quiet;
  // By wait, then in order of appearance; once the arrows are exact, first
  // by contended wait: the threads another thread kept waiting come first,
  // above those that only slept, joined or waited for work.
  st.lane_rows = tl.lanes_by_wait();
  st.lane_contended.clear();
  st.lane_rows_exact = exact != nullptr;
  if (exact) {
    st.lane_contended.assign(n, 0);
    for (size_t l = 0; l < n; l++) {
      const TimelineLane& lane = tl.lanes()[l];
      for (const ArrowIndex::Arrow& a : exact->into(l, 0, lane.calls.size()))
        if (!join_like(lane.calls[a.wait_call].futex)) st.lane_contended[l] += lane.calls[a.wait_call].dur_ns();
    }
    std::stable_sort(st.lane_rows.begin(), st.lane_rows.end(),
                     [&](uint32_t a, uint32_t b) { return st.lane_contended[a] > st.lane_contended[b]; });
  }
  if (!filter.empty())
    st.lane_rows.erase(std::remove_if(st.lane_rows.begin(), st.lane_rows.end(),
                                      [&](uint32_t l) { return !lane_matches(tl, tl.lanes()[l], filter); }),
                       st.lane_rows.end());
  // The quiet ones sort last (no wait); collapsed, they leave the rows.
  auto quiet_from = std::stable_partition(st.lane_rows.begin(), st.lane_rows.end(),
                                          [&](uint32_t l) { return !lane_is_quiet(tl.lanes()[l], open); });
  st.quiet_lanes = size_t(st.lane_rows.end() - quiet_from);
  if (!st.show_quiet) st.lane_rows.erase(quiet_from, st.lane_rows.end());
  st.row_of_lane.assign(n, UiState::kHiddenRow);
  for (uint32_t row = 0; row < st.lane_rows.size(); row++) st.row_of_lane[st.lane_rows[row]] = row;
  st.lane_rows_calls = tl.calls();
}

float timeline_content_height(const FrameContext& f) {
  size_t lanes;
  {
    std::lock_guard lk(f.data.timeline_mutex());
    const TimelineModel& tl = f.data.timeline();
    // The rows the lanes had at the last frame (the filter may hide some).
    const size_t rows = f.st.lane_rows_lanes == tl.lanes().size() ? f.st.lane_rows.size() : tl.lanes().size();
    lanes = rows + open_wait_lanes(tl, open_waits(f)) + (f.st.quiet_lanes ? 1 : 0);
  }
  const ImGuiStyle& s = ImGui::GetStyle();
  return ImGui::GetTextLineHeightWithSpacing() + kAxisH + float(lanes) * kLaneH + s.WindowPadding.y * 2 +
         s.ItemSpacing.y * 2 + 2;
}

void draw_timeline(FrameContext& f) {
  UiState& st = f.st;
  std::lock_guard lk(f.data.timeline_mutex());
  const TimelineModel& tl = f.data.timeline();
  update_colors(f);
  st.origin_ns = f.totals.extent.first_ns;  // rseq aborts and UMCG records too
  double total = double(f.totals.span_ns());  // the frame's: the seek bar says the same

  update_partner(st, tl);
  const std::vector<OpenWait> open = open_waits(f);
  const std::shared_ptr<const PairingSnapshot> paired = f.data.pairing();
  order_lanes(st, tl, f.growing, open, paired_wakes(paired.get()));
  // Header: the lane filter, then the selected call or what the marks mean.
  ImGui::SetNextItemWidth(kLabelW - 12);
  ImGui::InputTextWithHint("##lane_filter", "filter: pid, tid, name", st.lane_filter, sizeof st.lane_filter);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Show only the threads whose pid or tid this is, or whose thread or process name has it");
  ImGui::SameLine(kLabelW);
  if (!selection_line(st, tl)) {
    // As many whole entries of the legend as the width holds.
    std::string legend = leading_items_that_fit(
        {"bar = a wait that blocked, coloured by futex (table below)", "thin = call that did not block (wake, EAGAIN)",
         "translucent = calls folded at this zoom",
         st.arrows && st.arrows->exact() ? "arrow = wake -> the wait it ended"
                                         : "arrow = wake -> a wait it may have ended (paired by time)",
         "wheel: zoom  drag: pan"},
        "   ", ImGui::GetContentRegionAvail().x);
    ImGui::TextDisabled("%s", legend.c_str());
  }
  if (tl.calls() == 0 && open.empty()) {
    ImGui::Spacing();
    if (!f.progress.done)
      ImGui::TextDisabled("loading...");
    else if (f.futexes && f.futexes->summary)
      ImGui::TextWrapped("This trace was recorded with --summary: it holds per-futex aggregates, no individual "
                         "calls, so there is no timeline. The futex table below has the statistics.");
    else if (!f.data.reader_warnings().empty())
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn),
                         "no futex calls could be read: the trace is damaged (Trace tab)");
    else
      ImGui::TextDisabled("no futex calls in this trace");
    return;
  }
  if (st.fit_pending || st.view_span <= 0) {
    st.view_span = std::max(total, 1000.0) * 1.02;
    st.view_start = -std::max(total, 1000.0) * 0.01;
  }

  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 top = ImGui::GetCursorScreenPos();
  float full_w = ImGui::GetContentRegionAvail().x;
  float area_x0 = top.x + kLabelW;
  float width = std::max(50.0f, full_w - kLabelW);
  double ns_per_px = st.view_span / width;

  // The axis stays put; the lanes below scroll vertically.
  ImVec2 axis0(area_x0, top.y), axis1(area_x0 + width, top.y + kAxisH);
  float lanes_h = ImGui::GetContentRegionAvail().y - kAxisH;
  dl->AddText(ImVec2(top.x, top.y + 4), colors::kDimText, "time since first event");
  ImGui::Dummy(ImVec2(full_w, kAxisH));
  draw_axis(dl, axis0, axis1, st, ns_per_px, axis1.y + lanes_h);

  ImGui::BeginChild("lanes", ImVec2(0, 0), false, ImGuiWindowFlags_NoScrollWithMouse);
  ImDrawList* ldl = ImGui::GetWindowDrawList();
  const auto& lanes = tl.lanes();
  ImVec2 origin = ImGui::GetCursorScreenPos();
  float scroll_y = ImGui::GetScrollY();
  ImVec2 win0 = ImGui::GetWindowPos();
  ImVec2 win_size = ImGui::GetWindowSize();
  // Reserve the whole height so the child scrolls; one button takes the mouse.
  const size_t all_lanes = lanes.size() + open_wait_lanes(tl, open);
  ImGui::InvisibleButton("##lanes", ImVec2(std::max(1.0f, full_w), std::max(1.0f, float(all_lanes) * kLaneH)));
  bool hovered = ImGui::IsItemHovered();
  ImGuiIO& io = ImGui::GetIO();
  // A click is a release that did not drag (a drag pans).
  bool clicked = hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left) && io.MouseDragMaxDistanceSqr[0] < 9.0f;
  if (hovered && io.KeyShift && io.MouseWheel != 0) ImGui::SetScrollY(scroll_y - io.MouseWheel * kLaneH * 3);
  if (ImGui::IsWindowHovered(ImGuiHoveredFlags_ChildWindows) || ImGui::IsWindowFocused()) {
    handle_input(st, ImVec2(area_x0, win0.y), ImVec2(area_x0 + width, win0.y + win_size.y), total, hovered);
    ns_per_px = st.view_span / width;
  }

  const auto [t0, t1] = visible_ns(st);
  uint64_t min_ns = uint64_t(std::max(1.0, kMinItemPx * ns_per_px));
  auto x_of = [&](uint64_t t) {
    return area_x0 + float((double(int64_t(t - st.origin_ns)) - st.view_start) / ns_per_px);
  };
  const double playhead_abs = double(st.origin_ns) + st.playhead;
  ImVec2 mouse = io.MousePos;
  size_t first_row = size_t(std::max(0.0f, scroll_y / kLaneH));
  size_t last_row = std::min(st.lane_rows.size(), size_t((scroll_y + win_size.y) / kLaneH) + 1);
  ldl->PushClipRect(win0, ImVec2(win0.x + win_size.x, win0.y + win_size.y), true);
  bool tooltip_done = false;
  for (size_t row = first_row; row < last_row; row++) {
    const size_t li = st.lane_rows[row];
    const TimelineLane& lane = lanes[li];
    float y0 = origin.y + float(row) * kLaneH, y1 = y0 + kLaneH;
    // A hairline between lanes and a shaded label column, rather than a
    // filled band per lane: filled pixels are what a software renderer pays for.
    ldl->AddRectFilled(ImVec2(top.x, y0), ImVec2(area_x0, y1), row % 2 ? colors::kLaneOdd : colors::kLaneEven);
    ldl->AddLine(ImVec2(top.x, y1 - 0.5f), ImVec2(area_x0 + width, y1 - 0.5f), colors::kLaneLine);
    // Label: thread name and tid, then how long it waited in all.
    std::string label = lane_label(tl, lane);
    // Text is clipped on the CPU (the clip-rect argument of AddText) and bars
    // are clamped to the lane: a clip-rect push per lane or per label would
    // be one more draw call each, and draw calls are what llvmpipe pays for.
    ImVec4 label_clip(top.x, y0, area_x0 - 6, y1);
    ImFont* font = ImGui::GetFont();
    float fs = ImGui::GetFontSize();
    ldl->AddText(font, fs, ImVec2(top.x + 6, y0 + 2), colors::kAxisText, label.c_str(), nullptr, 0, &label_clip);
    const uint64_t contended = li < st.lane_contended.size() ? st.lane_contended[li] : 0;
    std::string sub = contended ? "contended " + format_ns(contended) + " of " + format_ns(lane.wait_ns)
                                : "waited " + format_ns(lane.wait_ns) + "  (" + std::to_string(lane.calls.size()) + " calls)";
    ldl->AddText(font, fs * 0.85f, ImVec2(top.x + 6, y0 + 18), colors::kDimText, sub.c_str(), nullptr, 0, &label_clip);

    st.items.clear();
    TimelineModel::fold(lane, t0, t1, min_ns, st.items);
    const TimelineItem* hover_item = nullptr;
    for (const TimelineItem& it : st.items) {
      const TimelineCall& c = lane.calls[it.longest];
      float x0 = std::max(x_of(it.t0), area_x0);
      float x1 = std::min(std::max(x_of(it.t1), x0 + 1), area_x0 + width);
      ImU32 col = st.timeline_colors[it.futex];
      const TimelineFutex& fx = tl.futexes()[it.futex];
      if (st.has_futex && st.highlight_futex && !(st.futex == FutexKey{fx.tgid, fx.uaddr})) col = dimmed(col);
      if (st.replay_active && double(it.t0) > playhead_abs) col = faded(col, 0.25f);
      bool queued = c.flags & kCallQueued;
      float by0 = queued ? y0 + 3 : y1 - 10, by1 = y1 - 3;
      if (it.count > 1) col = faded(col, queued ? 0.62f : 0.45f);
      else if (!queued) col = faded(col, 0.8f);
      ldl->AddRectFilled(ImVec2(x0, by0), ImVec2(x1, by1), col);
      if (it.count == 1 && queued && x1 - x0 > 30) {
        // Op and duration, else one of them, else nothing: never "FUTEX_WA".
        const std::string op = op_name(c.opi), dur = format_ns(c.dur_ns()), both = op + "  " + dur;
        std::string_view text = first_that_fits({both, op, dur}, x1 - x0 - 8, font, fs);
        if (!text.empty())
          ldl->AddText(font, fs, ImVec2(x0 + 4, by0 + 6), IM_COL32(15, 15, 20, 255), text.data(),
                       text.data() + text.size());
      }
      if (li == st.call_lane && c.enter_ns == st.call_enter_ns)
        ldl->AddRect(ImVec2(x0 - 1, by0 - 1), ImVec2(x1 + 1, by1 + 1), colors::kSelection, 0, 0, 2.0f);
      if (hovered && mouse.y >= y0 && mouse.y < y1 && mouse.x >= x0 - 1 && mouse.x <= x1 + 1) hover_item = &it;
    }

    if (hover_item && !tooltip_done) {
      tooltip_done = true;
      const TimelineCall& c = lane.calls[hover_item->longest];
      ImGui::BeginTooltip();
      if (hover_item->count > 1) {
        ImGui::Text("%u calls folded at this zoom (zoom in to see each)", hover_item->count);
        ImGui::TextDisabled("%s .. %s", format_time(double(hover_item->t0 - st.origin_ns)).c_str(),
                            format_time(double(hover_item->t1 - st.origin_ns)).c_str());
        ImGui::Separator();
        ImGui::TextDisabled("longest of those sampled:");
      }
      call_tooltip(f, tl, lane, c);
      ImGui::EndTooltip();
      if (clicked) {
        st.call_lane = li;
        st.call_enter_ns = c.enter_ns;
        const TimelineFutex& fx = tl.futexes()[c.futex];
        st.select_futex({fx.tgid, fx.uaddr});
      }
    } else if (clicked && mouse.y >= y0 && mouse.y < y1) {
      st.call_lane = SIZE_MAX;  // a click on empty lane space clears the call
    }
  }

  // Waits still open at the end: the thread's lane, or one of their own below.
  size_t extra = st.lane_rows.size();
  for (const OpenWait& w : open) {
    const size_t li = tl.find_lane(w.pid, w.tid);
    const bool own_lane = li == SIZE_MAX;
    if (!own_lane && st.row_of_lane[li] == UiState::kHiddenRow) continue;  // filtered out
    const size_t row = own_lane ? extra++ : st.row_of_lane[li];
    const float y0 = origin.y + float(row) * kLaneH, y1 = y0 + kLaneH;
    if (y1 < win0.y || y0 > win0.y + win_size.y) continue;  // scrolled out of view
    ImFont* font = ImGui::GetFont();
    const float fs = ImGui::GetFontSize();
    if (own_lane) {
      ldl->AddRectFilled(ImVec2(top.x, y0), ImVec2(area_x0, y1), row % 2 ? colors::kLaneOdd : colors::kLaneEven);
      ldl->AddLine(ImVec2(top.x, y1 - 0.5f), ImVec2(area_x0 + width, y1 - 0.5f), colors::kLaneLine);
      ImVec4 clip(top.x, y0, area_x0 - 6, y1);
      const std::string label = w.comm + "  " + std::to_string(w.tid);
      ldl->AddText(font, fs, ImVec2(top.x + 6, y0 + 2), colors::kAxisText, label.c_str(), nullptr, 0, &clip);
      ldl->AddText(font, fs * 0.85f, ImVec2(top.x + 6, y0 + 18), colors::kDimText, "blocked, no call recorded",
                   nullptr, 0, &clip);
    }
    const uint64_t from = w.since_ns ? w.since_ns : f.totals.extent.first_ns;
    const float x0 = std::max(x_of(from), area_x0), x1 = std::min(x_of(f.totals.extent.last_ns), area_x0 + width);
    if (x1 <= x0) continue;
    const float by0 = y0 + 3, by1 = y1 - 3;
    const ImU32 col = color_of(st, {w.pid, w.uaddr});
    ldl->AddRectFilled(ImVec2(x0, by0), ImVec2(x1, by1), faded(col, 0.35f));
    ldl->AddRect(ImVec2(x0, by0), ImVec2(x1, by1), colors::kWarn, 0, 0, 1.5f);
    // No right edge: the wait had not ended. An arrow says it goes on.
    ldl->AddTriangleFilled(ImVec2(x1 - 8, by0 + 4), ImVec2(x1 - 8, by1 - 4), ImVec2(x1 - 1, (by0 + by1) / 2),
                           colors::kWarn);
    ImVec4 clip(x0 + 4, by0, x1 - 12, by1);
    const std::string text = open_wait_text(w);
    ldl->AddText(font, fs, ImVec2(x0 + 4, by0 + 6), colors::kAxisText, text.c_str(), nullptr, 0, &clip);
    if (hovered && mouse.y >= y0 && mouse.y < y1 && mouse.x >= x0 && mouse.x <= x1 && !tooltip_done) {
      tooltip_done = true;
      ImGui::SetTooltip("%s\n%s (Blocked tab: holder and stack)", text.c_str(),
                        w.since_ns ? "began in the recording" : "began before the recording");
      if (clicked) st.select_futex({w.pid, w.uaddr});
    }
  }

  // The quiet threads' row, last: a click shows them (sorted last) or hides them again.
  if (st.quiet_lanes) {
    const float y0 = origin.y + float(extra) * kLaneH, y1 = y0 + kLaneH;
    if (y1 >= win0.y && y0 <= win0.y + win_size.y) {
      ldl->AddRectFilled(ImVec2(top.x, y0), ImVec2(area_x0, y1), extra % 2 ? colors::kLaneOdd : colors::kLaneEven);
      const std::string text = std::string(st.show_quiet ? "hide the " : "show ") + std::to_string(st.quiet_lanes) +
                               (st.quiet_lanes == 1 ? " quiet thread" : " quiet threads") +
                               " (no wait that blocked, no wake that woke anyone): click";
      ldl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(top.x + 6, y0 + 8), colors::kDimText, text.c_str());
      if (clicked && mouse.y >= y0 && mouse.y < y1) st.show_quiet = !st.show_quiet;
    }
  }

  // Every wake arrow into the waits in view, faint, under the selection's:
  // exact once the loader's wake pairing of the whole trace is in, else
  // (a trace without wake records, or a pairing past the memory limit)
  // paired by time.
  if (f.progress.done) {
    auto pairing = f.data.pairing();
    const bool exact = pairing && pairing->complete && pairing->report.wake_records;
    const bool coming = !exact && f.data.pairing_pending();
    if (exact && !(st.arrows && st.arrows->exact())) {
      st.arrows = std::make_unique<WakeArrows>();  // the old one (by time) is joined
      st.arrows->start(tl, std::shared_ptr<const std::vector<WakeAttribution>>(pairing, &pairing->attributed));
      st.arrows_restarted = true;
    } else if (!exact && !coming && !st.arrows) {
      st.arrows = std::make_unique<WakeArrows>();
      st.arrows->start(tl);  // loading is over: nothing writes the timeline any more
      st.arrows_restarted = true;
    }
  }
  // Until they are in (and while the trace still grows), those around the view.
  const ArrowIndex* arrows = st.arrows ? st.arrows->index() : nullptr;
  if (!arrows) arrows = st.live_arrows.update(tl, t0, t1);
  if (arrows) draw_wake_arrows(st, *arrows, tl, t0, t1, first_row, last_row, x_of, origin.y, ldl);

  // The arrow from the waking call to the wait it ended, for the selection.
  if (st.partner_lane < lanes.size() && st.call_lane < lanes.size() &&
      st.row_of_lane[st.partner_lane] != UiState::kHiddenRow && st.row_of_lane[st.call_lane] != UiState::kHiddenRow) {
    bool selected_is_wait = false;
    size_t si = TimelineModel::call_entered_at(lanes[st.call_lane], st.call_enter_ns);
    size_t pi = TimelineModel::call_entered_at(lanes[st.partner_lane], st.partner_enter_ns);
    if (si != SIZE_MAX && pi != SIZE_MAX) {
      selected_is_wait = is_wait_op(lanes[st.call_lane].calls[si].opi);
      size_t wake_lane = selected_is_wait ? st.partner_lane : st.call_lane;
      size_t wait_lane = selected_is_wait ? st.call_lane : st.partner_lane;
      const TimelineCall& wake = lanes[wake_lane].calls[selected_is_wait ? pi : si];
      const TimelineCall& wait = lanes[wait_lane].calls[selected_is_wait ? si : pi];
      ImVec2 a(x_of(wake.enter_ns), origin.y + (float(st.row_of_lane[wake_lane]) + 0.5f) * kLaneH);
      ImVec2 b(x_of(wait.exit_ns()), origin.y + (float(st.row_of_lane[wait_lane]) + 0.5f) * kLaneH);
      ImU32 col = IM_COL32(255, 255, 255, 230);
      ldl->AddCircleFilled(a, 3.5f, col);
      ldl->AddLine(a, b, col, 2.0f);
      float dir = b.y >= a.y ? 1.0f : -1.0f;  // arrowhead pointing into the woken lane
      ldl->AddTriangleFilled(b, ImVec2(b.x - 5, b.y - 9 * dir), ImVec2(b.x + 5, b.y - 9 * dir), col);
    }
  }

  // Playhead and the time under the mouse.
  if (st.replay_active || st.playing) {
    float px = area_x0 + float((st.playhead - st.view_start) / ns_per_px);
    if (px >= area_x0 && px <= area_x0 + width)
      ldl->AddLine(ImVec2(px, win0.y), ImVec2(px, win0.y + win_size.y), colors::kPlayhead, 2.0f);
  }
  ldl->PopClipRect();
  if (hovered && mouse.x >= area_x0) {
    ldl->AddLine(ImVec2(mouse.x, win0.y), ImVec2(mouse.x, win0.y + win_size.y), IM_COL32(255, 255, 255, 60));
    std::string s = format_time(st.view_start + (mouse.x - area_x0) * ns_per_px);
    dl->AddRectFilled(ImVec2(mouse.x + 2, axis0.y + 1), ImVec2(mouse.x + 8 + ImGui::CalcTextSize(s.c_str()).x, axis1.y - 1),
                      IM_COL32(60, 64, 72, 255));
    dl->AddText(ImVec2(mouse.x + 5, axis0.y + 3), IM_COL32(255, 255, 255, 255), s.c_str());
  }
  ImGui::EndChild();
}

// For the views that draw on the same time range (ui/time_view.h).
void draw_time_axis(ImDrawList* dl, ImVec2 a0, ImVec2 a1, const UiState& st, double ns_per_px, float grid_bottom) {
  draw_axis(dl, a0, a1, st, ns_per_px, grid_bottom);
}
void handle_time_input(UiState& st, ImVec2 area0, ImVec2 area1, double total, bool hovered) {
  handle_input(st, area0, area1, total, hovered);
}

}  // namespace fxs::ui
