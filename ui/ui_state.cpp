// Helpers shared by the views: colours by futex, time and errno formatting.
#include "ui/ui_state.h"

#include <cstdio>
#include <cstring>

#include "ui/palette.h"

namespace fxs::ui {

void update_colors(FrameContext& f) {
  UiState& st = f.st;
  const TimelineModel& tl = f.data.timeline();
  if (f.futexes != st.ranked_from) {
    st.ranked_from = f.futexes;
    st.rank.clear();
    st.stats_index.clear();
    const auto& fx = f.futexes->futexes;
    for (size_t i = 0; i < fx.size(); i++) st.stats_index[{fx[i].tgid, fx[i].uaddr}] = i;
    for (size_t i = 0; i < fx.size() && i < 10; i++) st.rank[{fx[i].tgid, fx[i].uaddr}] = static_cast<int>(i);
    st.colored_futexes = 0;  // ranks moved: recolour everything
  }
  const auto& tf = tl.futexes();
  st.timeline_colors.resize(tf.size());
  for (size_t i = st.colored_futexes; i < tf.size(); i++)
    st.timeline_colors[i] = color_of(st, {tf[i].tgid, tf[i].uaddr});
  st.colored_futexes = tf.size();
}

ImU32 color_of(const UiState& st, FutexKey k) {
  auto it = st.rank.find(k);
  return futex_color(k.tgid, k.uaddr, it == st.rank.end() ? -1 : it->second);
}

const FutexStats* stats_of(const FrameContext& f, FutexKey k) {
  if (f.futexes != f.st.ranked_from) return nullptr;  // update_colors() has not indexed it yet
  auto it = f.st.stats_index.find(k);
  return it == f.st.stats_index.end() ? nullptr : &f.futexes->futexes[it->second];
}

std::string format_time(double ns) {
  char buf[48];
  double a = ns < 0 ? -ns : ns;
  if (a < 1e3)
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  else if (a < 1e6)
    std::snprintf(buf, sizeof buf, "%.3f us", ns / 1e3);
  else if (a < 1e9)
    std::snprintf(buf, sizeof buf, "%.3f ms", ns / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.6f s", ns / 1e9);
  return buf;
}

const char* ret_meaning(int32_t ret) {
  if (ret >= 0) return nullptr;
  switch (-ret) {  // the kernel-internal restart codes have no libc name
    case 512: return "ERESTARTSYS";
    case 513: return "ERESTARTNOINTR";
    case 514: return "ERESTARTNOHAND";
    case 516: return "ERESTART_RESTARTBLOCK";
    default: break;
  }
  const char* n = strerrorname_np(-ret);
  return n ? n : "error";
}

}  // namespace fxs::ui

namespace fxs::ui {

int open_tab_flags(UiState& st, const char* tab) {
  if (st.open_tab.empty() || st.open_tab != tab) return 0;
  st.open_tab.clear();  // once: afterwards the user picks
  return ImGuiTabItemFlags_SetSelected;
}

}  // namespace fxs::ui
