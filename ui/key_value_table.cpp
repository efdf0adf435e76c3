#include "ui/key_value_table.h"

#include "imgui.h"

namespace fxs::ui {

bool begin_key_value_table(const char* id) {
  if (!ImGui::BeginTable(id, 2, ImGuiTableFlags_SizingFixedFit)) return false;
  ImGui::TableSetupColumn("key", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
  return true;
}

void key_value_row(const char* key, const std::string& value) {
  ImGui::TableNextColumn();
  ImGui::TextDisabled("%s", key);
  ImGui::TableNextColumn();
  ImGui::TextWrapped("%s", value.c_str());
}

void end_key_value_table() { ImGui::EndTable(); }

}  // namespace fxs::ui
