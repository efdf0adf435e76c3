// report.h: `futexscope report` - a trace file rendered as text or JSON.
// The JSON keys are a contract (DESIGN.md "JSON report", docs/report-json.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the JSON writers include json.hpp themselves

#include "replay/error.h"
#include "replay/format.h"
#include "replay/report_data.h"

namespace fxs {

class JsonWriter;
class NumaFutexLookup;
struct NumaFutex;

struct ReportOptions {
  enum class Format { kText, kJson, kFolded };
  Format format = Format::kText;
  // How many futexes to list, best-ranked first. Unset: 20 in text, all in
  // JSON. 0 = all.
  std::optional<size_t> top;

  // Heap the models may take (replay/memory_budget.h); 0: memory_limit_for_file()'s default.
  uint64_t memory_limit = 0;

  // The order of the futexes (and so which --top keeps): FutexSort.
  using Sort = FutexSort;
  Sort sort = Sort::kContention;

  // kFolded: the stacks of the calls that woke waits, weighted by waiters
  // woken, instead of the waits' stacks weighted by wait time.
  bool wakers = false;

  static constexpr size_t kDefaultTextTop = 20;
  // The limit in effect for `format` (0 = all).
  size_t effective_top() const {
    if (top) return *top;
    return format == Format::kText ? kDefaultTextTop : 0;
  }
};

// Reads `trace_path` with TraceReader, builds the model and writes the report
// to `out`. The reader's and the model's warnings go to `warnings`, one line
// each, prefixed "futexscope: warning: " (and into the JSON "warnings" list).
// Errors (unreadable file, folded format) come back as a Status; nothing is
// written to `out` then.
Status write_report(const std::string& trace_path, const ReportOptions& opts, std::ostream& out,
                    std::ostream& warnings,
                    size_t* deadlocks = nullptr);  // set to the deadlocks found (report --fail-on-deadlock)

// ---- The pieces, for tests and other front ends ----------------------------

// The JSON document's top-level keys but "futexes" (top: how many futexes,
// buckets... to list, 0 = all); a front end adds its own sections to it.
nlohmann::json report_json_sections(const ReportData& r, size_t top);
// Writes `sections` plus the "futexes" list, one futex at a time (memory
// stays that of ReportData, however many futexes there are); `numa`
// (optional) adds each futex's "numa" and "page_node".
void write_json_report(const ReportData& r, size_t top, const nlohmann::json& sections, std::ostream& out,
                       const NumaFutexLookup* numa = nullptr);
// The whole document, parsed back (for tests and small reports).
nlohmann::json report_json(const ReportData& r, size_t top);
// One futex's JSON object (with its NUMA keys if `numa`), written...
void write_futex_json(const ReportData::Futex& f, const NumaFutex* numa, JsonWriter& w);
// ... and parsed back (for tests).
nlohmann::json futex_json(const ReportData::Futex& f, const NumaFutex* numa = nullptr);

// The human-readable report.
void write_text_report(const ReportData& r, size_t top, std::ostream& out);

}  // namespace fxs
