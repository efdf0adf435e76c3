// view_numa.cpp: the NUMA tab. The wake matrix (rows: the waker's node,
// columns: the woken thread's node) as a heat map of counts with the waking ->
// return latency of each cell, then every futex with its page's node, the
// share of its wakes that crossed nodes and of its calls that ran off the
// page's node (mostly remote ones in orange), and its FUTEX2_NUMA/MPOL calls.
// The data is the loader's wake pairing (ui/ingest_worker.h), paired in the
// same pass as everything else and finished once the trace is loaded; while
// live, finished again every few seconds from a copy of the growing models.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "imgui.h"
#include "replay/format.h"
#include "replay/numa_report.h"
#include "ui/pairing_finisher.h"
#include "ui/palette.h"
#include "ui/text_fit.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

// While a trace grows, pair it again at most this often, and at most a fifth
// of the time: each time copies the models of every wait so far.
constexpr auto kLiveRefresh = std::chrono::seconds(3);
constexpr double kLiveRefreshShare = 5;

std::string percent(uint64_t part, uint64_t whole) {
  if (!whole) return "-";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * double(part) / double(whole));
  return buf;
}

// A cell's colour: from the lane background to a warm orange by count / max;
// crossing cells (off the diagonal) in orange, same-node cells in blue.
ImU32 heat(uint64_t n, uint64_t max, bool cross) {
  if (!n || !max) return colors::kLaneEven;
  float t = 0.25f + 0.75f * float(double(n) / double(max));
  ImVec4 base = cross ? ImVec4(0.93f, 0.55f, 0.16f, 1) : ImVec4(0.31f, 0.56f, 0.80f, 1);
  return ImGui::GetColorU32(ImVec4(base.x * t + 0.13f * (1 - t), base.y * t + 0.14f * (1 - t),
                                   base.z * t + 0.16f * (1 - t), 1));
}

void matrix(const NumaReport& r) {
  if (r.nodes > 64) {
    ImGui::TextWrapped("%u nodes: too many to draw as a matrix here; `futexscope report FILE --format json` "
                       "has numa.wake_matrix.", r.nodes);
    return;
  }
  uint64_t max = 0;
  for (const auto& row : r.wake_matrix)
    for (uint64_t n : row) max = std::max(max, n);
  const float cell_w = std::clamp((ImGui::GetContentRegionAvail().x - 90) / float(r.nodes), 70.0f, 150.0f);
  const float cell_h = ImGui::GetTextLineHeight() * 2 + 12;
  ImGuiTableFlags tf = ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX;
  float table_h = std::min(ImGui::GetTextLineHeight() + 8 + cell_h * float(r.nodes) + 6, 320.0f);
  if (!ImGui::BeginTable("wake_matrix", int(r.nodes) + 1, tf, ImVec2(0, table_h))) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  ImGui::TableSetupColumn("waker \\ woken", ImGuiTableColumnFlags_WidthFixed, 90);
  for (uint32_t j = 0; j < r.nodes; j++)
    ImGui::TableSetupColumn(("-> node " + std::to_string(j)).c_str(), ImGuiTableColumnFlags_WidthFixed, cell_w);
  ImGui::TableHeadersRow();
  for (uint32_t i = 0; i < r.nodes; i++) {
    ImGui::TableNextRow(ImGuiTableRowFlags_None, cell_h);
    ImGui::TableNextColumn();
    ImGui::Text("node %u", i);
    for (uint32_t j = 0; j < r.nodes; j++) {
      ImGui::TableNextColumn();
      const uint64_t n = r.wake_matrix[i][j];
      const NumaLatency& c = r.wake_latency[i][j];
      ImGui::TableSetBgColor(ImGuiTableBgTarget_CellBg, heat(n, max, i != j));
      ImGui::BeginGroup();
      ImGui::Text("%llu", static_cast<unsigned long long>(n));
      if (c.samples)
        ImGui::Text("%s / %s", format_ns(c.p50_ns).c_str(), format_ns(c.p99_ns).c_str());
      else
        ImGui::TextDisabled("-");
      ImGui::EndGroup();
      if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::Text("node %u woke node %u: %llu threads (%s of all wakes)", i, j,
                    static_cast<unsigned long long>(n), percent(n, r.wakes).c_str());
        if (c.samples)
          ImGui::Text("waking -> return: p50 %s  p99 %s  max %s  mean %s  (%llu seen by sched_waking)",
                      format_ns(c.p50_ns).c_str(), format_ns(c.p99_ns).c_str(), format_ns(c.max_ns).c_str(),
                      format_ns(c.total_ns / c.samples).c_str(), static_cast<unsigned long long>(c.samples));
        ImGui::EndTooltip();
      }
    }
  }
  ImGui::EndTable();
}

void futex_table(FrameContext& f, const NumaReport& r) {
  std::vector<const NumaFutex*> v;  // in the report's order by calls: no sort per frame
  for (uint32_t i : r.by_calls) {
    const NumaFutex& x = r.futexes[i];
    if (x.page_node != kPageNodeUnknown || x.wakes || x.futex2_numa || x.futex2_mpol) v.push_back(&x);
  }
  ImGui::Text("Futexes and their pages (%zu)", v.size());
  // Columns as wide as their content and header: a narrow panel scrolls
  // sideways rather than cutting "NUMA/MPOL" to "NU...".
  ImGuiTableFlags tf = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | kContentWidthTable;
  if (!ImGui::BeginTable("numa_futexes", 6, tf, ImVec2(0, 0))) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  ImGui::TableSetupColumn("futex");
  ImGui::TableSetupColumn("page");
  ImGui::TableSetupColumn("wakes across");
  ImGui::TableSetupColumn("calls remote");
  ImGui::TableSetupColumn("NUMA/MPOL");
  ImGui::TableSetupColumn("calls");
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin(int(v.size()));
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const NumaFutex& x = *v[size_t(i)];
      const FutexKey key{x.tgid, x.uaddr};
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImVec2 p = ImGui::GetCursorScreenPos();
      float sw = ImGui::GetTextLineHeight() * 0.7f;
      ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + 3), ImVec2(p.x + sw, p.y + 3 + sw),
                                                color_of(f.st, key));
      ImGui::Dummy(ImVec2(sw, 0));
      ImGui::SameLine();
      const bool selected = f.st.has_futex && f.st.futex == key;
      std::string label = std::to_string(x.tgid) + " " + format_uaddr(x.uaddr);
      if (ImGui::Selectable(label.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns)) f.st.select_futex(key);
      ImGui::TableNextColumn();
      std::string page = page_node_text(x.page_node);
      if (x.page_moves) page += " (moved " + std::to_string(x.page_moves) + "x)";
      if (x.page_node >= 0) {
        ImGui::TextUnformatted(page.c_str());
      } else {
        ImGui::TextDisabled("%s", page.c_str());
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("move_pages(2) answered %s: ESRCH/EINVAL = the process had exited before the\n"
                            "recorder asked (it asks when it drains the first record naming the page,\n"
                            "every 0.1 s); ENOENT = the page was not present; EFAULT = not mapped.",
                            page.c_str());
      }
      ImGui::TableNextColumn();
      ImGui::Text("%s of %llu", percent(x.cross_node_wakes, x.wakes).c_str(), static_cast<unsigned long long>(x.wakes));
      ImGui::TableNextColumn();
      const uint64_t known = x.local_calls + x.remote_calls;
      if (x.mostly_remote())
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "%s (mostly remote)",
                           percent(x.remote_calls, known).c_str());
      else
        ImGui::TextUnformatted(percent(x.remote_calls, known).c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%llu / %llu", static_cast<unsigned long long>(x.futex2_numa),
                  static_cast<unsigned long long>(x.futex2_mpol));
      ImGui::TableNextColumn();
      ImGui::Text("%llu", static_cast<unsigned long long>(x.calls));
    }
  }
  ImGui::EndTable();
}

}  // namespace

std::shared_ptr<const PairingSnapshot> wake_pairing(FrameContext& f, const char* what) {
  auto snap = f.data.pairing();
  // A growing trace: what was loaded since, paired on the side now and then.
  const auto now = std::chrono::steady_clock::now();
  const auto every = std::max<std::chrono::steady_clock::duration>(
      kLiveRefresh, std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(snap ? snap->seconds * kLiveRefreshShare : 0)));
  if (f.growing && (!snap || snap->generation != f.data.generation()) && now - f.st.pairing_asked_at >= every) {
    f.data.refresh_pairing();
    f.st.pairing_asked_at = now;
  }
  if (snap) return snap;
  if (std::string missing = f.data.pairing_missing(); !missing.empty()) {
    ImGui::TextWrapped("%s: %s", what, missing.c_str());
    return nullptr;
  }
  f.st.animate = true;  // draw again when it is in
  ImGui::TextDisabled("%s: %s", what,
                      f.progress.done || f.growing ? "pairing every wait with its wake..."
                                                   : "computed once the trace is loaded");
  return nullptr;
}

void draw_numa(FrameContext& f) {
  auto snap = wake_pairing(f, "NUMA view");
  if (!snap) return;
  const NumaReport& r = snap->report;
  ImGui::Text("%u NUMA node%s", r.nodes, r.nodes == 1 ? "" : "s");
  ImGui::SameLine();
  if (r.wake_records) {
    ImGui::Text("| %llu threads woken by futex wake calls, %s across nodes",
                static_cast<unsigned long long>(r.wakes), percent(r.cross_node_wakes, r.wakes).c_str());
    if (r.unknown_node_wakes) {
      ImGui::SameLine();
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "(%llu with an unknown node)",
                         static_cast<unsigned long long>(r.unknown_node_wakes));
    }
  } else {
    ImGui::TextDisabled("| no wake records (a --summary trace): no wake matrix");
  }
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("rows: waker's node, columns: woken thread's node; count, then p50 / p99 waking -> return");
  ImGui::PopStyleColor();
  matrix(r);
  if (r.page_records == 0)
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn),
                       "No page nodes in this trace (recorded by an older futexscope?)");
  ImGui::Spacing();
  futex_table(f, r);
}

}  // namespace fxs::ui
