// view_buckets.cpp: the kernel's futex hash buckets. A heat map of the most
// fought-over buckets (rows) across the visible time range (columns; colour =
// time spun on the bucket's lock), then every listed bucket with the futexes
// that share it, and each process's private table with advice.
// Data: BucketReport (replay/bucket_model.h) from the futex thread's snapshot.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "imgui.h"
#include "replay/bucket_report.h"
#include "replay/format.h"
#include "ui/palette.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

constexpr size_t kHeatRows = 12;
constexpr float kCellWidth = 6.0f;

std::string bucket_label(const BucketId& id) {
  char buf[64];
  if (id.table == FXS_BUCKET_PRIVATE)
    std::snprintf(buf, sizeof(buf), "pid %u #%u", id.tgid, id.index);
  else
    std::snprintf(buf, sizeof(buf), "global n%u #%u", id.node, id.index);
  return buf;
}

// Dark blue-grey for nothing, through orange to hot red: log scale of spin time.
ImU32 heat_color(double v, double peak) {
  if (v <= 0 || peak <= 0) return IM_COL32(40, 44, 52, 255);
  float t = float(std::log1p(v) / std::log1p(peak));
  t = std::clamp(t, 0.0f, 1.0f);
  auto mix = [t](int a, int b) { return int(a + (b - a) * t); };
  return IM_COL32(mix(90, 250), mix(60, 70), mix(40, 40), 255);
}

void bucket_tooltip(const BucketStats& b) {
  ImGui::BeginTooltip();
  ImGui::Text("%s bucket %s", bucket_table_name(b.id.table), bucket_label(b.id).c_str());
  ImGui::Text("%llu spins, %s spun on its lock", (unsigned long long)b.contended, format_ns(b.spin_ns).c_str());
  ImGui::Text("%zu futexes hash here%s", b.futexes.size(),
              b.processes.size() > 1 ? " (from several processes)" : "");
  for (size_t i = 0; i < b.futexes.size() && i < 8; i++)
    ImGui::BulletText("pid %u  %s", b.futexes[i].first, format_uaddr(b.futexes[i].second).c_str());
  if (b.futexes.size() > 8) ImGui::TextDisabled("... %zu more", b.futexes.size() - 8);
  ImGui::EndTooltip();
}

void select_first_futex(FrameContext& f, const BucketStats& b) {
  if (!b.futexes.empty()) f.st.select_futex({b.futexes[0].first, b.futexes[0].second});
}

void draw_heat_map(FrameContext& f, const BucketReport& r) {
  size_t rows = 0;
  while (rows < r.buckets.size() && rows < kHeatRows && r.buckets[rows].contended > 0) rows++;
  if (rows == 0) {
    ImGui::TextDisabled("No bucket lock was seen contended.");
    if (r.verification.contentions == 0) ImGui::TextWrapped("(%s)", kNoLockContentionNote);
    return;
  }
  const UiState& st = f.st;
  const float label_w = ImGui::CalcTextSize("global n00 #00000").x + 8;
  const float row_h = ImGui::GetTextLineHeight() + 2;
  const float w = std::max(60.0f, ImGui::GetContentRegionAvail().x - label_w);
  const size_t bins = std::max<size_t>(8, size_t(w / kCellWidth));
  const double span = st.view_span > 0 ? st.view_span : 1;
  const double bin_ns = span / double(bins);

  // Spin time per row and bin: two binary searches in the row's running sums
  // per cell, so the cost does not grow with the trace.
  std::vector<double> grid(rows * bins, 0.0);
  auto at = [&](size_t bin) {
    double t = double(st.origin_ns) + st.view_start + double(bin) * bin_ns;
    return t <= 0 ? uint64_t(0) : uint64_t(t);
  };
  for (size_t row = 0; row < rows; row++)
    for (size_t bin = 0; bin < bins; bin++)
      grid[row * bins + bin] = double(r.buckets[row].spin_between(at(bin), at(bin + 1)));
  const double peak = *std::max_element(grid.begin(), grid.end());

  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 p = ImGui::GetCursorScreenPos();
  const float cell_w = w / float(bins);
  ImVec2 mouse = ImGui::GetIO().MousePos;
  for (size_t row = 0; row < rows; row++) {
    const BucketStats& b = r.buckets[row];
    float y = p.y + row * row_h;
    dl->AddText(ImVec2(p.x, y), colors::kAxisText, bucket_label(b.id).c_str());
    for (size_t bin = 0; bin < bins; bin++) {
      ImVec2 a(p.x + label_w + bin * cell_w, y), z(a.x + cell_w - 1, y + row_h - 1);
      dl->AddRectFilled(a, z, heat_color(grid[row * bins + bin], peak));
    }
  }
  ImGui::InvisibleButton("heat", ImVec2(label_w + w, rows * row_h));
  if (ImGui::IsItemHovered()) {
    size_t row = size_t((mouse.y - p.y) / row_h);
    if (row < rows) {
      const BucketStats& b = r.buckets[row];
      if (mouse.x < p.x + label_w) {
        bucket_tooltip(b);
      } else {
        size_t bin = std::min(bins - 1, size_t((mouse.x - p.x - label_w) / cell_w));
        double from = st.view_start + bin * bin_ns;
        ImGui::BeginTooltip();
        ImGui::Text("%s  [%s, %s)", bucket_label(b.id).c_str(), format_ns(uint64_t(std::max(0.0, from))).c_str(),
                    format_ns(uint64_t(std::max(0.0, from + bin_ns))).c_str());
        ImGui::Text("%s spun on the bucket lock", format_ns(uint64_t(grid[row * bins + bin])).c_str());
        ImGui::TextDisabled("click: select its first futex");
        ImGui::EndTooltip();
      }
      if (ImGui::IsItemClicked()) select_first_futex(f, b);
    }
  }
}

void draw_bucket_table(FrameContext& f, const BucketReport& r) {
  ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV |
                          ImGuiTableFlags_SizingStretchProp;
  float h = std::max(80.0f, ImGui::GetContentRegionAvail().y - ImGui::GetTextLineHeightWithSpacing() *
                                                                   float(std::min<size_t>(r.processes.size(), 4) + 1));
  if (!ImGui::BeginTable("buckets", 5, flags, ImVec2(0, h))) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("bucket");
  ImGui::TableSetupColumn("futexes");
  ImGui::TableSetupColumn("procs");
  ImGui::TableSetupColumn("spins");
  ImGui::TableSetupColumn("spun");
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin(int(r.buckets.size()));
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const BucketStats& b = r.buckets[size_t(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(i);
      if (ImGui::Selectable(bucket_label(b.id).c_str(), false, ImGuiSelectableFlags_SpanAllColumns))
        select_first_futex(f, b);
      if (ImGui::IsItemHovered()) bucket_tooltip(b);
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::Text("%zu", b.futexes.size());
      ImGui::TableNextColumn();
      ImGui::Text("%zu", b.processes.size());
      ImGui::TableNextColumn();
      ImGui::Text("%llu", (unsigned long long)b.contended);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(format_ns(b.spin_ns).c_str());
    }
  }
  ImGui::EndTable();
}

}  // namespace

void draw_buckets(FrameContext& f) {
  const BucketReport* r = f.futexes ? f.futexes->buckets.get() : nullptr;
  if (!r || !r->available) {
    ImGui::TextWrapped("No hash-bucket data in this trace (recorded with --summary, or by a futexscope "
                       "older than the bucket computation).");
    return;
  }
  const BucketVerification& v = r->verification;
  ImGui::Text("Global table: %u buckets x %u node(s). Bucket-lock spins: %llu", r->global_entries,
              r->nr_node_ids, (unsigned long long)v.bucket_locks);
  if (v.compared) {
    ImGui::SameLine();
    double rate = 100.0 * double(v.matched) / double(v.compared);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(rate >= 99 ? colors::kOk : colors::kWarn),
                       " computed = kernel's: %.1f%%", rate);
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("%llu of %llu contended calls spun on the lock of the bucket futexscope computed\n"
                        "for their futex (bucket taken from the lock's address).",
                        (unsigned long long)v.matched, (unsigned long long)v.compared);
  }
  draw_heat_map(f, *r);
  ImGui::Spacing();
  draw_bucket_table(f, *r);
  for (size_t i = 0; i < r->processes.size() && i < 4; i++) {
    const ProcessHash& p = r->processes[i];
    if (p.suggested_slots) {
      ImGui::PushStyleColor(ImGuiCol_Text, colors::kWarn);
      ImGui::TextWrapped("pid %u: %u private slots, %s spun in buckets shared by several futexes: try "
                         "prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, %u)",
                         p.tgid, p.slots, format_ns(p.collision_spin_ns).c_str(), p.suggested_slots);
      ImGui::PopStyleColor();
    } else if (p.slots)
      ImGui::TextDisabled("pid %u: %u private slots%s", p.tgid, p.slots, p.resizes ? ", resized" : "");
    else
      ImGui::TextDisabled("pid %u: global table", p.tgid);
  }
}

}  // namespace fxs::ui
