// frame_renderer.h: draws ImGui's frames into a picture kept between frames
// (an OpenGL framebuffer object), redrawing only the rectangle the frame
// changed (ui/damage_tracker.h), then copies the picture to the window:
// only that rectangle where the window's back buffer is known to survive a
// swap (ui/back_buffer_probe.h: Mesa's software rasterizers; the first few
// such copies are checked against the picture), else all of it.
//
// Panning the timeline then shades the timeline, not the unchanged futex
// table and side panel as well: on llvmpipe, half of a frame's time
// (docs/BENCHMARKS.md). With --full-redraw every frame is drawn whole into
// the same kept picture (so the two differ only in what is redrawn, which
// the UI tests compare pixel for pixel). Without framebuffer objects, or on
// a scaled or offset display, frames are drawn whole straight into the
// window, as before.
#pragma once

#include <cstdint>
#include <vector>

#include "ui/damage_tracker.h"

struct ImDrawData;

namespace fxs::ui {

class FrameRenderer {
 public:
  explicit FrameRenderer(bool full_redraw) : full_redraw_(full_redraw) {}
  ~FrameRenderer();
  FrameRenderer(const FrameRenderer&) = delete;
  FrameRenderer& operator=(const FrameRenderer&) = delete;

  // Call with the ImGui OpenGL3 backend initialised and the window's
  // context current. Leaves the whole frame in the window's back buffer
  // (read it for a screenshot, then swap). `bg` is the clear colour (RGBA).
  void render(ImDrawData* dd, int fb_w, int fb_h, const float (&bg)[4]);

  // The rectangle the last render() redrew (whole frames: the window).
  PixelRect last_damage() const { return last_damage_; }

 private:
  bool ensure_target(int w, int h);
  void release();
  void copy_to_window(const PixelRect& r, int fb_h);
  bool window_matches_picture(int w, int h);

  bool full_redraw_;
  bool gl_loaded_ = false, gl_missing_ = false;
  unsigned fbo_ = 0, texture_ = 0;
  int w_ = 0, h_ = 0;
  DamageTracker tracker_;
  std::vector<DamageCmd> cmds_;  // this frame's, described for the tracker
  std::vector<DamageList> lists_;
  PixelRect last_damage_;
  int back_kept_ = -1;     // the window's back buffer survives swaps: 1 yes, 0 no, -1 not asked yet
  bool back_current_ = false;  // it holds the kept picture as of the last frame
  bool picture_stale_ = false;  // the last frame was drawn straight into the window
  int checks_left_ = 3;    // damage-only copies still to compare with the picture
  bool copy_checked_ = false;  // the first copy to the window raised no GL error
};

}  // namespace fxs::ui
