#include "ui_test_support.h"

#include <cstdlib>

#include "run_command.h"

namespace fxs::test {

bool ui_built() {
  static const bool built =
      run_command({FXS_BINARY, "replay", "/nonexistent.fxs"}).err.find("without the UI") == std::string::npos;
  return built;
}

bool have_xvfb() {
  static const bool have = std::system("command -v xvfb-run >/dev/null 2>&1") == 0;
  return have;
}

std::string ui_unavailable() {
  if (!ui_built()) return "futexscope was built without the UI";  // same words as REQUIRE_UI_BUILT
  if (!have_xvfb())
    return "needs xvfb-run (apt-get install xvfb xauth libgl1-mesa-dri; scripts/install-deps.sh does)";
  return {};
}

}  // namespace fxs::test
