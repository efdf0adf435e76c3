// What the window's tests (test_ui*.cpp) need to run, and skipping them
// loudly where it is missing: a futexscope built with the UI, and xvfb-run.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "run_command.h"

namespace fxs::test {

// A futexscope configured with -DFXS_BUILD_UI=OFF has no window: its replay says so.
bool ui_built();
bool have_xvfb();
// Why the window cannot be drawn here ("futexscope was built without the
// UI", "needs xvfb-run (...)"), or empty when it can.
std::string ui_unavailable();

}  // namespace fxs::test

// The window is drawn (under xvfb-run).
#define REQUIRE_XVFB_UI() FXS_SKIP_UNLESS_EMPTY(fxs::test::ui_unavailable())
// Only `replay`'s command line is checked: no display needed.
#define REQUIRE_UI_BUILT() \
  FXS_SKIP_UNLESS_EMPTY(fxs::test::ui_built() ? std::string() : std::string("futexscope was built without the UI"))
