// trace_models.h: the one set of models a trace is read into. Each record is
// routed by its type to the models that read it (add), and finish() runs
// them in the order their results depend on each other and joins them per
// futex into one TraceResult, which the text and JSON report and the folded
// output read (replay/report.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "replay/blocked_model.h"
#include "replay/bucket_model.h"
#include "replay/futex_model.h"
#include "replay/futex_names.h"
#include "replay/kind_model.h"
#include "replay/numa_model.h"
#include "replay/pairing_models.h"
#include "replay/record_types.h"
#include "replay/report_data.h"
#include "replay/rseq_model.h"
#include "replay/stack_model.h"
#include "replay/trace_format.h"
#include "replay/umcg_model.h"

namespace fxs {

struct TraceResult {
  ReportData data;  // every futex joined from all the models, ordered by the sort given to finish()
  NumaReport numa;
  RseqReport rseq;
  std::optional<UmcgReport> umcg;  // only when the trace holds UMCG records
  BlockedReport blocked;           // the threads blocked when the recording ended
};

class TraceModels {
 public:
  explicit TraceModels(const TraceHeader& header);

  // What the set reads: the union of its models' declarations (add() routes by them).
  static constexpr RecordTypes kReads = FutexModel::kReads | KindModel::kReads | StackModel::kReads |
                                        PairingModels::kReads | BucketModel::kReads | FutexNames::kReads |
                                        RseqModel::kReads | UmcgModel::kReads | BlockedModel::kReads;

  // One record of any type, valid as a chunk holds it (TraceReader checks
  // the framing); each model reads only its own types.
  void add(const fxs_rec_hdr* h);
  // Past the reader's memory limit, instead of add(): only the recording's
  // loss counters and its clean end, which take no memory. A report that
  // stopped reading early must still show every loss the recorder counted
  // (the final counters are written last).
  void add_end_only(const fxs_rec_hdr* h) {
    if (kEndRecords.has(h->type)) futexes_.add(h);
  }
  // The recorder's clean end was read (else the trace was cut short).
  bool has_stop_record() const { return futexes_.has_stop_record(); }

  // Once, after the last add(). `warnings` (the reader's) come first, then
  // the models'. `out`: what the pairing hands out besides the report.
  TraceResult finish(std::vector<std::string> warnings, FutexSort sort, const PairingOutputs& out = {});
  // After finish(): every stack, for the folded output.
  const StackModel& stacks() const { return stacks_; }

 private:
  TraceHeader header_;
  FutexModel futexes_;
  KindModel kinds_;
  StackModel stacks_;
  PairingModels pairing_;
  BucketModel buckets_;
  FutexNames names_;
  RseqModel rseq_;
  UmcgModel umcg_;
  BlockedModel blocked_;
};

}  // namespace fxs
