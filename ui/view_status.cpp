// view_status.cpp: the status bar (always visible; it carries the loss
// indicator whenever the kernel dropped events, so a partial picture never
// looks complete) and the "Trace" tab: what the header and counters say.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include "imgui.h"
#include "replay/report.h"
#include "ui/key_value_table.h"
#include "ui/palette.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

std::string thousands(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

struct Loss {
  uint64_t dropped = 0, other = 0;
};
Loss loss_of(const FrameContext& f, uint64_t timeline_lost) {
  const auto& c = f.futexes->counters;
  Loss l;
  l.dropped = std::max(c[FXS_CNT_RINGBUF_DROP], timeline_lost);
  l.other = c[FXS_CNT_MAP_FULL] + c[FXS_CNT_ENTER_EVICTED] + c[FXS_CNT_WAITV_READ];
  return l;
}

}  // namespace

void draw_status(FrameContext& f) {
  uint64_t calls, lanes, tl_lost, limit, over_limit;
  {
    std::lock_guard lk(f.data.timeline_mutex());
    const TimelineModel& tl = f.data.timeline();
    calls = tl.calls();
    lanes = tl.lanes().size();
    tl_lost = tl.lost();
    limit = tl.call_limit();
    over_limit = tl.calls_over_limit();
  }
  const FutexSnapshot& snap = *f.futexes;
  Loss loss = loss_of(f, tl_lost);
  ImGui::Separator();
  if (loss.dropped > 0) {
    ImGui::PushStyleColor(ImGuiCol_Button, ImGui::ColorConvertU32ToFloat4(colors::kLoss));
    ImGui::SmallButton(("LOST " + thousands(loss.dropped) + " events").c_str());
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("The kernel dropped %s events (ring buffer full): counts and waits are incomplete.\n"
                        "Record with a larger ring, --min-wait, or --summary.",
                        thousands(loss.dropped).c_str());
    ImGui::SameLine();
  } else if (snap.has_loss_record) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kOk), "no events lost");
    ImGui::SameLine();
  } else if (f.progress.done) {
    // Every recording ends with its loss counters: a trace without them was
    // cut short, and "nothing lost" must not be implied by saying nothing.
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "loss unknown");
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("The trace holds no loss counters: the recording was cut short before writing them,\n"
                        "so events may have been dropped without being counted (Trace tab).");
    ImGui::SameLine();
  }
  if (over_limit > 0) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "timeline full: %s later calls not drawn",
                       thousands(over_limit).c_str());
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("The timeline keeps the first %s calls (%.1f GiB, --memory-limit); the %s after them\n"
                        "are counted in the futex table but not drawn. Open the trace with a larger\n"
                        "--memory-limit on a machine with more memory, or record a shorter run.",
                        thousands(limit).c_str(), double(limit) * sizeof(TimelineCall) / double(1ull << 30),
                        thousands(over_limit).c_str());
    ImGui::SameLine();
  }
  if (loss.other > 0) {
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "%s incomplete (see Trace tab)",
                       thousands(loss.other).c_str());
    ImGui::SameLine();
  }
  ImGui::TextDisabled("|");
  ImGui::SameLine();
  if (snap.summary && calls == 0)
    ImGui::Text("--summary trace: %s calls aggregated in the kernel  %zu futexes  %s", thousands(snap.events).c_str(),
                snap.futexes.size(), format_ns(snap.duration_ns).c_str());
  else
    ImGui::Text("%s calls  %llu threads  %zu futexes  %s", thousands(calls).c_str(),
                static_cast<unsigned long long>(lanes), snap.futexes.size(), format_ns(snap.duration_ns).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("|");
  ImGui::SameLine();
  const IngestProgress& p = f.progress;
  double rate = p.load_seconds > 0 ? double(p.calls) / p.load_seconds : 0;
  if (!f.live.empty())
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(f.live.rfind("LIVE", 0) == 0 ? colors::kLoss : colors::kDimText),
                       "%s", f.live.c_str());
  else if (p.done)
    ImGui::TextDisabled("loaded in %.2f s (%.1fM calls/s)", p.load_seconds, rate / 1e6);
  else
    ImGui::TextDisabled("loading... %.1f MB", double(p.bytes_read) / 1e6);
  size_t warnings = f.data.reader_warnings().size() + snap.warnings.size();
  if (warnings) {
    ImGui::SameLine();
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors::kWarn), "%zu warning%s (Trace tab)", warnings,
                       warnings == 1 ? "" : "s");
  }
  ImGui::SameLine();
  ImGui::TextDisabled("| %s", f.trace_path.c_str());
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
    key_value_row("duration", format_ns(snap.duration_ns));
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
