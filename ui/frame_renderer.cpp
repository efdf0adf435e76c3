#include "ui/frame_renderer.h"

#define GLFW_INCLUDE_GLEXT
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstddef>
#include <vector>

#include "backends/imgui_impl_opengl3.h"
#include "ui/back_buffer_probe.h"
#include "imgui.h"

namespace fxs::ui {

static_assert(sizeof(ImDrawVert) == sizeof(DamageVertex) && offsetof(ImDrawVert, pos) == offsetof(DamageVertex, x) &&
                  offsetof(ImDrawVert, uv) == offsetof(DamageVertex, u) &&
                  offsetof(ImDrawVert, col) == offsetof(DamageVertex, col),
              "DamageVertex must read ImDrawVert");
static_assert(sizeof(ImDrawIdx) == sizeof(uint16_t), "ImGui built with 16-bit indices");

namespace {

// GL 3.0 framebuffer objects: not in libGL's GL 1.x exports, so looked up.
PFNGLGENFRAMEBUFFERSPROC gen_framebuffers;
PFNGLDELETEFRAMEBUFFERSPROC delete_framebuffers;
PFNGLBINDFRAMEBUFFERPROC bind_framebuffer;
PFNGLFRAMEBUFFERTEXTURE2DPROC framebuffer_texture_2d;
PFNGLCHECKFRAMEBUFFERSTATUSPROC check_framebuffer_status;
PFNGLBLITFRAMEBUFFERPROC blit_framebuffer;

bool load_gl() {
  gen_framebuffers = reinterpret_cast<PFNGLGENFRAMEBUFFERSPROC>(glfwGetProcAddress("glGenFramebuffers"));
  delete_framebuffers = reinterpret_cast<PFNGLDELETEFRAMEBUFFERSPROC>(glfwGetProcAddress("glDeleteFramebuffers"));
  bind_framebuffer = reinterpret_cast<PFNGLBINDFRAMEBUFFERPROC>(glfwGetProcAddress("glBindFramebuffer"));
  framebuffer_texture_2d =
      reinterpret_cast<PFNGLFRAMEBUFFERTEXTURE2DPROC>(glfwGetProcAddress("glFramebufferTexture2D"));
  check_framebuffer_status =
      reinterpret_cast<PFNGLCHECKFRAMEBUFFERSTATUSPROC>(glfwGetProcAddress("glCheckFramebufferStatus"));
  blit_framebuffer = reinterpret_cast<PFNGLBLITFRAMEBUFFERPROC>(glfwGetProcAddress("glBlitFramebuffer"));
  return gen_framebuffers && delete_framebuffers && bind_framebuffer && framebuffer_texture_2d &&
         check_framebuffer_status && blit_framebuffer;
}

// The OpenGL3 backend turns a command's clip rectangle into a scissor box
// with float arithmetic and int truncation. A partial redraw replaces it by
// exactly the box the backend would have used, cut to the damage, written
// in whole pixels so the backend's arithmetic gives it back unchanged: the
// redrawn pixels are then the ones a whole frame draws there.
void cut_clip_rects(ImDrawData* dd, int fb_h, const PixelRect& d) {
  for (int li = 0; li < dd->CmdListsCount; li++) {
    for (ImDrawCmd& c : dd->CmdLists[li]->CmdBuffer) {
      if (c.UserCallback) continue;
      const ImVec2 lo(c.ClipRect.x, c.ClipRect.y), hi(c.ClipRect.z, c.ClipRect.w);
      if (hi.x <= lo.x || hi.y <= lo.y) continue;  // drawn by nobody
      // The backend's scissor box (GL rows count from the bottom).
      const int sx = (int)lo.x, sy = (int)(fb_h - hi.y), sw = (int)(hi.x - lo.x), sh = (int)(hi.y - lo.y);
      const int x0 = std::max(sx, d.x0), x1 = std::min(sx + sw, d.x1);
      const int gy0 = std::max(sy, fb_h - d.y1), gy1 = std::min(sy + sh, fb_h - d.y0);
      if (x1 <= x0 || gy1 <= gy0) {
        c.ClipRect = ImVec4(0, 0, 0, 0);  // outside the damage: skipped
        continue;
      }
      c.ClipRect = ImVec4(float(x0), float(fb_h - gy1), float(x1), float(fb_h - gy0));
    }
  }
}

}  // namespace

FrameRenderer::~FrameRenderer() { release(); }

void FrameRenderer::release() {
  if (fbo_) delete_framebuffers(1, &fbo_);
  if (texture_) glDeleteTextures(1, &texture_);
  fbo_ = texture_ = 0;
  w_ = h_ = 0;
}

// The kept picture, w x h; false if this GL cannot keep one.
bool FrameRenderer::ensure_target(int w, int h) {
  if (gl_missing_ || w <= 0 || h <= 0) return false;  // minimised: nothing to keep
  if (!gl_loaded_) {
    gl_loaded_ = true;
    if (!load_gl()) {
      gl_missing_ = true;
      return false;
    }
  }
  if (fbo_ && w == w_ && h == h_) return true;
  release();
  GLint last_texture = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &last_texture);
  glGenTextures(1, &texture_);
  glBindTexture(GL_TEXTURE_2D, texture_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  // RGB with BGRA data: Mesa then keeps it in the window's own pixel format
  // (B8G8R8X8 under Xvfb), and llvmpipe copies it to the window instead of
  // shading a textured quad (RGBA8: 10.1-10.7 ms a frame, this: 7.8-9.0).
  // ImGui's colours do not use the destination's alpha.
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB8, w, h, 0, GL_BGRA, GL_UNSIGNED_BYTE, nullptr);
  glBindTexture(GL_TEXTURE_2D, GLuint(last_texture));
  gen_framebuffers(1, &fbo_);
  bind_framebuffer(GL_FRAMEBUFFER, fbo_);
  framebuffer_texture_2d(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, texture_, 0);
  const bool complete = check_framebuffer_status(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
  bind_framebuffer(GL_FRAMEBUFFER, 0);
  if (!complete || glGetError() != GL_NO_ERROR) {
    release();
    gl_missing_ = true;
    return false;
  }
  w_ = w, h_ = h;
  tracker_.invalidate();
  return true;
}

void FrameRenderer::render(ImDrawData* dd, int fb_w, int fb_h, const float (&bg)[4]) {
  // The damage is found in display coordinates and cut in pixels: only
  // where the two are the same (no HiDPI scale, no offset).
  const bool unscaled = dd->DisplayPos.x == 0 && dd->DisplayPos.y == 0 && dd->FramebufferScale.x == 1 &&
                        dd->FramebufferScale.y == 1 && int(dd->DisplaySize.x) == fb_w &&
                        int(dd->DisplaySize.y) == fb_h;
  glViewport(0, 0, fb_w, fb_h);
  glClearColor(bg[0], bg[1], bg[2], bg[3]);
  if (!unscaled || !ensure_target(fb_w, fb_h)) {
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(dd);
    tracker_.invalidate();
    back_current_ = false;
    last_damage_ = PixelRect{0, 0, fb_w, fb_h};
    return;
  }

  cmds_.clear();
  for (int li = 0; li < dd->CmdListsCount; li++)
    for (const ImDrawCmd& c : dd->CmdLists[li]->CmdBuffer)
      cmds_.push_back(DamageCmd{{c.ClipRect.x, c.ClipRect.y, c.ClipRect.z, c.ClipRect.w},
                                reinterpret_cast<uintptr_t>(c.TextureId), c.VtxOffset, c.IdxOffset, c.ElemCount,
                                c.UserCallback != nullptr});
  lists_.clear();
  size_t next_cmd = 0;
  for (int li = 0; li < dd->CmdListsCount; li++) {
    const ImDrawList* l = dd->CmdLists[li];
    lists_.push_back(DamageList{l->_OwnerName ? l->_OwnerName : "",
                                {reinterpret_cast<const DamageVertex*>(l->VtxBuffer.Data), size_t(l->VtxBuffer.Size)},
                                {l->IdxBuffer.Data, size_t(l->IdxBuffer.Size)},
                                {cmds_.data() + next_cmd, size_t(l->CmdBuffer.Size)}});
    next_cmd += size_t(l->CmdBuffer.Size);
  }
  const PixelRect whole{0, 0, fb_w, fb_h};
  PixelRect d = tracker_.update(lists_, fb_w, fb_h);
  if (!full_redraw_ && d.area() * 2 > whole.area()) {
    // Most of the window changed (every frame does while loading): draw it
    // straight into the window as a whole frame, which saves copying the
    // picture (~4 ms on llvmpipe; while loading, CPU the loader needs). The kept picture is then out of date: the next frame
    // redraws it whole.
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(dd);
    picture_stale_ = true;
    back_current_ = false;
    last_damage_ = whole;
    return;
  }
  if (full_redraw_ || picture_stale_) d = whole;
  picture_stale_ = false;
  last_damage_ = d;

  if (!d.empty()) {
    bind_framebuffer(GL_FRAMEBUFFER, fbo_);
    if (d.area() < (long long)fb_w * fb_h) cut_clip_rects(dd, fb_h, d);
    glEnable(GL_SCISSOR_TEST);
    glScissor(d.x0, fb_h - d.y1, d.x1 - d.x0, d.y1 - d.y0);
    glClear(GL_COLOR_BUFFER_BIT);
    glDisable(GL_SCISSOR_TEST);
    ImGui_ImplOpenGL3_RenderDrawData(dd);
    glDisable(GL_SCISSOR_TEST);  // the backend leaves it as it found it; the copy must not be cut
    bind_framebuffer(GL_FRAMEBUFFER, 0);  // the window's, for the copy, a screenshot and the swap
  }
  // Copy to the window: only the damage when its back buffer still holds the
  // last frame. A whole copy costs llvmpipe ~4 ms (a shaded quad over 1.6M
  // px), as much as drawing the rest of a panning frame.
  if (back_kept_ < 0) back_kept_ = back_buffer_survives_swaps() ? 1 : 0;
  const bool damage_only = back_kept_ == 1 && back_current_;
  if (!copy_checked_)  // only the copy's own error counts below
    for (int i = 0; i < 32 && glGetError() != GL_NO_ERROR; i++) {
    }
  copy_to_window(damage_only ? d : whole, fb_h);
  if (!copy_checked_) {
    // A driver that cannot copy into its window (a multisampled one, forced
    // by a driver setting, refuses) would show nothing: draw straight into
    // the window from now on. (The first copy follows a whole frame, whose
    // clip rectangles were not cut, so it can be drawn again as it is.)
    copy_checked_ = true;
    if (glGetError() != GL_NO_ERROR) {
      release();
      gl_missing_ = true;
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(dd);
      last_damage_ = whole;
      return;
    }
  }
  // Trust, but check the first few damage-only copies against the picture.
  if (damage_only && !d.empty() && d.area() < whole.area() && checks_left_ > 0) {
    checks_left_--;
    if (!window_matches_picture(fb_w, fb_h)) {
      back_kept_ = 0;
      copy_to_window(whole, fb_h);
    }
  }
  back_current_ = true;
}

void FrameRenderer::copy_to_window(const PixelRect& r, int fb_h) {
  if (r.empty()) return;
  bind_framebuffer(GL_READ_FRAMEBUFFER, fbo_);
  bind_framebuffer(GL_DRAW_FRAMEBUFFER, 0);
  const int y0 = fb_h - r.y1, y1 = fb_h - r.y0;  // GL rows count from the bottom
  blit_framebuffer(r.x0, y0, r.x1, y1, r.x0, y0, r.x1, y1, GL_COLOR_BUFFER_BIT, GL_NEAREST);
  bind_framebuffer(GL_FRAMEBUFFER, 0);
}

bool FrameRenderer::window_matches_picture(int w, int h) {
  std::vector<unsigned char> window(size_t(w) * size_t(h) * 3), picture(window.size());
  GLint pack = 4;
  glGetIntegerv(GL_PACK_ALIGNMENT, &pack);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  bind_framebuffer(GL_READ_FRAMEBUFFER, 0);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, window.data());
  bind_framebuffer(GL_READ_FRAMEBUFFER, fbo_);
  glReadBuffer(GL_COLOR_ATTACHMENT0);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, picture.data());
  bind_framebuffer(GL_FRAMEBUFFER, 0);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, pack);
  return window == picture;
}

}  // namespace fxs::ui
