// screenshot.h: the framebuffer as a PNG (replay --screenshot).
#pragma once

#include <string>

namespace fxs::ui {

// Reads the back buffer of the current GL context (w x h pixels, call it
// after rendering and before swapping) and writes it to `path` as an RGB
// PNG, top row first. Returns "" or what went wrong.
std::string write_framebuffer_png(const std::string& path, int w, int h);

}  // namespace fxs::ui
