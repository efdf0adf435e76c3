#include "ui/screenshot.h"

#include <GL/gl.h>
#include <errno.h>

#include <cstring>
#include <vector>

#include "replay/error.h"
#include "stb_image_write.h"  // the implementation is in libstb

namespace fxs::ui {

std::string write_framebuffer_png(const std::string& path, int w, int h) {
  if (w <= 0 || h <= 0) return "empty framebuffer (" + std::to_string(w) + "x" + std::to_string(h) + ")";
  const size_t row = static_cast<size_t>(w) * 3;
  std::vector<unsigned char> pixels(row * static_cast<size_t>(h));
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadBuffer(GL_BACK);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  if (GLenum e = glGetError(); e != GL_NO_ERROR) return "glReadPixels failed (GL error " + std::to_string(e) + ")";
  // GL's first row is the bottom one; PNG's is the top.
  std::vector<unsigned char> tmp(row);
  for (int y = 0; y < h / 2; y++) {
    unsigned char* a = pixels.data() + static_cast<size_t>(y) * row;
    unsigned char* b = pixels.data() + static_cast<size_t>(h - 1 - y) * row;
    std::memcpy(tmp.data(), a, row);
    std::memcpy(a, b, row);
    std::memcpy(b, tmp.data(), row);
  }
  errno = 0;
  if (!stbi_write_png(path.c_str(), w, h, 3, pixels.data(), static_cast<int>(row)))
    return errno ? errno_message("write " + path, errno) : "write " + path + ": stb_image_write failed";
  return {};
}

}  // namespace fxs::ui
