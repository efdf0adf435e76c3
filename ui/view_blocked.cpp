// view_blocked.cpp: the threads that were blocked in a futex call when the
// recording ended (replay/blocked_model.h): a banner above the timeline for
// each deadlock, whose button selects the cycle's first futex and opens the
// "Blocked" tab, and that tab: one row per blocked thread, with the lock's
// holder and what the holder was doing.
#include <cinttypes>
#include <map>
#include <string>

#include "imgui.h"
#include "replay/format.h"
#include "ui/palette.h"
#include "ui/ui_state.h"

namespace fxs::ui {

std::string blocked_tab_label(const FrameContext& f) {
  std::lock_guard lk(f.data.side_mutex());
  const BlockedReport& r = f.data.side().blocked();
  size_t n = 0;
  for (const auto& t : r.threads) n += t.in_futex;
  return r.recorded ? "Blocked (" + std::to_string(n) + ")###blocked" : "Blocked###blocked";
}

void draw_deadlock_banner(FrameContext& f) {
  std::lock_guard lk(f.data.side_mutex());
  const BlockedReport& r = f.data.side().blocked();
  for (size_t i = 0; i < r.graph.deadlocks.size(); i++) {
    const Deadlock& d = r.graph.deadlocks[i];
    std::string cycle;
    for (size_t k = 0; k < d.threads.size(); k++)
      cycle += std::to_string(d.threads[k]) + " -(" + format_uaddr(d.futexes[k]) + ")-> ";
    cycle += std::to_string(d.threads[0]);
    ImGui::PushID(int(i));
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "DEADLOCK: %zu threads wait on each other: %s",
                       d.threads.size(), cycle.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("show")) {
      uint32_t pid = 0;
      for (const auto& t : r.threads)
        if (t.tid == d.threads[0]) pid = t.pid;
      f.st.select_futex({pid, d.futexes[0]});
      f.st.open_tab = "blocked";
    }
    ImGui::PopID();
  }
}

void draw_blocked(FrameContext& f) {
  std::lock_guard lk(f.data.side_mutex());
  const BlockedReport& r = f.data.side().blocked();
  if (!r.recorded) {
    ImGui::TextWrapped(
        "No look at the traced process's threads in this trace: `record -p PID` and `record -- COMMAND` end with "
        "one (a --summary or system-wide recording has none). `futexscope stuck -p PID` looks at a live process.");
    return;
  }
  const auto by_tid = threads_by_tid(r.threads);
  if (!r.at_end) ImGui::TextDisabled("The trace ends early: this is what was blocked when the recording began.");
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_Resizable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("blocked", 6, flags)) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("thread");
  ImGui::TableSetupColumn("op");
  ImGui::TableSetupColumn("futex");
  ImGui::TableSetupColumn("held by");
  ImGui::TableSetupColumn("holder is");
  ImGui::TableSetupColumn("user stack, innermost first (hover a thread for all)", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  std::vector<const ThreadSnapshot*> rows;
  for (const auto& t : r.threads)
    if (t.in_futex) rows.push_back(&t);
  ImGuiListClipper clip;
  clip.Begin(int(rows.size()));
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const ThreadSnapshot& t = *rows[size_t(i)];
      const uint64_t uaddr = t.uaddrs.empty() ? 0 : t.uaddrs[0];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      const bool selected = f.st.has_futex && f.st.futex == FutexKey{t.pid, uaddr};
      const std::string label = std::to_string(t.tid) + " " + t.comm + "##" + std::to_string(t.tid);
      if (ImGui::Selectable(label.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns))
        f.st.select_futex({t.pid, uaddr});
      if (ImGui::IsItemHovered() && !t.stack.empty()) {
        std::string stack;
        for (const auto& fr : t.stack) stack += fr + "\n";
        ImGui::SetTooltip("%s", stack.c_str());
      }
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.op.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(uaddr ? format_uaddr(uaddr).c_str() : "-");
      ImGui::TableNextColumn();
      if (t.owner_tid) {
        ImGui::Text("%u", t.owner_tid);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("read from the lock: %s", t.owner_source.c_str());
      } else {
        ImGui::TextDisabled("unknown");
      }
      ImGui::TableNextColumn();
      if (t.owner_tid) {
        auto it = by_tid.find(t.owner_tid);
        ImGui::TextUnformatted(it == by_tid.end() ? "exited" : thread_activity(*it->second).c_str());
      }
      ImGui::TableNextColumn();
      std::string user;
      for (const auto& fr : t.stack)
        if (fr.rfind("[k] ", 0) != 0) user += (user.empty() ? "" : " < ") + fr;
      ImGui::TextUnformatted(user.c_str());
    }
  }
  ImGui::EndTable();
}

}  // namespace fxs::ui
