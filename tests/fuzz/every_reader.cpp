#include "fuzz/every_reader.h"

#include <sstream>
#include <vector>

#include "fuzz/output_checks.h"
#include "fuzz/window_load.h"
#include "replay/chrome_export.h"
#include "replay/report.h"

namespace fxs::fuzz {

namespace {

// Every reader stops at this budget (at half of it: replay/memory_budget.h),
// as the CLI does at its default: a small input that expands a thousandfold
// must end in the per-input time and memory limits, with a warning.
constexpr uint64_t kFuzzMemoryLimit = uint64_t{128} << 20;

void report(const std::string& path, ReportOptions::Format format) {
  ReportOptions opts;
  opts.format = format;
  opts.memory_limit = kFuzzMemoryLimit;
  std::ostringstream out, warnings;
  Status st = write_report(path, opts, out, warnings);
  if (!st.ok()) return check_empty_on_error(out.str(), "report");
  if (format == ReportOptions::Format::kJson) check_json(out.str(), "report --format json");
  if (format == ReportOptions::Format::kFolded) check_folded(out.str());
}

void chrome_export(const std::string& path) {
  std::ostringstream out;
  std::vector<std::string> warnings;
  if (export_chrome(path, out, warnings, kFuzzMemoryLimit).ok()) check_json(out.str(), "export --format chrome");
}

}  // namespace

void run_every_reader(const std::string& path) {
  for (auto format : {ReportOptions::Format::kText, ReportOptions::Format::kJson, ReportOptions::Format::kFolded})
    report(path, format);
  chrome_export(path);
  load_like_the_window(path, kFuzzMemoryLimit);
}

}  // namespace fxs::fuzz
