// key_value_table.h: the "name  value" tables of the Trace and Machine tabs.
// The value column stretches to the panel and wraps there: with both columns
// fitted to their content, a wrapped value reported its narrowest width and
// the column shrank to one character per line.
#pragma once

#include <string>

namespace fxs::ui {

// Like ImGui::BeginTable: call end_key_value_table() only when it returned true.
bool begin_key_value_table(const char* id);
void key_value_row(const char* key, const std::string& value);
void end_key_value_table();

}  // namespace fxs::ui
