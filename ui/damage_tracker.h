// damage_tracker.h: which part of the window a frame changed, so the
// renderer (ui/frame_renderer.h) redraws only that and keeps the rest.
//
// On llvmpipe a frame's cost is the pixels it shades: panning the timeline
// re-shaded the unchanged futex table's ~2,000 glyphs every frame, half of
// the frame time (docs/BENCHMARKS.md). Dear ImGui rebuilds every draw list
// each frame, so what changed is found by comparing them with the previous
// frame's: per list (one per window), the triangles both frames share at the
// start and at the end are left out, and the rest, old and new, bounds the
// damage. Comparing whole triangles (the contents of their three vertices,
// under the same clip rectangle and texture) keeps it exact: a pixel outside
// the damage is covered by the same triangles, in the same order, as before.
//
// No ImGui here (the unit tests build it alone): the renderer describes the
// draw lists with the plain structs below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fxs::ui {

// The layout of ImDrawVert (the renderer static_asserts it).
struct DamageVertex {
  float x, y, u, v;
  uint32_t col;
};

struct DamageCmd {
  float clip[4];         // x0, y0, x1, y1 in display coordinates
  uintptr_t texture;
  uint32_t vtx_offset;
  uint32_t idx_offset;
  uint32_t elem_count;   // indices: 3 per triangle
  bool callback;         // a user callback: what it draws cannot be compared
};

// One draw list of a frame, as ImDrawList holds it (16-bit indices).
struct DamageList {
  std::string_view name;  // the owner window's name: lists are matched by it
  std::span<const DamageVertex> vtx;
  std::span<const uint16_t> idx;
  std::span<const DamageCmd> cmds;
};

// Pixels [x0, x1) x [y0, y1), rows from the top.
struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  long long area() const { return empty() ? 0 : (long long)(x1 - x0) * (y1 - y0); }
};

class DamageTracker {
 public:
  // This frame's draw lists in draw order, on a w x h pixel display; returns
  // the rectangle whose pixels may differ from the previous frame's picture
  // (empty: none). The first frame, a new size or invalidate() give the
  // whole display.
  PixelRect update(std::span<const DamageList> lists, int w, int h);
  // The kept picture is gone (new framebuffer): the next update() is whole.
  void invalidate() { valid_ = false; }

 private:
  struct Kept {
    std::string name;
    std::vector<DamageVertex> vtx;
    std::vector<uint16_t> idx;
    std::vector<DamageCmd> cmds;
    DamageList view() const { return {name, vtx, idx, cmds}; }
  };
  std::vector<Kept> prev_;
  int w_ = 0, h_ = 0;
  bool valid_ = false;
};

}  // namespace fxs::ui
