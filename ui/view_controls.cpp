// view_controls.cpp: the replay bar: live follow and its window, play/pause,
// speed, a seek bar, fit, jump to the longest wait, and the loading progress.
#include <algorithm>
#include <cstdio>
#include <mutex>

#include "imgui.h"
#include "ui/palette.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

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
  ImGui::SetNextItemWidth(130);
  ImGui::SliderFloat("##window", &st.live.window_s, 1.0f, 600.0f, "last %.0f s", ImGuiSliderFlags_Logarithmic);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("How much of the newest data to show while following");
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
    TraceExtent ext = trace_extent(tl, f.data.side());  // rseq aborts and UMCG records too
    st.origin_ns = ext.first_ns;
    total = double(ext.last_ns - ext.first_ns);
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
    ImGui::SetNextItemWidth(150);
    ImGui::SliderFloat("##speed", &st.speed, 0.1f, 100.0f, "speed %.1fx", ImGuiSliderFlags_Logarithmic);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Replay speed: 1x is real time (0.1x to 100x)");
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
  char fmt[64];
  std::snprintf(fmt, sizeof fmt, "%%.3f ms of %.3f ms", total / 1e6);
  if (ImGui::SliderFloat("##seek", &pos_ms, 0.0f, float(total / 1e6), fmt)) {
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
    std::snprintf(label, sizeof label, "loading %.1fM calls", double(f.progress.calls) / 1e6);
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
