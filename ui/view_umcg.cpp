// view_umcg.cpp: UMCG servers and workers (replay/umcg_lanes.h) as lanes on
// the timeline's visible range: a worker's lane is its umcg_task state over
// time (RUNNING, RUNNABLE, BLOCKED), labelled with the server that ran it;
// a server's lane shows which worker it ran when (its umcg_wait with
// next_tid), its own state in a strip below. Then the state transitions seen
// (those the protocol forbids in the warning colour) and the server -> worker
// switches.
//
// UMCG was never merged into mainline: on every kernel futexscope records
// on, the tab says so plainly. Lanes are found per frame with binary
// searches and short spans fold (UmcgLaneBuilder::fold), as in the timeline.
//
// Locks: the lanes are an immutable published object (SideModels::umcg()),
// taken under the side mutex and drawn without it; the timeline mutex is
// held only to read the trace's extent and the visible lanes' thread names,
// so no loader stage waits for this view to draw.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "imgui.h"
#include "replay/format.h"
#include "ui/palette.h"
#include "ui/text_fit.h"
#include "ui/time_view.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

constexpr float kLabelW = 200.0f;
constexpr float kAxisH = 24.0f;
constexpr float kLaneH = 32.0f;
constexpr float kMinItemPx = 3.0f;

// Not the Tableau colours of the futexes (palette.cpp), which the timeline
// above uses: a state must not read as a futex.
ImU32 state_color(uint32_t state) {
  switch (state & FXS_UMCG_TASK_MASK) {
    case FXS_UMCG_TASK_RUNNING: return IM_COL32(96, 184, 96, 255);    // green
    case FXS_UMCG_TASK_RUNNABLE: return IM_COL32(232, 192, 64, 255);  // yellow: ready, waiting for a server
    case FXS_UMCG_TASK_BLOCKED: return IM_COL32(216, 72, 80, 255);    // red: blocked in the kernel
    case FXS_UMCG_TASK_NONE: return IM_COL32(110, 114, 122, 255);     // grey: not registered
    default: return IM_COL32(190, 190, 255, 255);                     // not a state of the protocol
  }
}
// On a server's lane, the worker it runs, by the worker's own hue (also its
// label's swatch): cool hues, apart from the state colours above.
constexpr ImU32 kWorkerHues[] = {IM_COL32(100, 150, 240, 255), IM_COL32(180, 120, 240, 255),
                                 IM_COL32(80, 200, 225, 255),  IM_COL32(235, 130, 205, 255),
                                 IM_COL32(150, 165, 255, 255), IM_COL32(120, 225, 200, 255),
                                 IM_COL32(205, 165, 255, 255), IM_COL32(90, 115, 205, 255)};
constexpr size_t kNumHues = sizeof kWorkerHues / sizeof kWorkerHues[0];

const UmcgTask* task_of(const UmcgReport& r, uint32_t tgid, uint32_t tid) {
  auto it = std::lower_bound(r.tasks.begin(), r.tasks.end(), std::make_pair(tgid, tid),
                             [](const UmcgTask& t, std::pair<uint32_t, uint32_t> k) {
                               return std::make_pair(t.tgid, t.tid) < k;
                             });
  return it != r.tasks.end() && it->tgid == tgid && it->tid == tid ? &*it : nullptr;
}

void no_umcg(const FrameContext& f) {
  const std::string& kernel = f.data.header().kernel_release;
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kAxisText), "No UMCG in this trace.");
  ImGui::Spacing();
  ImGui::TextWrapped(
      "The recording kernel (%s) had no UMCG. UMCG (User Managed Concurrency Groups: user-space servers "
      "that run worker threads, the kernel telling a server when its worker blocks) was never merged into "
      "mainline Linux, and no distribution kernel carries it, so there was nothing to record; `futexscope "
      "probe` says \"umcg\": false on such a kernel.",
      kernel.empty() ? "Linux, release not recorded" : ("Linux " + kernel).c_str());
  ImGui::Spacing();
  ImGui::TextWrapped(
      "A trace from a kernel that carries it shows here one lane per server and worker: each task's state over "
      "time (RUNNING, RUNNABLE, BLOCKED) and which server ran which worker when.");
}

void legend() {
  const std::pair<const char*, uint32_t> kStates[] = {{"RUNNING", FXS_UMCG_TASK_RUNNING},
                                                      {"RUNNABLE (ready, no server)", FXS_UMCG_TASK_RUNNABLE},
                                                      {"BLOCKED (in the kernel)", FXS_UMCG_TASK_BLOCKED},
                                                      {"NONE (not registered)", FXS_UMCG_TASK_NONE}};
  for (const auto& [name, state] : kStates) {
    ImGui::PushID(name);
    ImGui::ColorButton("##s", ImGui::ColorConvertU32ToFloat4(state_color(state)), ImGuiColorEditFlags_NoTooltip,
                       ImVec2(11, 11));
    ImGui::PopID();
    ImGui::SameLine(0, 4);
    ImGui::TextUnformatted(name);
    ImGui::SameLine(0, 14);
  }
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A worker's lane is its umcg_task state; a label \"on N\" names the server that ran it.\n"
                      "A server's lane shows the worker it runs (umcg_wait with next_tid until the call returns)\n"
                      "in that worker's colour (the swatch at its name), \"runs N\" where there is room; the\n"
                      "strip below is the server's own state. A white top edge: PREEMPT or COND_WAIT was set.");
}

std::string lane_label(const TimelineModel& tl, const UmcgLane& l) {
  std::string name(tl.thread_name(l.tid));
  std::string role = l.role == UmcgRole::kServer ? "server " : l.role == UmcgRole::kWorker ? "worker " : "task ";
  return role + std::to_string(l.tid) + (name.empty() ? "" : "  " + name);
}

void span_tooltip(const UiState& st, const UmcgLane& lane, const UmcgLaneItem& it, bool serving) {
  ImGui::BeginTooltip();
  if (it.count > 1) {
    ImGui::Text("%u spans folded at this zoom (zoom in to see each)", it.count);
    ImGui::TextDisabled("the longest of those sampled:");
  }
  const std::vector<UmcgSpan>& v = serving ? lane.serving : lane.spans;
  const UmcgSpan& s = v[it.first];
  if (serving)
    ImGui::Text("server %u runs worker %u", lane.tid, it.peer);
  else
    ImGui::Text("%s %u: %s", umcg_role_name(lane.role), lane.tid, umcg_state_name(it.state).c_str());
  if (!serving && it.peer) ImGui::Text("run by server %u", it.peer);
  if (it.count == 1) {
    ImGui::Text("from   %s", format_time(double(int64_t(s.t0 - st.origin_ns))).c_str());
    ImGui::Text("for    %s", format_ns(s.t1 - s.t0).c_str());
  } else {
    ImGui::Text("%s .. %s", format_time(double(int64_t(it.t0 - st.origin_ns))).c_str(),
                format_time(double(int64_t(it.t1 - st.origin_ns))).c_str());
  }
  ImGui::EndTooltip();
}

void draw_lanes(FrameContext& f, const UmcgLaneSet& set, double total, float height) {
  UiState& st = f.st;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 top = ImGui::GetCursorScreenPos();
  float full_w = ImGui::GetContentRegionAvail().x;
  float area_x0 = top.x + kLabelW;
  float width = std::max(50.0f, full_w - kLabelW);
  double ns_per_px = st.view_span / width;
  ImGui::Dummy(ImVec2(full_w, kAxisH));
  dl->AddText(ImVec2(top.x, top.y + 4), colors::kDimText, "time since first event");
  draw_time_axis(dl, ImVec2(area_x0, top.y), ImVec2(area_x0 + width, top.y + kAxisH), st, ns_per_px,
                 top.y + height);

  ImGui::BeginChild("umcglanes", ImVec2(0, height - kAxisH), false, ImGuiWindowFlags_NoScrollWithMouse);
  ImDrawList* ldl = ImGui::GetWindowDrawList();
  const auto& lanes = set.lanes;
  ImVec2 origin = ImGui::GetCursorScreenPos();
  float scroll_y = ImGui::GetScrollY();
  ImVec2 win0 = ImGui::GetWindowPos(), win_size = ImGui::GetWindowSize();
  ImGui::InvisibleButton("##umcglanes", ImVec2(std::max(1.0f, full_w), std::max(1.0f, float(lanes.size()) * kLaneH)));
  bool hovered = ImGui::IsItemHovered();
  ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.KeyShift && io.MouseWheel != 0) ImGui::SetScrollY(scroll_y - io.MouseWheel * kLaneH * 3);
  if (hovered) {
    handle_time_input(st, ImVec2(area_x0, win0.y), ImVec2(area_x0 + width, win0.y + win_size.y), total, true);
    ns_per_px = st.view_span / width;
  }
  const auto [t0, t1] = visible_ns(st);
  uint64_t min_ns = uint64_t(std::max(1.0, kMinItemPx * ns_per_px));
  auto x_of = [&](uint64_t t) {
    return std::clamp(area_x0 + float((double(int64_t(t - st.origin_ns)) - st.view_start) / ns_per_px), area_x0,
                      area_x0 + width);
  };
  ImFont* font = ImGui::GetFont();
  float fs = ImGui::GetFontSize();
  ImVec2 mouse = io.MousePos;
  bool tooltip_done = false;
  std::vector<UmcgLaneItem> items;
  // Each worker's hue: by its place among the workers, in lane order.
  std::unordered_map<uint64_t, ImU32> hues;
  for (const UmcgLane& l : lanes)
    if (l.role != UmcgRole::kServer && l.serving.empty()) hues.emplace(uint64_t(l.tgid) << 32 | l.tid, kWorkerHues[hues.size() % kNumHues]);
  auto hue_of = [&](uint32_t tgid, uint32_t tid) {
    auto it = hues.find(uint64_t(tgid) << 32 | tid);
    return it == hues.end() ? colors::kDimText : it->second;
  };
  size_t first_lane = size_t(std::max(0.0f, scroll_y / kLaneH));
  size_t last_lane = std::min(lanes.size(), size_t((scroll_y + win_size.y) / kLaneH) + 1);
  std::vector<std::string> labels;  // of the visible lanes: names come from the timeline
  {
    std::lock_guard tl_lock(f.data.timeline_mutex());
    for (size_t li = first_lane; li < last_lane; li++) labels.push_back(lane_label(f.data.timeline(), lanes[li]));
  }
  for (size_t li = first_lane; li < last_lane; li++) {
    const UmcgLane& lane = lanes[li];
    // A task whose registration was not seen still shows whom it ran.
    const bool server = lane.role == UmcgRole::kServer || !lane.serving.empty();
    float y0 = origin.y + float(li) * kLaneH, y1 = y0 + kLaneH;
    ldl->AddRectFilled(ImVec2(top.x, y0), ImVec2(area_x0, y1), li % 2 ? colors::kLaneOdd : colors::kLaneEven);
    ldl->AddLine(ImVec2(top.x, y1 - 0.5f), ImVec2(area_x0 + width, y1 - 0.5f), colors::kLaneLine);
    ImVec4 clip(top.x, y0, area_x0 - 6, y1);
    const std::string& label = labels[li - first_lane];
    float lx = top.x + 6 + (server ? 0 : 14);  // workers indented under their server
    if (!server) ldl->AddRectFilled(ImVec2(lx - 12, y0 + 5), ImVec2(lx - 3, y0 + 14), hue_of(lane.tgid, lane.tid));
    ldl->AddText(font, fs, ImVec2(lx, y0 + 1), colors::kAxisText, label.c_str(), nullptr, 0, &clip);
    std::string sub;
    if (server) {
      sub = "ran workers " + format_ns(lane.serving_ns);
    } else if (const UmcgTask* t = task_of(set.report, lane.tgid, lane.tid)) {
      sub = "ran " + format_ns(t->time_in_state_ns[FXS_UMCG_TASK_RUNNING]) + "  ready " +
            format_ns(t->time_in_state_ns[FXS_UMCG_TASK_RUNNABLE]);
      if (t->unexpected) sub += "  " + std::to_string(t->unexpected) + " unexpected";
    }
    ldl->AddText(font, fs * 0.85f, ImVec2(lx, y0 + 17), colors::kDimText, sub.c_str(), nullptr, 0, &clip);

    auto draw_items = [&](const std::vector<UmcgSpan>& spans, bool serving, float by0, float by1) {
      items.clear();
      UmcgLaneBuilder::fold(spans, t0, t1, min_ns, items);
      for (const UmcgLaneItem& it : items) {
        if (!serving && (it.state & FXS_UMCG_TASK_MASK) == FXS_UMCG_TASK_NONE && it.count == 1) continue;
        float x0 = x_of(it.t0), x1 = std::max(x_of(it.t1), x0 + 1);
        ImU32 col = serving ? hue_of(lane.tgid, it.peer) : state_color(it.state);
        if (it.count > 1) col = faded(col, 0.6f);
        ldl->AddRectFilled(ImVec2(x0, by0), ImVec2(x1, by1), col);
        if (!serving && (it.state & FXS_UMCG_TF_MASK))
          ldl->AddLine(ImVec2(x0, by0 + 0.5f), ImVec2(x1, by0 + 0.5f), IM_COL32(255, 255, 255, 230), 2.0f);
        // Who runs whom, where there is room for it.
        if (it.count == 1 && it.peer && x1 - x0 > 20 && by1 - by0 > 12) {
          const std::string peer = std::to_string(it.peer), text = (serving ? "runs " : "on ") + peer;
          std::string_view fit = first_that_fits({text, peer}, x1 - x0 - 8, font, fs);  // whole numbers only
          if (!fit.empty())
            ldl->AddText(font, fs, ImVec2(x0 + 4, by0 + (by1 - by0 - fs) / 2), IM_COL32(15, 15, 20, 255), fit.data(),
                         fit.data() + fit.size());
        }
        if (!tooltip_done && hovered && mouse.y >= by0 && mouse.y < by1 && mouse.x >= x0 - 1 && mouse.x <= x1 + 1) {
          tooltip_done = true;
          span_tooltip(st, lane, it, serving);
        }
      }
    };
    if (server) {
      draw_items(lane.serving, true, y0 + 3, y1 - 10);
      draw_items(lane.spans, false, y1 - 8, y1 - 3);
    } else {
      draw_items(lane.spans, false, y0 + 3, y1 - 3);
    }
  }
  ImGui::EndChild();
}

void tables(const UmcgReport& r) {
  float w = ImGui::GetContentRegionAvail().x;
  float h = std::max(80.0f, ImGui::GetContentRegionAvail().y);
  ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV |
                       ImGuiTableFlags_SizingStretchProp;
  ImGui::BeginGroup();
  if (ImGui::BeginTable("transitions", 3, tf, ImVec2(w * 0.6f - 4, h))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("state transition", 0, 3.0f);
    ImGui::TableSetupColumn("count", 0, 1.0f);
    ImGui::TableSetupColumn("protocol", 0, 1.2f);
    ImGui::TableHeadersRow();
    ImGuiListClipper clip;
    clip.Begin(int(r.transitions.size()));
    while (clip.Step())
      for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
        const UmcgTransition& t = r.transitions[size_t(i)];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::Text("%s -> %s", umcg_state_name(t.from).c_str(), umcg_state_name(t.to).c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%llu", static_cast<unsigned long long>(t.count));
        ImGui::TableNextColumn();
        if (t.allowed)
          ImGui::TextDisabled("allowed");
        else
          ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "unexpected");
      }
    ImGui::EndTable();
  }
  ImGui::EndGroup();
  ImGui::SameLine();
  if (ImGui::BeginTable("switches", 3, tf, ImVec2(0, h))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("server");
    ImGui::TableSetupColumn("ran worker");
    ImGui::TableSetupColumn("times");
    ImGui::TableHeadersRow();
    ImGuiListClipper clip;
    clip.Begin(int(r.server_worker.size()));
    while (clip.Step())
      for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
        const UmcgEdge& e = r.server_worker[size_t(i)];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::Text("%u", e.server_tid);
        ImGui::TableNextColumn();
        ImGui::Text("%u", e.worker_tid);
        ImGui::TableNextColumn();
        ImGui::Text("%llu", static_cast<unsigned long long>(e.count));
      }
    ImGui::EndTable();
  }
}

// The published lanes: the side mutex only for copying the pointer.
std::shared_ptr<const UmcgLaneSet> published_lanes(const FrameContext& f) {
  std::lock_guard lk(f.data.side_mutex());
  return f.data.side().umcg();
}

}  // namespace

std::string umcg_tab_label(const FrameContext& f) {
  size_t n = published_lanes(f)->lanes.size();
  if (n == 0) return "UMCG###umcg";
  return "UMCG (" + std::to_string(n) + " tasks)###umcg";
}

void draw_umcg(FrameContext& f) {
  UiState& st = f.st;
  const std::shared_ptr<const UmcgLaneSet> lanes = published_lanes(f);
  const UmcgLaneSet& set = *lanes;
  if (set.report.records == 0) {
    if (!f.progress.done)
      ImGui::TextDisabled("loading...");
    else
      no_umcg(f);
    return;
  }
  const double total = double(f.totals.span_ns());  // the frame's, as the timeline's
  const UmcgReport& r = set.report;
  size_t servers = 0, workers = 0, unknown = 0;
  for (const UmcgLane& l : set.lanes)
    (l.role == UmcgRole::kServer ? servers : l.role == UmcgRole::kWorker ? workers : unknown)++;
  ImGui::Text("%zu servers, %zu workers   calls: umcg_ctl %llu  umcg_wait %llu  umcg_kick %llu", servers, workers,
              static_cast<unsigned long long>(r.calls[0]), static_cast<unsigned long long>(r.calls[1]),
              static_cast<unsigned long long>(r.calls[2]));
  if (unknown) {
    ImGui::SameLine();
    ImGui::TextDisabled("%zu of unknown role (registration not recorded)", unknown);
  }
  auto warn = [](const char* what, uint64_t n) {
    if (!n) return;
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "%llu %s", static_cast<unsigned long long>(n),
                       what);
  };
  warn("failed calls", r.failed_calls);
  warn("unreadable umcg_task", r.unreadable);
  warn("malformed records", r.malformed);
  warn("records out of time order", r.disordered);
  warn("unexpected transitions", r.unexpected_transitions);
  legend();

  fit_view_if_pending(st, f.progress.calls, total);
  float avail = ImGui::GetContentRegionAvail().y;
  float lanes_h = kAxisH + float(set.lanes.size()) * kLaneH + 4;
  float h = std::max(kAxisH + kLaneH * 2, std::min(lanes_h, avail * 0.62f));
  draw_lanes(f, set, total, h);
  ImGui::Spacing();
  tables(r);
}

}  // namespace fxs::ui
