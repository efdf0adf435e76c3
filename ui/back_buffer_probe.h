// back_buffer_probe.h: whether the window's back buffer still holds the last
// frame after a swap, so only a frame's changed rectangle needs copying into
// it (ui/frame_renderer.h).
#pragma once

namespace fxs::ui {

// True for Mesa's software rasterizers (llvmpipe, softpipe) on GLX without
// GLX_EXT_buffer_age: that is Mesa's drisw, which swaps by copying a private
// back buffer to the window and leaves the buffer as it was (Xvfb, and
// desktops without a GPU driver). Any other driver may hand back a buffer of
// another age, so it gets whole copies. Call with the window's context current.
bool back_buffer_survives_swaps();

}  // namespace fxs::ui
