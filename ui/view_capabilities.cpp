// view_capabilities.cpp: what the trace header says about the recording
// machine, and in live mode what `futexscope probe` measured on this one.
// (The UI never probes itself: ui/ does not include collector/.)
#include <set>
#include <string>

#include "imgui.h"
#include "ui/key_value_table.h"
#include "ui/ui_state.h"

namespace fxs::ui {

void draw_capabilities(FrameContext& f) {
  const TraceHeader& h = f.data.header();
  std::set<int32_t> nodes;
  for (int32_t n : h.cpu_node)
    if (n >= 0) nodes.insert(n);
  if (begin_key_value_table("machine")) {
    key_value_row("host", h.hostname.empty() ? "unknown" : h.hostname);
    key_value_row("kernel", h.kernel_release.empty() ? "unknown" : h.kernel_release);
    key_value_row("CPUs", std::to_string(h.cpu_count));
    key_value_row("NUMA nodes", nodes.empty() ? "unknown" : std::to_string(nodes.size()));
    key_value_row("trace format", "version " + std::to_string(h.format_version) + ", record ABI " +
                                      std::to_string(h.abi_version));
    end_key_value_table();
  }
  if (nodes.size() > 1 && ImGui::TreeNode("CPU -> NUMA node")) {
    for (size_t cpu = 0; cpu < h.cpu_node.size(); cpu++) ImGui::Text("cpu %zu -> node %d", cpu, h.cpu_node[cpu]);
    ImGui::TreePop();
  }
  ImGui::Spacing();
  if (!f.probe_text.empty()) {
    ImGui::TextUnformatted("This kernel (futexscope probe)");
    ImGui::BeginChild("probe", ImVec2(0, 0), true);
    ImGui::TextUnformatted(f.probe_text.c_str());
    ImGui::EndChild();
  } else {
    ImGui::TextWrapped("For what the recording kernel supports (futex2, NUMA futexes, private hash, "
                       "tracepoints), run `futexscope probe` there; `futexscope live` shows it here.");
  }
}

}  // namespace fxs::ui
