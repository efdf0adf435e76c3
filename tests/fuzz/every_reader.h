// every_reader.h: every way futexscope reads a trace file, run on one file:
// `report` in each format, `export --format chrome` and the window's
// loader. Outputs are checked (output_checks.h); crashes, hangs and
// sanitizer reports are libFuzzer's to catch.
#pragma once

#include <string>

namespace fxs::fuzz {

void run_every_reader(const std::string& path);

}  // namespace fxs::fuzz
