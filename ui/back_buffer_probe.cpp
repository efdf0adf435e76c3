#include "ui/back_buffer_probe.h"

#define GLFW_EXPOSE_NATIVE_X11
#define GLFW_EXPOSE_NATIVE_GLX
#include <GLFW/glfw3.h>
#include <GLFW/glfw3native.h>

#include <cstring>

namespace fxs::ui {

bool back_buffer_survives_swaps() {
  const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
  if (!renderer || (std::strncmp(renderer, "llvmpipe", 8) != 0 && std::strncmp(renderer, "softpipe", 8) != 0))
    return false;
  GLFWwindow* w = glfwGetCurrentContext();
  Display* d = glfwGetX11Display();
  if (!w || !d || !glfwGetGLXContext(w)) return false;  // not GLX (Wayland: EGL)
  const char* ext = glXQueryExtensionsString(d, DefaultScreen(d));
  return ext && !std::strstr(ext, "GLX_EXT_buffer_age");
}

}  // namespace fxs::ui
