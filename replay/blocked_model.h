// blocked_model.h: the threads of the traced process as the recording last
// saw them (FXS_REC_THREAD_STATE at the end, collector/thread_snapshot.h),
// and who waits for whom among them: the report's "blocked", "deadlocks" and
// "chains". A trace cut short before its end (SIGKILL) has only the look at
// attach (-p PID): that one is reported then.
#pragma once

#include <map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/record_types.h"
#include "replay/wait_for_graph.h"

namespace fxs {

struct BlockedReport {
  bool recorded = false;                // the trace holds a look at the end or at attach
  bool at_end = false;                  // ... and it is the one at the end
  std::vector<ThreadSnapshot> threads;  // by tid
  WaitForGraph graph;
};

class BlockedModel {
 public:
  static constexpr RecordTypes kReads{FXS_REC_THREAD_STATE};  // the record types add() reads
  // Takes FXS_REC_THREAD_STATE records; ignores the rest.
  void add(const fxs_rec_hdr* h);
  BlockedReport finish() const;
  // Thread state records taken so far (a reader rebuilds its report only when this grows).
  uint64_t records() const { return records_; }

 private:
  uint64_t records_ = 0;
  std::map<uint32_t, ThreadSnapshot> attach_, end_;  // by tid
};

}  // namespace fxs
