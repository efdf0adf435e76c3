#include "ui/palette.h"

#include <cmath>

namespace fxs::ui {

namespace {

// Tableau 10: distinct hues of similar weight that stay apart for the
// common forms of colour blindness better than a rainbow does.
constexpr ImU32 kTop[10] = {
    IM_COL32(78, 121, 167, 255),  IM_COL32(242, 142, 43, 255), IM_COL32(225, 87, 89, 255),
    IM_COL32(118, 183, 178, 255), IM_COL32(89, 161, 79, 255),  IM_COL32(237, 201, 72, 255),
    IM_COL32(176, 122, 161, 255), IM_COL32(255, 157, 167, 255), IM_COL32(156, 117, 95, 255),
    IM_COL32(186, 176, 172, 255),
};

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

}  // namespace

ImU32 futex_color(uint32_t tgid, uint64_t uaddr, int rank) {
  if (rank >= 0 && rank < 10) return kTop[rank];
  uint64_t h = mix(uaddr ^ (uint64_t{tgid} << 48));
  float hue = static_cast<float>(h % 1000) / 1000.0f;
  float r, g, b;
  ImGui::ColorConvertHSVtoRGB(hue, 0.35f, 0.62f, r, g, b);
  return ImGui::ColorConvertFloat4ToU32(ImVec4(r, g, b, 1.0f));
}

ImU32 faded(ImU32 c, float alpha) {
  ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
  v.w = alpha;
  return ImGui::ColorConvertFloat4ToU32(v);
}

ImU32 dimmed(ImU32 c) {
  ImVec4 v = ImGui::ColorConvertU32ToFloat4(c);
  float grey = (v.x + v.y + v.z) / 3.0f;
  return ImGui::ColorConvertFloat4ToU32(ImVec4(grey * 0.45f, grey * 0.45f, grey * 0.5f, 1.0f));
}

}  // namespace fxs::ui
