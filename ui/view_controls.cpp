// view_controls.cpp: the replay bar: live follow and its window, play/pause,
// speed, a seek bar, fit, jump to the longest wait, and the loading progress.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>

#include "imgui.h"
#include "replay/format.h"
#include "ui/palette.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

// A logarithmic slider with its value written beside it, not inside: the
// knob sat on the text and covered it. The label keeps the width of
// `widest` so the buttons after it do not move as the value changes.
void slider_labelled_beside(const char* id, float* v, float lo, float hi, float width, const char* label,
                            const char* widest, const char* tooltip) {
  ImGui::SetNextItemWidth(width);
  ImGui::SliderFloat(id, v, lo, hi, "", ImGuiSliderFlags_Logarithmic);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
  ImGui::SameLine(0, ImGui::GetStyle().ItemInnerSpacing.x);
  const float x = ImGui::GetCursorPosX();
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted(label);
  ImGui::SameLine(x + ImGui::CalcTextSize(widest).x + ImGui::GetStyle().ItemSpacing.x);
}

void jump_to_longest(FrameContext& f, const TimelineModel& tl) {
  const auto& lw = tl.longest_wait();
  if (lw.lane == SIZE_MAX) return;
  UiState& st = f.st;
  const auto& lane = tl.lanes()[lw.lane];
  size_t i = TimelineModel::first_entering_at_or_after(lane, lw.enter_ns);
  if (i >= lane.calls.size()) return;
  st.call_lane = lw.lane;
  st.call_enter_ns = lw.enter_ns;
  const auto& fx = tl.futexes()[lane.calls[i].futex];
  st.select_futex({fx.tgid, fx.uaddr});
  double t0 = double(lw.enter_ns - st.origin_ns);
  st.show_range(t0, t0 + double(lw.dur_ns));
  st.playhead = t0 + double(lw.dur_ns);
  st.replay_active = st.playing = false;
}

// Live (ui/live_follow.h): the Follow button, End, and the window's length.
void live_controls(FrameContext& f, double total) {
  UiState& st = f.st;
  if (!f.growing) {
    if (st.live.frame(false, total, &st.view_start, &st.view_span) == LiveFollow::Step::kFitAll)
      st.fit_pending = true;
    return;
  }
  bool typing = ImGui::GetIO().WantTextInput;
  if (!typing && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End), false)) st.live.on = true;
  if (st.live.on) {
    ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
    if (ImGui::Button("Following", ImVec2(90, 0))) st.live.on = false;
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Showing the newest data as it arrives: click, pan or zoom to pause");
  } else {
    if (ImGui::Button("Follow", ImVec2(90, 0))) st.live.on = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Paused: follow the newest data again (End)");
  }
  ImGui::SameLine();
  char window[32];
  std::snprintf(window, sizeof window, "last %.0f s", double(st.live.window_s));
  slider_labelled_beside("##window", &st.live.window_s, 1.0f, 600.0f, 100, window, "last 600 s",
                         "How much of the newest data to show while following");
  ImGui::SameLine();
  if (st.live.frame(true, total, &st.view_start, &st.view_span) == LiveFollow::Step::kFollow) {
    st.playing = st.replay_active = false;
    st.fit_pending = false;
  }
}

}  // namespace

void draw_controls(FrameContext& f) {
  UiState& st = f.st;
  double total = 0;
  {
    std::lock_guard lk(f.data.timeline_mutex());
    const TimelineModel& tl = f.data.timeline();
    st.origin_ns = f.totals.extent.first_ns;  // rseq aborts and UMCG records too
    total = double(f.totals.span_ns());
    live_controls(f, total);
    bool typing = ImGui::GetIO().WantTextInput;
    if (ImGui::Button(st.playing ? "Pause" : "Play", ImVec2(70, 0)) ||
        (!typing && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false))) {
      st.playing = !st.playing;
      st.live.on = false;  // a replay moves the view itself
      st.replay_active = true;
      st.fit_pending = false;
      if (st.playing && st.playhead >= total) st.playhead = 0;
      if (st.playing && (st.playhead < st.view_start || st.playhead > st.view_start + st.view_span))
        st.playhead = std::max(0.0, st.view_start);
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Replay the trace: a playhead moves through time (Space)");
    ImGui::SameLine();
    char speed[32];
    std::snprintf(speed, sizeof speed, "speed %.1fx", double(st.speed));
    slider_labelled_beside("##speed", &st.speed, 0.1f, 100.0f, 110, speed, "speed 100.0x",
                           "Replay speed: 1x is real time (0.1x to 100x)");
    ImGui::SameLine();
    if (ImGui::Button("Fit")) {
      st.fit_pending = true;
      st.replay_active = st.playing = false;
      st.live.on = false;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Show the whole trace (Home)");
    ImGui::SameLine();
    if (ImGui::Button("Jump to longest wait")) jump_to_longest(f, tl);
    ImGui::SameLine();
    if (ImGui::Button("Zoom to selection") && st.call_lane < tl.lanes().size()) {
      const auto& lane = tl.lanes()[st.call_lane];
      size_t i = TimelineModel::first_entering_at_or_after(lane, st.call_enter_ns);
      if (i < lane.calls.size()) {
        double t0 = double(lane.calls[i].enter_ns - st.origin_ns);
        st.show_range(t0, t0 + double(lane.calls[i].dur_ns()));
      }
    }
    ImGui::SameLine();
  }

  // The seek bar takes the rest of the row, minus room for the load progress.
  bool loading = !f.progress.done && f.live.empty();  // live data never "finishes" loading
  float progress_w = loading ? 260.0f : 0.0f;
  ImGui::SetNextItemWidth(std::max(100.0f, ImGui::GetContentRegionAvail().x - progress_w));
  float pos_ms = float(std::clamp(st.playhead, 0.0, total) / 1e6);
  // The length in the words the status bar uses for it (one number, one format).
  st.seek_text = format_time(double(pos_ms) * 1e6) + " of " + format_ns(shown_duration_ns(f.totals, *f.futexes));
  std::string fmt;  // a format with no conversion: ImGui shows it as it is
  for (char c : st.seek_text) fmt += c == '%' ? "%%" : std::string(1, c);
  if (ImGui::SliderFloat("##seek", &pos_ms, 0.0f, float(total / 1e6), fmt.c_str())) {
    st.live.on = false;
    st.playhead = double(pos_ms) * 1e6;
    st.replay_active = true;
    st.fit_pending = false;
    st.view_start = st.playhead - st.view_span / 2;  // centre the view on the playhead
  }
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Seek: move the playhead; the timeline follows");
  if (loading) {
    ImGui::SameLine();
    float frac = f.progress.file_bytes ? float(double(f.progress.bytes_read) / double(f.progress.file_bytes)) : 0.0f;
    char label[96];
    std::snprintf(label, sizeof label, "loading: %s calls", thousands(f.totals.calls).c_str());
    ImGui::ProgressBar(std::min(frac, 1.0f), ImVec2(-1, 0), label);
  }

  // The view follows a playing playhead, keeping it at three quarters of the width.
  if (st.playing) {
    if (st.playhead >= total) {
      st.playhead = total;
      st.playing = false;
      st.animate = true;  // one more frame, so the button says Play again
    }
    if (st.playhead > st.view_start + st.view_span * 0.75 || st.playhead < st.view_start)
      st.view_start = st.playhead - st.view_span * 0.75;
  }
}

}  // namespace fxs::ui
