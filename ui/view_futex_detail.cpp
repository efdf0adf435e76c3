// view_futex_detail.cpp: the selected futex (the futex table's first row
// when nothing is selected): its counters, a log2 histogram of its wait
// times, the call stacks its waits came from, who woke its waiters, and the
// operations called on it.
#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "imgui.h"
#include "replay/bucket_report.h"
#include "replay/contention_note.h"
#include "replay/format.h"
#include "replay/futex_ops.h"
#include "replay/numa_report.h"
#include "replay/stack_coverage_note.h"
#include "ui/pairing_finisher.h"
#include "ui/palette.h"
#include "ui/text_fit.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

void histogram(const FutexStats& s, ImU32 color) {
  size_t lo = FXS_HIST_BUCKETS, hi = 0;
  uint64_t peak = 0;
  for (size_t b = 0; b < FXS_HIST_BUCKETS; b++) {
    if (!s.hist[b]) continue;
    lo = std::min(lo, b);
    hi = b;
    peak = std::max(peak, s.hist[b]);
  }
  if (peak == 0) {
    ImGui::TextDisabled("no timed waits on this futex");
    return;
  }
  // At least 8 buckets wide so one spike still reads as a distribution.
  while (hi - lo + 1 < 8) {
    if (lo > 0) lo--;
    if (hi - lo + 1 < 8 && hi + 1 < FXS_HIST_BUCKETS) hi++;
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImVec2 p = ImGui::GetCursorScreenPos();
  float w = ImGui::GetContentRegionAvail().x, h = 110, label_h = ImGui::GetTextLineHeight() + 4;
  size_t n = hi - lo + 1;
  float bw = w / float(n);
  ImGui::InvisibleButton("##hist", ImVec2(w, h + label_h));
  bool hovered = ImGui::IsItemHovered();
  float mx = ImGui::GetIO().MousePos.x;
  dl->AddLine(ImVec2(p.x, p.y + h), ImVec2(p.x + w, p.y + h), colors::kGrid);
  float last_label_x = -1e9f;
  for (size_t i = 0; i < n; i++) {
    size_t b = lo + i;
    float x0 = p.x + float(i) * bw, x1 = x0 + bw - 2;
    uint64_t v = s.hist[b];
    float bh = v ? std::max(2.0f, h * float(double(v) / double(peak))) : 0;
    bool hot = hovered && mx >= x0 && mx < x0 + bw;
    if (v) dl->AddRectFilled(ImVec2(x0, p.y + h - bh), ImVec2(x1, p.y + h), hot ? faded(color, 1.0f) : faded(color, 0.8f));
    if (hot) {
      ImGui::BeginTooltip();
      ImGui::Text("[%s, %s): %llu waits", format_ns(uint64_t{1} << b).c_str(), format_ns(uint64_t{1} << (b + 1)).c_str(),
                  static_cast<unsigned long long>(v));
      ImGui::EndTooltip();
    }
    std::string l = format_ns(uint64_t{1} << b);
    if (x0 - last_label_x > ImGui::CalcTextSize(l.c_str()).x + 8) {
      dl->AddLine(ImVec2(x0, p.y + h), ImVec2(x0, p.y + h + 3), colors::kDimText);
      dl->AddText(ImVec2(x0, p.y + h + 3), colors::kDimText, l.c_str());
      last_label_x = x0;
    }
  }
  char peak_s[48];
  std::snprintf(peak_s, sizeof peak_s, "tallest bar: %llu waits", static_cast<unsigned long long>(peak));
  ImGui::TextDisabled("%s", peak_s);
}

// "ns::fn" from "ns::fn(args) const+0x1c": the label of a collapsed stack.
std::string short_frame(const std::string& frame) {
  std::string n = frame;
  if (size_t plus = n.rfind("+0x"); plus != std::string::npos && plus > 0) n.resize(plus);
  size_t end = n.size();
  while (end > 0 && n[end - 1] != ')' && n.compare(end >= 6 ? end - 6 : 0, 6, " const") == 0) end -= 6;
  if (end > 0 && n[end - 1] == ')') {
    int depth = 0;
    for (size_t i = end; i-- > 0;) {
      if (n[i] == ')') depth++;
      if (n[i] == '(' && --depth == 0) {
        if (i > 0) n.resize(i);
        break;
      }
    }
  }
  return n;
}

// The frame a stack is named by: the innermost one that is not a futex
// wrapper of the C library (syscall(), __lll_lock_wait, pthread_*, ...)
// nor an unsymbolized address, if there is one.
const std::string& naming_frame(const std::vector<std::string>& frames) {
  static const char* const kWrappers[] = {"syscall", "__", "pthread_", "futex", "sem_", "[", "0x"};
  for (const std::string& fr : frames) {
    bool wrapper = false;
    for (const char* w : kWrappers) wrapper |= fr.rfind(w, 0) == 0;
    if (!wrapper) return fr;
  }
  return frames.front();
}

// One stack as a collapsible list of its frames (innermost first), under `title`.
void stack_tree(size_t i, const std::vector<std::string>& frames, const std::string& title) {
  ImGui::PushID(int(i));
  if (ImGui::TreeNodeEx("##stack", i == 0 ? ImGuiTreeNodeFlags_DefaultOpen : 0, "%s  %s", title.c_str(),
                        short_frame(naming_frame(frames)).c_str())) {
    for (size_t j = 0; j < frames.size(); j++) {
      ImGui::TextDisabled("%2zu", j);
      ImGui::SameLine();
      text_wrapped(frames[j].c_str());  // a C++ frame is often wider than the panel
    }
    ImGui::TreePop();
  }
  ImGui::PopID();
}

// Where the calls that woke this futex's waiters came from (unlocks,
// signals), by waiters woken.
void top_waker_stacks(const UiState& st) {
  if (st.waker_stacks.empty()) return;  // none taken: the waits' section says why
  ImGui::Spacing();
  ImGui::TextUnformatted("Top waker stacks by waiters woken");
  ImGui::PushID("wakers");
  for (size_t i = 0; i < st.waker_stacks.size(); i++) {
    const StackWake& sw = st.waker_stacks[i];
    if (sw.frames.empty()) continue;
    char title[128];
    int n = std::snprintf(title, sizeof title, "%llu woken by %llu call%s", static_cast<unsigned long long>(sw.wakes),
                          static_cast<unsigned long long>(sw.calls), sw.calls == 1 ? "" : "s");
    if (sw.sampled_wakes && n > 0 && size_t(n) < sizeof title)
      std::snprintf(title + n, sizeof title - size_t(n), " (%llu sampled)",
                    static_cast<unsigned long long>(sw.sampled_wakes));
    stack_tree(i, sw.frames, title);
  }
  ImGui::PopID();
}

// Where the waits on this futex came from: the top stacks by wait time,
// each a collapsible list of its frames (innermost first); then the wakers'.
void top_stacks(FrameContext& f, const FutexStats& s) {
  UiState& st = f.st;
  FutexKey k{s.tgid, s.uaddr};
  {
    std::lock_guard lk(f.data.side_mutex());
    const SideModels& side = f.data.side();
    if (!(st.stacks_of == k) || st.stacks_generation != side.generation()) {
      st.stacks = side.stacks().top_stacks(k.tgid, k.uaddr, 5);  // only when the futex or the data changed
      st.waker_stacks = side.stacks().top_waker_stacks(k.tgid, k.uaddr, 3);
      st.stack_cover = side.stacks().coverage(k.tgid, k.uaddr);
      st.stacks_of = k;
      st.stacks_generation = side.generation();
    }
  }
  ImGui::TextUnformatted("Top stacks by wait time");
  // What they stand for, and why the rest have none (the report's words: replay/stack_coverage_note.h).
  if (!f.futexes->summary && s.waits && st.stack_cover.waits < s.waits) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    const StackCoverage cover{s.waits, st.stack_cover.waits, s.wait_total_ns, st.stack_cover.wait_ns};
    ImGui::TextWrapped("%s", stack_coverage_text(f.data.header(), cover, 0).c_str());
    ImGui::PopStyleColor();
  }
  if (st.stacks.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::TextWrapped(f.futexes->summary ? "none: a --summary trace holds no stacks" : "none");
    ImGui::PopStyleColor();
    return;
  }
  dim_hint("(click to expand; innermost frame first)");
  for (size_t i = 0; i < st.stacks.size(); i++) {
    const StackWait& sw = st.stacks[i];
    if (sw.frames.empty()) continue;
    double pct = s.wait_total_ns ? 100.0 * double(sw.wait_ns) / double(s.wait_total_ns) : 0;
    char title[96];
    std::snprintf(title, sizeof title, "%s in %llu wait%s (%.0f%%)", format_ns(sw.wait_ns).c_str(),
                  static_cast<unsigned long long>(sw.waits), sw.waits == 1 ? "" : "s", pct);
    stack_tree(i, sw.frames, title);
  }
  top_waker_stacks(st);
}

// Who ended this futex's waits (replay/wake_model.h, the report's "wakers"),
// from the loader's wake pairing (ui/ingest_worker.h).
// What the pairing pass found besides the wakers, as the report has it:
// where the waits that slept spent their time, the futile wakeups, and (for
// lock words) what their holders did meanwhile.
void pairing_sections(const FutexStats& s, const FutexPairing& p) {
  const WaitSplit& sp = p.split;
  if (sp.samples) {
    ImGui::Spacing();
    ImGui::Text("Latency split of %llu waits that slept", static_cast<unsigned long long>(sp.samples));
    if (sp.incomplete || sp.disordered)
      dim_hint(("(" + std::to_string(sp.incomplete) + " incomplete, " + std::to_string(sp.disordered) + " disordered)").c_str());
    if (ImGui::BeginTable("split", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
      for (const char* h : {"", "p50", "p99", "max"}) ImGui::TableSetupColumn(h);
      ImGui::TableHeadersRow();
      for (const SplitPhase& ph : split_phases(sp)) {
        ImGui::TableNextColumn();
        ImGui::Text("%s (%s)", ph.name, ph.span);
        for (uint64_t v : {ph.p->p50, ph.p->p99, ph.p->max}) {
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(format_ns(v).c_str());
        }
      }
      ImGui::EndTable();
    }
  }
  // Where in the kernel they slept (waits of at least --stack-min-wait), as the report's kernel_stacks.
  if (!sp.kernel_stacks.empty()) {
    ImGui::Spacing();
    ImGui::TextUnformatted("Kernel stacks where its waits slept");
    for (size_t i = 0; i < sp.kernel_stacks.size(); i++) {
      const KernelStack& k = sp.kernel_stacks[i];
      if (k.frames.empty()) continue;
      stack_tree(100 + i, k.frames, format_ns(k.sleep_ns) + " asleep in " + std::to_string(k.waits) + " wait" +
                                        (k.waits == 1 ? "" : "s"));
    }
  }
  if (p.futile.futile)
    text_wrapped(("futile wakeups " + std::to_string(p.futile.futile) + " of " + std::to_string(p.futile.woken_waits) +
                  " woken waits (the waiter went straight back to waiting)").c_str(), true);
  // As in the report: what a holder did while waiters slept means something for lock words only.
  if ((s.kind == FutexKind::kMutex || s.kind == FutexKind::kPiMutex) && !p.holders.empty()) {
    ImGui::Spacing();
    ImGui::TextUnformatted("Holders while waiters slept");
    for (size_t i = 0; i < p.holders.size() && i < 3; i++) {
      const HolderTime& h = p.holders[i];
      std::string line = "tid " + std::to_string(h.holder_tid) + ": " + std::to_string(h.waits) + " sleeps, " +
                         format_ns(h.wait_ns) + "; on cpu " + format_ns(h.on_cpu_ns) + ", runnable " +
                         format_ns(h.runnable_ns) + ", blocked " + format_ns(h.blocked_ns);
      if (h.unknown_ns) line += ", unknown " + format_ns(h.unknown_ns);
      text_wrapped(line.c_str(), true);
    }
  }
}

void woken_by(FrameContext& f, const FutexStats& s) {
  ImGui::TextUnformatted("Woken by");
  dim_hint("(who ended its waits: sched_waking of the waiting thread)");
  auto snap = wake_pairing(f, "wakers");
  if (!snap) return;
  auto it = snap->wakes.find(PairKey{s.tgid, s.uaddr});
  if (!snap->report.wake_records || it == snap->wakes.end()) {
    ImGui::TextDisabled(snap->report.wake_records ? "no wait of this futex was woken, and no wake call named it"
                                                  : "no wake records in this trace (--summary)");
    return;
  }
  const FutexWakes& w = it->second;
  ImGui::TextWrapped("futex wake %llu   PI handoff %llu   timeout %llu   signal %llu   thread exit %llu   other %llu",
                     static_cast<unsigned long long>(w.by_futex_wake), static_cast<unsigned long long>(w.by_pi_handoff),
                     static_cast<unsigned long long>(w.by_timeout), static_cast<unsigned long long>(w.by_signal),
                     static_cast<unsigned long long>(w.by_thread_exit), static_cast<unsigned long long>(w.by_other));
  if (std::string note = contention_note(w); !note.empty()) text_wrapped(note.c_str());
  std::vector<std::string> names;
  {
    std::lock_guard lk(f.data.timeline_mutex());
    const TimelineModel& tl = f.data.timeline();
    auto name = [&](uint32_t tid) {
      std::string n(tl.thread_name(tid));
      return (n.empty() ? std::string("tid") : n) + " " + std::to_string(tid);
    };
    constexpr size_t kShown = 8;
    for (size_t i = 0; i < w.wakers.size() && i < kShown; i++)
      names.push_back(name(w.wakers[i].waker_tid) + "  ->  " + name(w.wakers[i].waiter_tid));
  }
  uint64_t edges = 0;
  for (const WakeEdge& e : w.wakers) edges += e.count;
  if (!names.empty() && ImGui::BeginTable("wakers", 3, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    for (size_t i = 0; i < names.size(); i++) {
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(names[i].c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%llu", static_cast<unsigned long long>(w.wakers[i].count));
      ImGui::TableNextColumn();
      ImGui::TextDisabled("%.0f%%", edges ? 100.0 * double(w.wakers[i].count) / double(edges) : 0.0);
    }
    ImGui::EndTable();
    if (w.wakers.size() > names.size())
      ImGui::TextDisabled("... %zu more waker -> waiter pairs", w.wakers.size() - names.size());
  }
  std::string herd;
  for (const auto& [waiters, calls] : w.herd_sizes) {
    if (herd.size() > 60) {
      herd += " ...";
      break;
    }
    herd += (herd.empty() ? "" : ", ") + std::to_string(calls) + " woke " + std::to_string(waiters);
  }
  if (!herd.empty() || w.empty_wakes)
    text_wrapped(("wake calls: " + herd + (herd.empty() ? "" : ", ") + std::to_string(w.empty_wakes) +
                  " woke nobody").c_str(), true);
  if (w.latency_samples)
    text_wrapped(("waking -> the waiter's return: p50 " + format_ns(w.latency_p50_ns) + "  p99 " +
                  format_ns(w.latency_p99_ns) + "  max " + format_ns(w.latency_max_ns) + "  (" +
                  std::to_string(w.latency_samples) + ")").c_str(), true);
  if (auto p = snap->pairing.find(PairKey{s.tgid, s.uaddr}); p != snap->pairing.end()) pairing_sections(s, p->second);
}

// Where the word lives, as the report's futex entry has it: its kernel hash
// bucket (and that bucket lock's spins), and NUMA: its page's node, its wakes
// that crossed nodes, its calls that ran off the page's node.
void placement(FrameContext& f, const FutexStats& s) {
  ImGui::TextUnformatted("Hash bucket and NUMA");
  if (f.futexes->buckets)
    if (const FutexBucket* b = f.futexes->buckets->find(s.tgid, s.uaddr)) text_wrapped(futex_bucket_text(*b).c_str(), true);
  auto snap = f.data.pairing();  // "Woken by" above says why when there is none
  if (!snap) return;
  auto it = snap->numa_index.find(PairKey{s.tgid, s.uaddr});
  if (it == snap->numa_index.end()) return;
  const NumaFutex& n = snap->report.futexes[it->second];
  auto n_ = [](uint64_t v) { return std::to_string(v); };
  std::string line = "page on " + page_node_text(n.page_node);
  if (n.page_moves) line += " (moved " + n_(n.page_moves) + "x)";
  line += ";  wakes across nodes " + n_(n.cross_node_wakes) + " of " + n_(n.wakes) + ";  calls off the page's node " +
          n_(n.remote_calls) + " of " + n_(n.local_calls + n.remote_calls);
  if (n.mostly_remote()) line += " (mostly remote)";
  text_wrapped(line.c_str(), true);
  if (n.futex2_numa || n.futex2_mpol)
    text_wrapped(("FUTEX2_NUMA calls " + std::to_string(n.futex2_numa) + ", FUTEX2_MPOL " + std::to_string(n.futex2_mpol))
                     .c_str(),
                 true);
}

}  // namespace

void draw_futex_detail(FrameContext& f) {
  const UiState& st = f.st;
  const auto& fx = f.futexes->futexes;
  if (fx.empty()) {
    ImGui::TextDisabled(f.progress.done ? "no futexes in this trace" : "loading...");
    return;
  }
  const FutexStats* s = st.has_futex ? stats_of(f, st.futex) : nullptr;
  bool fallback = s == nullptr;
  // Else the table's first row (the most contended once waits are paired).
  if (!s) s = &fx[!st.table_order.empty() && st.table_order[0] < fx.size() ? st.table_order[0] : 0];
  ImU32 color = color_of(st, {s->tgid, s->uaddr});
  std::string pname;
  {
    std::lock_guard lk(f.data.timeline_mutex());
    pname = std::string(f.data.timeline().process_name(s->tgid));
  }
  ImGui::ColorButton("##sw", ImGui::ColorConvertU32ToFloat4(color), ImGuiColorEditFlags_NoTooltip, ImVec2(14, 14));
  ImGui::SameLine();
  std::string name;
  {
    std::lock_guard lk(f.data.side_mutex());
    name = f.data.side().names().find(s->tgid, s->uaddr);
  }
  ImGui::TextWrapped("%s%s%s  %s  pid %u %s", format_uaddr(s->uaddr).c_str(), name.empty() ? "" : "  ", name.c_str(),
                     kind_name(s->kind), s->tgid, pname.c_str());
  if (fallback) dim_hint("(the table's first; select another there)");
  ImGui::Separator();
  if (ImGui::BeginTable("counts", 4, ImGuiTableFlags_SizingStretchSame)) {
    auto kv = [](const char* k, const std::string& v) {
      ImGui::TableNextColumn();
      ImGui::TextDisabled("%s", k);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(v.c_str());
    };
    auto n = [](uint64_t v) { return std::to_string(v); };
    bool timed = s->wait_samples > 0;
    std::string est = s->percentiles_estimated ? " (est.)" : "";
    kv("total wait", timed ? format_ns(s->wait_total_ns) : "-");
    kv("waits", n(s->waits));
    kv("max wait", timed ? format_ns(s->wait_max_ns) : "-");
    kv("woken", n(s->woken));
    kv("p50 wait", timed ? format_ns(s->wait_p50_ns) + est : "-");
    kv("EAGAIN", n(s->eagain));
    kv("p99 wait", timed ? format_ns(s->wait_p99_ns) + est : "-");
    kv("timeouts", n(s->timeouts));
    kv("threads", n(s->threads));
    kv("interrupted", n(s->interrupted));
    kv("", "");
    kv("requeued", n(s->requeued));
    ImGui::EndTable();
  }
  ImGui::Spacing();
  ImGui::TextUnformatted("Wait time (log2 buckets, count per bucket)");
  histogram(*s, color);
  ImGui::Spacing();
  top_stacks(f, *s);
  ImGui::Spacing();
  woken_by(f, *s);
  ImGui::Spacing();
  placement(f, *s);
  ImGui::Spacing();
  ImGui::TextUnformatted("Operations");
  if (ImGui::BeginTable("ops", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
    for (unsigned op = 0; op < kNumOps; op++) {
      if (!s->ops[op]) continue;
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(op_name(op));
      ImGui::TableNextColumn();
      ImGui::Text("%llu", static_cast<unsigned long long>(s->ops[op]));
    }
    ImGui::EndTable();
  }
}

}  // namespace fxs::ui
