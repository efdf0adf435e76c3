// output_checks.h: what the fuzz harness holds the readers' outputs to,
// beyond "no crash": the formats other tools parse must stay parseable
// whatever the trace held. A broken contract aborts, so libFuzzer saves
// the input like a crash.
#pragma once

#include <string>

namespace fxs::fuzz {

// `text` is one JSON document (report --format json, export --format chrome:
// strict parsers such as Perfetto's and Python's reject anything else);
// above 1 MiB only its first byte is looked at.
void check_json(const std::string& text, const char* what);
// Every line of `text` is "frame;frame;... COUNT" (flamegraph.pl's input,
// report --format folded): a name holding a newline must not split a line.
void check_folded(const std::string& text);
// A reader that returned an error wrote nothing (report.h: write_report).
void check_empty_on_error(const std::string& text, const char* what);

}  // namespace fxs::fuzz
