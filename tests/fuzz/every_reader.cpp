#include "fuzz/every_reader.h"

#include <sstream>
#include <vector>

#include "fuzz/output_checks.h"
#include "fuzz/window_load.h"
#include "replay/chrome_export.h"
#include "replay/report.h"

namespace fxs::fuzz {

namespace {

void report(const std::string& path, ReportOptions::Format format) {
  ReportOptions opts;
  opts.format = format;
  std::ostringstream out, warnings;
  Status st = write_report(path, opts, out, warnings);
  if (!st.ok()) return check_empty_on_error(out.str(), "report");
  if (format == ReportOptions::Format::kJson) check_json(out.str(), "report --format json");
  if (format == ReportOptions::Format::kFolded) check_folded(out.str());
}

void chrome_export(const std::string& path) {
  std::ostringstream out;
  std::vector<std::string> warnings;
  if (export_chrome(path, out, warnings).ok()) check_json(out.str(), "export --format chrome");
}

}  // namespace

void run_every_reader(const std::string& path) {
  for (auto format : {ReportOptions::Format::kText, ReportOptions::Format::kJson, ReportOptions::Format::kFolded})
    report(path, format);
  chrome_export(path);
  load_like_the_window(path);
}

}  // namespace fxs::fuzz
