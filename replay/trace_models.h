// trace_models.h: the one set of models a trace is read into. Each record is
// routed by its type to the models that read it (add), and finish() runs
// them in the order their results depend on each other and joins them per
// futex into one TraceResult, which the text and JSON report, the folded
// output (replay/report.h) and export (replay/chrome_export.h) read. Each
// reader says which analyses it pays for (Analyses). The window feeds the
// same models in stages of its own, on several threads (ui/ingest_worker.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "replay/detail_models.h"
#include "replay/futex_table_models.h"
#include "replay/memory_budget.h"
#include "replay/pairing_models.h"
#include "replay/record_types.h"
#include "replay/report_data.h"
#include "replay/timeline_model.h"
#include "replay/trace_format.h"
#include "replay/trace_reader.h"
#include "replay/umcg_model.h"
#include "replay/wake_flows.h"

namespace fxs {

// What a reader of a trace pays for: each analysis costs time per record and
// memory until finish().
struct Analyses {
  // The report: every futex's statistics, kinds, stacks, buckets and names,
  // the pairing of each wait with its wake (wakers, NUMA, latency split,
  // futile wakeups, holders), rseq, UMCG, the threads blocked at the end.
  bool report = true;
  // Which wake call ended each wait (TraceResult::attributed): the arrows
  // and the Chrome flows. Without `report`, the pairing reads only what this needs.
  bool attributions = false;
  // Every call of every thread (TraceResult::timeline), for export.
  bool timeline = false;
};

struct TraceResult {
  // Filled by the analyses asked for (the others stay empty); `data.header`
  // and `data.warnings` always.
  ReportData data;  // every futex joined from all the models, ordered by the sort given to finish()
  NumaReport numa;
  RseqReport rseq;
  std::optional<UmcgReport> umcg;  // only when the trace holds UMCG records
  BlockedReport blocked;           // the threads blocked when the recording ended
  StackModel stacks;                        // every stack (the report), for the folded output
  std::vector<WakeAttribution> attributed;  // every wake attributed to the call that woke it
  bool wake_records = false;       // the trace has wake records: `attributed` is exact (else empty)
  TimelineModel timeline;
};

class TraceModels {
 public:
  explicit TraceModels(const TraceHeader& header, Analyses analyses = {});

  // What the set reads: the union of its models' declarations (add() routes by them).
  static constexpr RecordTypes kReads =
      FutexTableModels::kReads | DetailModels::kReads | PairingModels::kReads | UmcgModel::kReads;

  // One record of any type, valid as a chunk holds it (TraceReader checks
  // the framing); each model reads only its own types.
  void add(const fxs_rec_hdr* h);
  // Past the reader's memory limit, instead of add(): only the recording's
  // loss counters and its clean end, which take no memory. A report that
  // stopped reading early must still show every loss the recorder counted
  // (the final counters are written last).
  void add_end_only(const fxs_rec_hdr* h) {
    if (!kEndRecords.has(h->type)) return;
    table_.futexes.add(h);
    if (analyses_.timeline) timeline_.add(h);
  }
  // The recorder's clean end was read (else the trace was cut short).
  bool has_stop_record() const { return table_.futexes.has_stop_record(); }

  // Once, after the last add(). `warnings` (the reader's) come first, then
  // the models'.
  TraceResult finish(std::vector<std::string> warnings, FutexSort sort = FutexSort::kContention);

  // Reads every record `reader` has left into the models, as `report` and
  // `export` do: past `budget`, only the end records (add_end_only). Adds
  // the reader's warnings, then why the read ended early, to `warnings`;
  // `what` names the reader in them ("the report").
  void read(TraceReader& reader, MemoryBudget& budget, const std::string& what, std::vector<std::string>& warnings);

 private:
  TraceHeader header_;
  Analyses analyses_;
  // The report's models, in groups the window's loader feeds too.
  FutexTableModels table_;
  DetailModels details_;
  PairingModels pairing_;
  UmcgModel umcg_;  // the window builds UMCG lanes instead (ui/side_models.h)
  TimelineModel timeline_;
};

// Opens the trace at `path`, reads it into a TraceModels with `analyses`
// (within `memory_limit`, 0: the default for the file) and finishes it.
Result<TraceResult> read_trace(const std::string& path, Analyses analyses, uint64_t memory_limit = 0,
                               FutexSort sort = FutexSort::kContention);

}  // namespace fxs
