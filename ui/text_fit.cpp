// text_fit.cpp: see text_fit.h.
#include "ui/text_fit.h"

#include <cfloat>

namespace fxs::ui {

namespace {

float width_of(std::string_view s, ImFont* font, float size) {
  return font->CalcTextSizeA(size, FLT_MAX, 0.0f, s.data(), s.data() + s.size()).x;
}

}  // namespace

void same_line_if_fits(std::string_view text) {
  const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x +
                      width_of(text, ImGui::GetFont(), ImGui::GetFontSize());
  if (right <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) ImGui::SameLine();
}

void dim_hint(const char* text) {
  same_line_if_fits(text);
  text_wrapped(text, true);
}

void text_wrapped(const char* text, bool dim) {
  if (dim) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::PushTextWrapPos(0.0f);  // the window's right edge, wherever the line starts
  ImGui::TextUnformatted(text);
  ImGui::PopTextWrapPos();
  if (dim) ImGui::PopStyleColor();
}

std::string_view first_that_fits(std::initializer_list<std::string_view> choices, float width, ImFont* font,
                                 float size) {
  for (std::string_view c : choices)
    if (width_of(c, font, size) <= width) return c;
  return {};
}

std::string leading_items_that_fit(std::initializer_list<std::string_view> items, std::string_view sep, float width) {
  std::string out;
  for (std::string_view it : items) {
    if (it.empty()) continue;
    std::string next = out.empty() ? std::string(it) : out + std::string(sep) + std::string(it);
    if (width_of(next, ImGui::GetFont(), ImGui::GetFontSize()) > width) break;
    out = std::move(next);
  }
  return out;
}

}  // namespace fxs::ui
