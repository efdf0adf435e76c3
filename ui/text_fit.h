// text_fit.h: text shown whole where it is drawn, wrapped, moved to a line
// of its own or left out, never cut mid-word at a panel's or a bar's edge
// (at 1280x800 and 1600x1000 hints, headers and bar labels were cut to
// "select another in the tal", "NU…", "FUTEX_WA").
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "imgui.h"

namespace fxs::ui {

// Continues the current line when `text` fits in what is left of it, else
// the next item starts a line of its own.
void same_line_if_fits(std::string_view text);
// A dim hint after the last item: on the same line when it fits, else on
// the next, wrapped at the panel's edge.
void dim_hint(const char* text);
// Text wrapped at the panel's edge (dim or not).
void text_wrapped(const char* text, bool dim = false);

// The first of `choices` (most detailed first) that is at most `width` px
// wide in `font` at `size`, or "" when none is: a label is drawn whole or
// not at all.
std::string_view first_that_fits(std::initializer_list<std::string_view> choices, float width, ImFont* font,
                                 float size);
// The leading `items` that fit in `width` px, joined by `sep`: the rest are
// left out whole. Empty items are skipped.
std::string leading_items_that_fit(std::initializer_list<std::string_view> items, std::string_view sep, float width);

// A table whose columns are as wide as their content and header and which
// scrolls sideways when the panel is narrower, instead of squeezing headers
// to "NU…". Needs an explicit height (ScrollX makes it a child window).
constexpr ImGuiTableFlags kContentWidthTable = ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_ScrollX;

}  // namespace fxs::ui
