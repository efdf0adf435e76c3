// palette.h: colours that mean something, shared by every view.
//
// A futex keeps one colour everywhere (timeline bars, table swatch, detail
// view). The ten futexes with the most wait time get the ten clearly distinct
// colours of a qualitative palette; the rest get a muted colour derived from
// their address, stable across runs and frames.
#pragma once

#include <cstdint>

#include "imgui.h"

namespace fxs::ui {

namespace colors {
inline constexpr ImU32 kBackground = IM_COL32(24, 26, 30, 255);
inline constexpr ImU32 kLaneEven = IM_COL32(32, 35, 40, 255);
inline constexpr ImU32 kLaneOdd = IM_COL32(38, 41, 47, 255);
inline constexpr ImU32 kLaneLine = IM_COL32(255, 255, 255, 18);
inline constexpr ImU32 kGrid = IM_COL32(255, 255, 255, 22);
inline constexpr ImU32 kAxisText = IM_COL32(200, 204, 212, 255);
inline constexpr ImU32 kDimText = IM_COL32(140, 146, 156, 255);
inline constexpr ImU32 kSelection = IM_COL32(255, 255, 255, 255);
inline constexpr ImU32 kPlayhead = IM_COL32(255, 214, 80, 255);
inline constexpr ImU32 kLoss = IM_COL32(235, 64, 52, 255);
inline constexpr ImU32 kWarn = IM_COL32(240, 170, 40, 255);
inline constexpr ImU32 kOk = IM_COL32(110, 190, 110, 255);
}  // namespace colors

// The colour of a futex given its rank by total wait (0 = most), or -1 if unranked.
ImU32 futex_color(uint32_t tgid, uint64_t uaddr, int rank);
// Same hue, for calls that did not wait (wakes, EAGAIN): darker and translucent.
ImU32 faded(ImU32 c, float alpha);
ImU32 dimmed(ImU32 c);  // a futex that is not the selected one

}  // namespace fxs::ui
