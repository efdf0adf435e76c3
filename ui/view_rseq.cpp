// view_rseq.cpp: restartable sequences (replay/rseq_model.h,
// replay/rseq_timeline.h): how often each critical section aborted and why,
// a histogram of the aborts over the timeline's visible range (stacked by
// cause; zooming the timeline zooms it), and the per-thread counts.
//
// Per frame the histogram costs bins x causes binary searches
// (RseqAbortTimes::count), and both tables build only their visible rows
// (ImGuiListClipper), so the frame does not grow with the trace.
#include <algorithm>
#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "imgui.h"
#include "replay/format.h"
#include "ui/palette.h"
#include "ui/text_fit.h"
#include "ui/time_view.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

constexpr float kAxisH = 22.0f;
constexpr float kHistH = 96.0f;
constexpr float kBinPx = 5.0f;

// Drawing order (bottom of a stacked bar first) and colours of the causes.
constexpr unsigned kCauseOrder[] = {FXS_RSEQ_CAUSE_PREEMPTED, FXS_RSEQ_CAUSE_MIGRATED, FXS_RSEQ_CAUSE_SIGNAL,
                                    FXS_RSEQ_CAUSE_BLOCKED, FXS_RSEQ_CAUSE_UNKNOWN};
// Not the Tableau colours of the futexes (palette.cpp): the timeline above
// shows those, and a cause must not read as a futex.
ImU32 cause_color(unsigned cause) {
  switch (cause) {
    case FXS_RSEQ_CAUSE_PREEMPTED: return IM_COL32(255, 160, 60, 255);  // orange
    case FXS_RSEQ_CAUSE_MIGRATED: return IM_COL32(90, 200, 215, 255);   // cyan
    case FXS_RSEQ_CAUSE_SIGNAL: return IM_COL32(200, 120, 220, 255);    // violet
    case FXS_RSEQ_CAUSE_BLOCKED: return IM_COL32(240, 80, 80, 255);     // red
    default: return IM_COL32(160, 160, 160, 255);                       // unknown: grey
  }
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string section_name(const RseqSection& s) { return s.symbol.empty() ? hex(s.start_ip) : s.symbol; }

void swatch(ImU32 c) {
  ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(c), ImGuiColorEditFlags_NoTooltip, ImVec2(11, 11));
  ImGui::SameLine(0, 4);
}

void cause_legend(const RseqCauses& causes) {
  for (unsigned c : kCauseOrder) {
    ImGui::PushID(int(c));
    swatch(cause_color(c));
    ImGui::Text("%s %llu", rseq_cause_name(c), static_cast<unsigned long long>(causes[c]));
    ImGui::PopID();
    ImGui::SameLine(0, 14);
  }
  ImGui::NewLine();
}

// Aborts over the visible range: one stacked bar per kBinPx pixels.
void histogram(FrameContext& f, const RseqAbortTimes& times, size_t section, double total) {
  UiState& st = f.st;
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 p = ImGui::GetCursorScreenPos();
  float w = std::max(100.0f, ImGui::GetContentRegionAvail().x);
  ImGui::InvisibleButton("##aborts", ImVec2(w, kAxisH + kHistH));
  bool hovered = ImGui::IsItemHovered();
  if (hovered) handle_time_input(st, p, ImVec2(p.x + w, p.y + kAxisH + kHistH), total, true);
  double ns_per_px = st.view_span / w;
  draw_time_axis(dl, p, ImVec2(p.x + w, p.y + kAxisH), st, ns_per_px, p.y + kAxisH + kHistH);

  const float y_base = p.y + kAxisH + kHistH;
  int bins = std::max(1, int(w / kBinPx));
  double bin_ns = st.view_span / bins;
  auto abs_at = [&](double rel) {  // ns since origin -> absolute ns, clamped to >= 0
    double a = double(st.origin_ns) + rel;
    return a <= 0 ? uint64_t{0} : uint64_t(a);
  };
  // Counts per bin and cause: edges computed once, two binary searches each.
  static_assert(FXS_RSEQ_NR_CAUSES == 5);
  std::vector<std::array<uint64_t, FXS_RSEQ_NR_CAUSES>> counts(static_cast<size_t>(bins));
  uint64_t peak = 0;
  for (int b = 0; b < bins; b++) {
    uint64_t t0 = abs_at(st.view_start + b * bin_ns), t1 = abs_at(st.view_start + (b + 1) * bin_ns);
    uint64_t sum = 0;
    for (unsigned c = 0; c < FXS_RSEQ_NR_CAUSES; c++) sum += counts[size_t(b)][c] = times.count(section, c, t0, t1);
    peak = std::max(peak, sum);
  }
  dl->AddLine(ImVec2(p.x, y_base), ImVec2(p.x + w, y_base), colors::kGrid);
  float mx = ImGui::GetIO().MousePos.x;
  int hot = hovered ? int((mx - p.x) / kBinPx) : -1;
  for (int b = 0; b < bins && peak; b++) {
    float x0 = p.x + float(b) * kBinPx, x1 = x0 + kBinPx - 1;
    float y = y_base;
    for (unsigned c : kCauseOrder) {
      uint64_t n = counts[size_t(b)][c];
      if (!n) continue;
      float h = std::max(1.0f, kHistH * 0.95f * float(double(n) / double(peak)));
      dl->AddRectFilled(ImVec2(x0, y - h), ImVec2(x1, y), cause_color(c));
      y -= h;
    }
    if (b == hot) dl->AddRect(ImVec2(x0 - 1, y - 1), ImVec2(x1 + 1, y_base + 1), colors::kSelection);
  }
  char label[96];
  std::snprintf(label, sizeof label, "tallest bar %llu aborts / %s", static_cast<unsigned long long>(peak),
                format_ns(uint64_t(std::max(1.0, bin_ns))).c_str());
  // Top right, on a backing so bars under it do not garble it.
  ImVec2 lsz = ImGui::CalcTextSize(label);
  ImVec2 l0(p.x + w - lsz.x - 8, p.y + kAxisH + 1);
  dl->AddRectFilled(l0, ImVec2(p.x + w, l0.y + lsz.y + 2), IM_COL32(24, 26, 30, 200));
  dl->AddText(ImVec2(l0.x + 4, l0.y + 1), colors::kDimText, label);
  if (hot >= 0 && hot < bins) {
    dl->AddLine(ImVec2(mx, p.y + kAxisH), ImVec2(mx, y_base), IM_COL32(255, 255, 255, 60));
    ImGui::BeginTooltip();
    double r0 = st.view_start + hot * bin_ns;
    ImGui::Text("%s .. %s", format_time(r0).c_str(), format_time(r0 + bin_ns).c_str());
    uint64_t sum = 0;
    for (unsigned c : kCauseOrder) sum += counts[size_t(hot)][c];
    ImGui::Text("%llu aborts", static_cast<unsigned long long>(sum));
    for (unsigned c : kCauseOrder) {
      if (!counts[size_t(hot)][c]) continue;
      ImGui::PushID(int(c));
      swatch(cause_color(c));
      ImGui::Text("%s %llu", rseq_cause_name(c), static_cast<unsigned long long>(counts[size_t(hot)][c]));
      ImGui::PopID();
    }
    ImGui::EndTooltip();
  }
  if (peak == 0) {
    const char* msg = times.total() ? "no aborts in the visible range" : "no aborts in this trace";
    ImVec2 sz = ImGui::CalcTextSize(msg);
    dl->AddText(ImVec2(p.x + (w - sz.x) / 2, p.y + kAxisH + kHistH / 2 - sz.y / 2), colors::kDimText, msg);
  }
}

void sections_table(UiState& st, const RseqReport& r, float height) {
  // Columns as wide as their content: a narrow panel scrolls sideways
  // rather than cutting "preempted" to "preem...".
  ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV |
                       ImGuiTableFlags_Resizable | kContentWidthTable;
  if (!ImGui::BeginTable("sections", 9, tf, ImVec2(0, height))) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  ImGui::TableSetupColumn("critical section (pid)");
  ImGui::TableSetupColumn("start_ip");
  ImGui::TableSetupColumn("aborts");
  for (unsigned c : kCauseOrder) ImGui::TableSetupColumn(rseq_cause_name(c));
  ImGui::TableSetupColumn("threads");
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin(int(r.by_cs.size()));
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const RseqSection& s = r.by_cs[size_t(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      bool sel = st.rseq_has_section && st.rseq_tgid == s.tgid && st.rseq_start_ip == s.start_ip;
      ImGui::PushID(i);
      std::string name = section_name(s) + "  (" + std::to_string(s.tgid) + ")";
      if (ImGui::Selectable(name.c_str(), sel, ImGuiSelectableFlags_SpanAllColumns)) {
        if (sel) {
          st.rseq_has_section = false;
        } else {
          st.rseq_has_section = true;
          st.rseq_tgid = s.tgid;
          st.rseq_start_ip = s.start_ip;
        }
      }
      if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s\nprocess %u %s\nstart_ip %s  post_commit_offset %llu  abort_ip %s\n"
                          "click: show only this section's aborts in the histogram",
                          section_name(s).c_str(), s.tgid, s.comm.c_str(), hex(s.start_ip).c_str(),
                          static_cast<unsigned long long>(s.post_commit_offset), hex(s.abort_ip).c_str());
      ImGui::PopID();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(hex(s.start_ip).c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%llu", static_cast<unsigned long long>(s.aborts));
      for (unsigned c : kCauseOrder) {
        ImGui::TableNextColumn();
        if (s.causes[c])
          ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(cause_color(c)), "%llu",
                             static_cast<unsigned long long>(s.causes[c]));
        else
          ImGui::TextDisabled("0");
      }
      ImGui::TableNextColumn();
      ImGui::Text("%u", s.threads);
    }
  }
  ImGui::EndTable();
}

void threads_table(const RseqReport& r, float height) {
  ImGuiTableFlags tf = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV |
                       ImGuiTableFlags_Resizable | kContentWidthTable;
  if (!ImGui::BeginTable("rseqthreads", 9, tf, ImVec2(0, height))) return;
  ImGui::TableSetupScrollFreeze(1, 1);
  ImGui::TableSetupColumn("thread");
  ImGui::TableSetupColumn("tid");
  ImGui::TableSetupColumn("pid");
  ImGui::TableSetupColumn("updates");
  ImGui::TableSetupColumn("aborts");
  ImGui::TableSetupColumn("preempted");
  ImGui::TableSetupColumn("blocked");
  ImGui::TableSetupColumn("migrated");
  ImGui::TableSetupColumn("signals");
  ImGui::TableHeadersRow();
  ImGuiListClipper clip;
  clip.Begin(int(r.threads.size()));
  auto num = [](uint64_t v) {
    ImGui::TableNextColumn();
    if (v)
      ImGui::Text("%llu", static_cast<unsigned long long>(v));
    else
      ImGui::TextDisabled("0");
  };
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; i++) {
      const RseqThread& t = r.threads[size_t(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(t.comm.empty() ? "?" : t.comm.c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%u", t.tid);
      ImGui::TableNextColumn();
      ImGui::Text("%u", t.tgid);
      num(t.counts.updates);
      ImGui::TableNextColumn();
      // Abort records streamed vs. the kernel's own count: they differ only if records were lost.
      if (t.abort_records != t.counts.aborts && t.counts.aborts) {
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "%llu of %llu",
                           static_cast<unsigned long long>(t.abort_records),
                           static_cast<unsigned long long>(t.counts.aborts));
        if (ImGui::IsItemHovered())
          ImGui::SetTooltip("abort records in the trace / aborts the kernel counted for this thread");
      } else if (t.abort_records) {
        ImGui::Text("%llu", static_cast<unsigned long long>(t.abort_records));
      } else {
        ImGui::TextDisabled("0");
      }
      num(t.counts.preempted);
      num(t.counts.blocked);
      num(t.counts.migrated);
      num(t.counts.signals);
    }
  }
  ImGui::EndTable();
}

}  // namespace

std::string rseq_tab_label(const FrameContext& f) {
  std::lock_guard lk(f.data.side_mutex());
  const RseqReport& r = f.data.side().rseq();
  if (!r.captured) return "rseq###rseq";
  return "rseq (" + std::to_string(r.aborts) + " aborts)###rseq";
}

void draw_rseq(FrameContext& f) {
  UiState& st = f.st;
  const double total = double(f.totals.span_ns());  // the frame's, as the timeline's
  std::lock_guard lk(f.data.side_mutex());
  const SideModels& side = f.data.side();
  const RseqReport& r = side.rseq();
  if (!r.captured) {
    if (!f.progress.done) {
      ImGui::TextDisabled("loading...");
      return;
    }
    ImGui::TextWrapped(
        "No rseq records in this trace. `record` captures restartable-sequence aborts and updates next to the "
        "futex calls when the kernel has the rseq tracepoints (rseq:rseq_update, rseq:rseq_ip_fixup); it "
        "says \"rseq not captured: <reason>\" when it cannot, and skips them with FXS_NO_RSEQ=1.");
    return;
  }
  size_t sections = r.by_cs.size();
  ImGui::Text("%llu aborts in %zu critical section%s   %llu updates in %zu threads   %llu registrations",
              static_cast<unsigned long long>(r.aborts), sections, sections == 1 ? "" : "s",
              static_cast<unsigned long long>(r.updates), r.threads.size(),
              static_cast<unsigned long long>(r.registrations));
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("An update is a return to user space after a preemption, migration or signal of a thread\n"
                      "with rseq registered; an abort is one that landed inside a critical section and\n"
                      "moved the thread to the section's abort handler.");
  cause_legend(r.causes);
  for (const std::string& w : r.warnings)
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "%s", w.c_str());

  // The histogram follows the timeline's visible range.
  const RseqAbortTimes& times = side.rseq_times();
  size_t section = RseqAbortTimes::kAll;
  std::string which = "all sections";
  if (st.rseq_has_section) {
    section = times.section(st.rseq_tgid, st.rseq_start_ip);
    for (const RseqSection& s : r.by_cs)
      if (s.tgid == st.rseq_tgid && s.start_ip == st.rseq_start_ip) which = section_name(s);
    if (section == SIZE_MAX) {
      st.rseq_has_section = false;
      section = RseqAbortTimes::kAll;
      which = "all sections";
    }
  }
  fit_view_if_pending(st, f.progress.calls, total);
  uint64_t v0 = st.origin_ns + uint64_t(std::max(0.0, st.view_start));
  uint64_t v1 = st.origin_ns + uint64_t(std::max(0.0, st.view_start + st.view_span));
  uint64_t in_view = times.count(section, v0, v1), all = times.count(section, 0, UINT64_MAX);
  ImGui::Text("Aborts over the visible time range, by cause: %s", which.c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("(%llu of %llu in view)", static_cast<unsigned long long>(in_view),
                      static_cast<unsigned long long>(all));
  if (times.total()) {
    ImGui::SameLine();
    if (ImGui::SmallButton("Show all aborts")) {
      st.show_range(double(times.first_ns() - st.origin_ns), double(times.last_ns() - st.origin_ns));
      st.fit_pending = false;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Zoom the timeline to the first and last abort");
  }
  if (st.rseq_has_section) {
    ImGui::SameLine();
    if (ImGui::SmallButton("All sections")) st.rseq_has_section = false;
  }
  histogram(f, times, section, total);
  // Aborts by the CPU the thread resumed on (the whole trace).
  if (!r.per_cpu.empty()) {
    std::string line = "Aborts by CPU:";
    for (const RseqCpu& c : r.per_cpu)
      line += "  cpu" + std::to_string(c.cpu) + " " + std::to_string(c.aborts);
    ImGui::TextWrapped("%s", line.c_str());
  }

  ImGui::Spacing();
  float avail = ImGui::GetContentRegionAvail().y;
  float row = ImGui::GetTextLineHeightWithSpacing() + 2;
  float sec_h = std::min(avail * 0.5f, row * float(std::min<size_t>(sections, 8) + 1) + 8 +
                                          ImGui::GetStyle().ScrollbarSize);  // room for the sideways scrollbar
  ImGui::TextUnformatted("Critical sections");
  dim_hint("(by aborts; click one to show only its aborts above)");
  sections_table(st, r, sec_h);
  ImGui::Spacing();
  ImGui::TextUnformatted("Threads");
  dim_hint("(what happened to each thread, counted in the kernel: not only inside critical sections)");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("updates: returns to user space after one of these; preempted / blocked: switched out while\n"
                      "runnable / asleep; migrated: moved to another CPU; signals: delivered. aborts: the abort\n"
                      "records of the thread in this trace.");
  threads_table(r, std::max(row * 3, ImGui::GetContentRegionAvail().y));
}

}  // namespace fxs::ui
