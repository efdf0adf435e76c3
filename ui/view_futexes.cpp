// view_futexes.cpp: every futex of the trace in a sortable table (contention,
// total wait, max wait, waits, wakes, kind, ...), by default the most
// contended first, as `report`: time blocked until another thread's wake
// (FutexWakes::contended_wait_ns, from the loader's wake pairing, which pairs
// every wait with its wake; until it is in, by total wait), each with its name
// (replay/futex_names.h) beside its address. Only the visible rows are built
// (ImGuiListClipper), so 100K futexes cost what 30 do. Clicking a row selects
// the futex: the timeline highlights its calls, the detail tab shows it.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "imgui.h"
#include "replay/format.h"
#include "ui/pairing_finisher.h"
#include "ui/palette.h"
#include "ui/text_fit.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

enum Col : ImGuiID { kColor, kAddr, kName, kPid, kKind, kContended, kTotal, kMax, kP99, kWaits, kWoken, kEagain, kTimeouts, kOps, kThreads, kCols };

// Contended wait of a futex; 0 until the wake pairing is in (`wakes` null).
uint64_t contended(const WakesByFutex* wakes, const FutexStats& s) {
  if (!wakes) return 0;
  auto it = wakes->find(PairKey{s.tgid, s.uaddr});
  return it == wakes->end() ? 0 : it->second.contended_wait_ns;
}

// Sort key of column `c` for futex `f`; kinds sort by name.
int compare(const FutexStats& a, const FutexStats& b, ImGuiID c, const WakesByFutex* wakes, const FutexNames& names) {
  auto cmp = [](auto x, auto y) { return x < y ? -1 : x > y ? 1 : 0; };
  switch (c) {
    case kName: return names.find(a.tgid, a.uaddr).compare(names.find(b.tgid, b.uaddr));
    case kContended: return cmp(contended(wakes, a), contended(wakes, b));
    case kAddr: return cmp(a.uaddr, b.uaddr);
    case kPid: return cmp(a.tgid, b.tgid);
    case kKind: return std::string_view(kind_name(a.kind)).compare(kind_name(b.kind));
    case kTotal: return cmp(a.wait_total_ns, b.wait_total_ns);
    case kMax: return cmp(a.wait_max_ns, b.wait_max_ns);
    case kP99: return cmp(a.wait_p99_ns, b.wait_p99_ns);
    case kWaits: return cmp(a.waits, b.waits);
    case kWoken: return cmp(a.woken, b.woken);
    case kEagain: return cmp(a.eagain, b.eagain);
    case kTimeouts: return cmp(a.timeouts, b.timeouts);
    case kOps: return cmp(a.total_ops(), b.total_ops());
    case kThreads: return cmp(a.threads, b.threads);
    default: return 0;
  }
}

void sort_rows(UiState& st, const FutexSnapshot& snap, const ImGuiTableSortSpecs* specs, const WakesByFutex* wakes,
               const FutexNames& names) {
  const auto& fx = snap.futexes;
  st.table_order.resize(fx.size());
  for (uint32_t i = 0; i < fx.size(); i++) st.table_order[i] = i;
  if (!specs || specs->SpecsCount == 0) return;  // the snapshot's rank: total wait, then ops
  std::stable_sort(st.table_order.begin(), st.table_order.end(), [&](uint32_t x, uint32_t y) {
    for (int i = 0; i < specs->SpecsCount; i++) {
      const ImGuiTableColumnSortSpecs& s = specs->Specs[i];
      int c = compare(fx[x], fx[y], s.ColumnUserID, wakes, names);
      if (c != 0) return s.SortDirection == ImGuiSortDirection_Ascending ? c < 0 : c > 0;
    }
    return x < y;
  });
}

// A name as the narrow column shows it: C++ anonymous namespaces left out
// (the full name is in the row's tooltip and in the Futex tab).
std::string short_name(std::string_view name) {
  static constexpr std::string_view kAnon = "(anonymous namespace)::";
  std::string out;
  for (size_t at; (at = name.find(kAnon)) != std::string_view::npos; name.remove_prefix(at + kAnon.size()))
    out.append(name.substr(0, at));
  out.append(name);
  return out;
}

void cell_ns(uint64_t ns, bool known) {
  if (known) ImGui::TextUnformatted(format_ns(ns).c_str());
  else ImGui::TextDisabled("-");
}

void cell_count(uint64_t n) {
  if (n == 0) ImGui::TextDisabled("0");
  else ImGui::Text("%llu", static_cast<unsigned long long>(n));
}

}  // namespace

void draw_futexes(FrameContext& f) {
  UiState& st = f.st;
  const FutexSnapshot& snap = *f.futexes;
  ImGui::Text("Futexes  %zu", snap.futexes.size());
  dim_hint("(click a row to select; click a header to sort)");
  if (snap.futexes.empty() && f.progress.done) {
    // A process hung all along makes no call; its threads are in the recording's last look.
    size_t blocked = 0;
    {
      std::lock_guard lk(f.data.side_mutex());
      for (const auto& t : f.data.side().blocked().threads) blocked += t.in_futex;
    }
    if (blocked)
      ImGui::TextWrapped("No futex call was recorded, but %zu threads were blocked in one when the recording "
                         "ended: see the Blocked tab.", blocked);
  }
  ImGui::SameLine(ImGui::GetContentRegionAvail().x - 190 + ImGui::GetCursorPosX());
  ImGui::Checkbox("highlight selected", &st.highlight_futex);

  // Rows are told apart by hairlines, not alternating fills: on a software
  // renderer (llvmpipe) every filled pixel costs, and row fills were a third
  // of a frame's pixels.
  ImGuiTableFlags tf = ImGuiTableFlags_Sortable | ImGuiTableFlags_SortMulti | ImGuiTableFlags_ScrollY |
                       ImGuiTableFlags_ScrollX | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_BordersOuter |
                       ImGuiTableFlags_BordersV | ImGuiTableFlags_Resizable | ImGuiTableFlags_Reorderable |
                       ImGuiTableFlags_Hideable | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("futex_table", kCols, tf)) return;
  ImGui::TableSetupScrollFreeze(2, 1);
  // Fixed widths from the widest content each column can hold, so rows that
  // arrive later (while loading) never get clipped.
  auto col = [](const char* name, ImGuiID id, const char* widest, ImGuiTableColumnFlags fl = 0) {
    float w = std::max(ImGui::CalcTextSize(widest).x + 10.0f, ImGui::CalcTextSize(name).x + 22.0f);
    ImGui::TableSetupColumn(name, fl | ImGuiTableColumnFlags_WidthFixed, w, id);
  };
  const ImGuiTableColumnFlags kDesc = ImGuiTableColumnFlags_PreferSortDescending;
  col("", kColor, "XX", ImGuiTableColumnFlags_NoSort | ImGuiTableColumnFlags_NoResize);
  col("futex", kAddr, "0x88888888888888");
  col("name", kName, "g_pool.workers[12].lock");
  col("pid", kPid, "4194304");
  col("kind", kKind, "pi-mutex");
  col("contended", kContended, "999.9ms", ImGuiTableColumnFlags_DefaultSort | kDesc);
  col("total wait", kTotal, "999.9ms", kDesc);
  col("max wait", kMax, "999.9ms", kDesc);
  col("p99 wait", kP99, "999.9ms", kDesc);
  col("waits", kWaits, "99999999", kDesc);
  col("wakes", kWoken, "99999999", kDesc);
  col("EAGAIN", kEagain, "99999999", kDesc);
  col("timeouts", kTimeouts, "999999", kDesc);
  col("calls", kOps, "99999999", kDesc);
  col("threads", kThreads, "99999", kDesc);
  ImGui::TableHeadersRow();

  // The loader's wake pairing, once it is in.
  std::shared_ptr<const PairingSnapshot> paired = f.data.pairing();
  const WakesByFutex* wakes = paired_wakes(paired.get());
  // Without it, the contended column says whether it is still coming or why not.
  const bool pairing_coming = !wakes && !paired && f.data.pairing_pending();
  std::string no_pairing;
  if (!wakes && !pairing_coming) {
    no_pairing = f.data.pairing_missing();
    if (no_pairing.empty()) no_pairing = "no wake records in this trace (a --summary recording): no contention to measure";
  }
  ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs();
  if ((specs && specs->SpecsDirty) || st.table_sorted_from != f.futexes || st.table_sorted_wakes != paired) {
    std::lock_guard lk(f.data.side_mutex());  // the names
    sort_rows(st, snap, specs, wakes, f.data.side().names());
    st.table_sorted_from = f.futexes;
    st.table_sorted_wakes = paired;
    if (specs) specs->SpecsDirty = false;
  }
  float row_h = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2;
  if (st.scroll_table_to_futex && st.has_futex) {
    st.scroll_table_to_futex = false;
    for (size_t r = 0; r < st.table_order.size(); r++) {
      const FutexStats& s = snap.futexes[st.table_order[r]];
      if (s.tgid == st.futex.tgid && s.uaddr == st.futex.uaddr) {
        float y = float(r) * row_h, h = ImGui::GetWindowHeight() - row_h * 2;
        if (y < ImGui::GetScrollY() || y > ImGui::GetScrollY() + h) ImGui::SetScrollY(y - h / 2);
        break;
      }
    }
  }

  ImGuiListClipper clipper;
  clipper.Begin(int(st.table_order.size()), row_h);
  while (clipper.Step()) {
    for (int r = clipper.DisplayStart; r < clipper.DisplayEnd; r++) {
      const FutexStats& s = snap.futexes[st.table_order[size_t(r)]];
      FutexKey key{s.tgid, s.uaddr};
      ImGui::PushID(r);
      ImGui::TableNextRow();
      ImGui::TableSetColumnIndex(kColor);
      ImGui::ColorButton("##sw", ImGui::ColorConvertU32ToFloat4(color_of(st, key)), ImGuiColorEditFlags_NoTooltip,
                         ImVec2(12, ImGui::GetTextLineHeight() - 2));
      ImGui::TableSetColumnIndex(kAddr);
      bool selected = st.has_futex && st.futex == key;
      if (ImGui::Selectable(format_uaddr(s.uaddr).c_str(), selected, ImGuiSelectableFlags_SpanAllColumns)) {
        st.has_futex = true;
        st.futex = key;
      }
      ImGui::TableSetColumnIndex(kName);
      {
        std::lock_guard lk(f.data.side_mutex());
        const std::string& name = f.data.side().names().find(s.tgid, s.uaddr);
        if (name.empty()) {
          ImGui::TextDisabled("-");
        } else {
          ImGui::TextUnformatted(short_name(name).c_str());
          if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", name.c_str());
        }
      }
      ImGui::TableSetColumnIndex(kPid);
      ImGui::Text("%u", s.tgid);
      ImGui::TableSetColumnIndex(kKind);
      ImGui::TextUnformatted(kind_name(s.kind));
      bool timed = s.wait_samples > 0;
      ImGui::TableSetColumnIndex(kContended);
      if (wakes) {
        cell_ns(contended(wakes, s), true);
      } else if (pairing_coming) {
        ImGui::TextDisabled("...");
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("time blocked until another thread's wake: known once every wait is paired with its wake");
      } else {
        ImGui::TextDisabled("-");
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", no_pairing.c_str());
      }
      ImGui::TableSetColumnIndex(kTotal);
      cell_ns(s.wait_total_ns, timed);
      ImGui::TableSetColumnIndex(kMax);
      cell_ns(s.wait_max_ns, timed);
      ImGui::TableSetColumnIndex(kP99);
      if (timed && s.percentiles_estimated)  // the top of its log2 bucket (--summary, --memory-limit)
        ImGui::Text("~%s", format_ns(s.wait_p99_ns).c_str());
      else
        cell_ns(s.wait_p99_ns, timed);
      ImGui::TableSetColumnIndex(kWaits);
      cell_count(s.waits);
      ImGui::TableSetColumnIndex(kWoken);
      cell_count(s.woken);
      ImGui::TableSetColumnIndex(kEagain);
      cell_count(s.eagain);
      ImGui::TableSetColumnIndex(kTimeouts);
      cell_count(s.timeouts);
      ImGui::TableSetColumnIndex(kOps);
      cell_count(s.total_ops());
      ImGui::TableSetColumnIndex(kThreads);
      cell_count(s.threads);
      ImGui::PopID();
    }
  }
  ImGui::EndTable();
}

}  // namespace fxs::ui
