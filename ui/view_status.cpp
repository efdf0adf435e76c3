// view_status.cpp: the status bar (always visible; it carries the loss
// indicator whenever the kernel dropped events, so a partial picture never
// looks complete) and the "Trace" tab: what the header and counters say.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "imgui.h"
#include "replay/format.h"
#include "ui/key_value_table.h"
#include "ui/palette.h"
#include "ui/text_fit.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

struct Loss {
  uint64_t dropped = 0, other = 0;
};
Loss loss_of(const FrameContext& f) {
  const auto& c = f.futexes->counters;
  Loss l;
  l.dropped = std::max(c[FXS_CNT_RINGBUF_DROP], f.totals.timeline_lost);
  l.other = c[FXS_CNT_MAP_FULL] + c[FXS_CNT_ENTER_EVICTED] + c[FXS_CNT_WAITV_READ];
  return l;
}

// One piece of the status bar, on the same line as the last, and in words
// in st.status_text (what --screenshot prints).
void piece(UiState& st, ImU32 color, const std::string& text) {
  if (!st.status_text.empty()) {
    ImGui::SameLine();
    st.status_text += "  ";
  }
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(color), "%s", text.c_str());
  st.status_text += text;
}

}  // namespace

void draw_status(FrameContext& f) {
  UiState& st = f.st;
  const TraceTotals& t = f.totals;
  const FutexSnapshot& snap = *f.futexes;
  const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text), dim = colors::kDimText;
  Loss loss = loss_of(f);
  st.status_text.clear();
  ImGui::Separator();
  if (loss.dropped > 0) {
    ImGui::PushStyleColor(ImGuiCol_Button, ImGui::ColorConvertU32ToFloat4(colors::kLoss));
    ImGui::SmallButton(("LOST " + thousands(loss.dropped) + " events").c_str());
    ImGui::PopStyleColor();
    st.status_text = "LOST " + thousands(loss.dropped) + " events";
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("The kernel dropped %s events (ring buffer full): counts and waits are incomplete.\n"
                        "Record with a larger ring, --min-wait, or --summary.",
                        thousands(loss.dropped).c_str());
  } else if (snap.has_loss_record) {
    piece(st, colors::kOk, "no events lost");
  } else if (f.growing) {
    // The recorder writes its loss counters at the first flush after any of
    // them changes (collector/recorder.cpp): none yet means none lost so far.
    piece(st, colors::kOk, "no events lost");
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("So far: the recorder writes its loss counters within a flush of any loss.");
  } else if (f.progress.done) {
    // Every recording ends with its loss counters: a trace without them was
    // cut short, and "nothing lost" must not be implied by saying nothing.
    piece(st, colors::kWarn, "loss unknown");
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("The trace holds no loss counters: the recording was cut short before writing them,\n"
                        "so events may have been dropped without being counted (Trace tab).");
  }
  if (t.calls_over_limit > 0) {
    piece(st, colors::kWarn, "timeline full: " + thousands(t.calls_over_limit) + " later calls not drawn");
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("The timeline keeps the first %s calls (%.1f GiB, --memory-limit); the %s after them\n"
                        "are counted in the futex table but not drawn. Open the trace with a larger\n"
                        "--memory-limit on a machine with more memory, or record a shorter run.",
                        thousands(t.call_limit).c_str(),
                        double(t.call_limit) * sizeof(TimelineCall) / double(1ull << 30),
                        thousands(t.calls_over_limit).c_str());
  }
  if (f.data.pairing_dropped()) {
    // Without the pairing, the NUMA tab, "Woken by" and the contended column
    // are empty and arrows are paired by time: say so where it is always seen.
    piece(st, colors::kWarn, "wakes not paired (memory limit)");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Wake pairing %s", f.data.pairing_missing().c_str());
  }
  if (loss.other > 0) piece(st, colors::kWarn, thousands(loss.other) + " incomplete (see Trace tab)");
  piece(st, dim, "|");
  const std::string length = format_ns(shown_duration_ns(t, snap));
  if (snap.summary && t.calls == 0)
    piece(st, text, "--summary trace: " + thousands(snap.events) + " calls aggregated in the kernel  " +
                        thousands(snap.futexes.size()) + " futexes  " + length);
  else
    piece(st, text, thousands(t.calls) + " calls  " + thousands(t.threads) + " threads  " +
                        thousands(snap.futexes.size()) + " futexes  " + length);
  piece(st, dim, "|");
  const IngestProgress& p = f.progress;
  char buf[96];
  if (!f.live.empty()) {
    piece(st, f.live.rfind("LIVE", 0) == 0 ? colors::kLoss : dim, f.live);
  } else if (p.done) {
    double rate = p.load_seconds > 0 ? double(p.calls) / p.load_seconds : 0;
    std::snprintf(buf, sizeof buf, "loaded in %.2f s (%.1fM calls/s)", p.load_seconds, rate / 1e6);
    piece(st, dim, buf);
  } else {
    std::snprintf(buf, sizeof buf, "loading... %.1f MB", double(p.bytes_read) / 1e6);
    piece(st, dim, buf);
  }
  size_t warnings = f.data.reader_warnings().size() + snap.warnings.size();
  if (warnings)
    piece(st, colors::kWarn,
          std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings") + " (Trace tab)");
  // The file's name last, and only whole (the title bar has it too).
  const std::string path = "| " + f.trace_path;
  const float room = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x - ImGui::GetItemRectMax().x -
                     ImGui::GetStyle().ItemSpacing.x;
  if (!first_that_fits({path}, room, ImGui::GetFont(), ImGui::GetFontSize()).empty())
    piece(st, dim, path);
}

void draw_trace_info(FrameContext& f) {
  const TraceHeader& h = f.data.header();
  const FutexSnapshot& snap = *f.futexes;
  if (begin_key_value_table("trace")) {
    key_value_row("file", f.trace_path);
    key_value_row("command", h.command.empty()
                                 ? (h.target_pid >= 0 ? "pid " + std::to_string(h.target_pid) : "system-wide")
                                 : h.command);
    if (h.clock_real_ns) {
      time_t secs = time_t(h.clock_real_ns / 1000000000);
      char buf[64];
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&secs));
      key_value_row("recorded", buf);
    }
    key_value_row("mode", snap.summary ? "--summary (in-kernel aggregates)" : "every call");
    if (h.min_wait_ns) key_value_row("--min-wait", format_ns(h.min_wait_ns));
    key_value_row("events", thousands(snap.events));
    key_value_row("duration", format_ns(shown_duration_ns(f.totals, snap)));
    end_key_value_table();
  }
  ImGui::Spacing();
  ImGui::TextUnformatted("Loss counters (cumulative)");
  static constexpr struct {
    int idx;
    const char* name;
    const char* why;
  } kCounters[] = {
      {FXS_CNT_RINGBUF_DROP, "ringbuf_drop", "ring buffer full: event lost"},
      {FXS_CNT_MAP_FULL, "map_full", "aggregation map full: key not counted"},
      {FXS_CNT_ENTER_EVICTED, "enter_evicted", "enter time lost: duration unknown"},
      {FXS_CNT_FILTERED, "filtered", "shorter than --min-wait, not recorded"},
      {FXS_CNT_WAITV_READ, "waitv_read", "futex_waitv vector unreadable"},
      {FXS_CNT_RAW_STACK_DROP, "raw_stack_drop", "ring full: stack not unwound with DWARF"},
      {FXS_CNT_PAGE_NODE_CAP, "page_node_cap_dropped", "too many futex pages: NUMA node not asked"},
  };
  if (ImGui::BeginTable("counters", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    for (const auto& c : kCounters) {
      uint64_t v = snap.counters[size_t(c.idx)];
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(c.name);
      ImGui::TableNextColumn();
      if (v && c.idx != FXS_CNT_FILTERED)
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kLoss), "%s", thousands(v).c_str());
      else
        ImGui::TextUnformatted(thousands(v).c_str());
      ImGui::TableNextColumn();
      ImGui::TextDisabled("%s", c.why);
    }
    ImGui::EndTable();
  }
  if (!snap.has_loss_record && f.progress.done)
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "no loss record: losses are unknown");
  auto warnings = f.data.reader_warnings();
  warnings.insert(warnings.end(), snap.warnings.begin(), snap.warnings.end());
  if (!warnings.empty()) {
    ImGui::Spacing();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "Warnings");
    for (const auto& w : warnings) {
      ImGui::Bullet();
      ImGui::TextWrapped("%s", w.c_str());  // BulletText would not wrap: long ones ran off the panel
    }
  }
}

}  // namespace fxs::ui
