// view_controls.cpp: the replay bar: play/pause, speed, a seek bar, fit,
// jump to the longest wait, and the loading progress.
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
    bool typing = ImGui::GetIO().WantTextInput;
    if (ImGui::Button(st.playing ? "Pause" : "Play", ImVec2(70, 0)) ||
        (!typing && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false))) {
      st.playing = !st.playing;
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
