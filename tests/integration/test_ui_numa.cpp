// The window's NUMA tab: `replay --tab numa --screenshot` on a recording of
// fxs-sample-numa shows the wake matrix once it is computed (the screenshot
// waits for it): the busiest cell is drawn in the full heat colour of
// ui/view_numa.cpp (blue on the diagonal, orange across nodes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "run_command.h"
#include "ui_test_support.h"

// Declarations only: test_ui.cpp compiles stb_image into this binary.
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

TEST(UiNuma, TabShowsTheWakeMatrix) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  TempDir dir;
  const std::string trace = dir.path("numa.fxs"), png = dir.path("numa.png");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-numa", "--rounds",
                        "20000"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto s = run_command({"xvfb-run", "-a", "-s", "-screen 0 1280x800x24", kFutexscope, "replay", trace, "--tab",
                        "numa", "--screenshot", png, "--size", "1200x800"},
                       60);
  ASSERT_EQ(s.status, 0) << s.err;
  int w = 0, h = 0, n = 0;
  unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
  ASSERT_NE(px, nullptr) << "not a PNG: " << png;
  size_t same_node = 0, cross_node = 0;
  for (int i = 0; i < w * h; i++) {
    const unsigned char* p = px + i * 3;
    if (p[0] == 79 && p[1] == 143 && p[2] == 204) same_node++;
    if (p[0] == 237 && p[1] == 140 && p[2] == 41) cross_node++;
  }
  stbi_image_free(px);
  // A cell is at least 70 x 2 text lines.
  EXPECT_GE(same_node + cross_node, 1500u) << "no full-heat cell: the wake matrix is not in the screenshot (" << png
                                           << ")";
}

TEST(UiNuma, UnknownTabIsAOneLineError) {
  auto r = run_command({kFutexscope, "replay", "x.fxs", "--tab", "nope"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--tab"), std::string::npos) << r.err;
}

}  // namespace
