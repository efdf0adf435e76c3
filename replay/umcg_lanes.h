// umcg_lanes.h: UMCG servers and workers as timeline lanes (drawn by
// ui/view_umcg.cpp): every task's umcg_task state over time, and which
// server ran which worker when.
//
// The states come from UmcgModel (umcg_model.h: every readable umcg_task is
// an observation, a change starts a new span). On top of that:
//  - a server runs a worker from its umcg_wait with next_tid = worker until
//    that call returns (the worker blocked, yielded or was preempted); a
//    missing exit record ends it at the server's next record;
//  - a worker's RUNNING span names the server that ran it: the server whose
//    umcg_wait(next_tid = worker) covers the span's start, else the
//    umcg_task.server_tid seen last at or before it.
// Spans of a lane never overlap and are sorted, so fold() finds the visible
// ones with binary searches, as TimelineModel::fold does for futex calls.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/record_types.h"
#include "replay/umcg_model.h"

namespace fxs {

struct UmcgSpan {
  uint64_t t0 = 0, t1 = 0;
  uint32_t state = 0;  // a task's state word (base | flags); for a serving span FXS_UMCG_TASK_RUNNING
  uint32_t peer = 0;   // worker span: the server that ran it (RUNNING only); serving span: the worker; 0 unknown
};

struct UmcgLane {
  uint32_t tgid = 0, tid = 0;
  UmcgRole role = UmcgRole::kUnknown;
  uint32_t server = 0;             // workers: the server last seen
  std::vector<UmcgSpan> spans;     // the task's own state, sorted, not overlapping
  std::vector<UmcgSpan> serving;   // servers: the workers it ran (peer = worker), sorted
  uint64_t serving_ns = 0;         // servers: time spent running workers (sum of `serving`)
};

struct UmcgLaneSet {
  UmcgReport report;             // the model's report (its per-task timelines are in `lanes`)
  std::vector<UmcgLane> lanes;   // per process: each server, then its workers; then the rest
  uint64_t first_ns = 0, last_ns = 0;  // extent of the UMCG records (0, 0 if none)
};

// What one lane shows in a time range at a given zoom: one span (count == 1)
// or a run of short spans folded together.
struct UmcgLaneItem {
  uint64_t t0, t1;
  uint32_t first, count;  // spans [first, first + count)
  uint32_t state, peer;   // the span's, or those of the longest sampled span of the fold
};

class UmcgLaneBuilder {
 public:
  static constexpr RecordTypes kReads{FXS_REC_UMCG};  // the record types add() reads
  // Takes FXS_REC_UMCG records; ignores the rest.
  void add(const fxs_rec_hdr* h);
  UmcgLaneSet finish() const;
  uint64_t records() const { return model_.records(); }

  // Items of `spans` overlapping [t0, t1): spans at least min_ns long are
  // items of their own; a run of shorter ones is folded into one item of at
  // least min_ns. One binary search per item. Appends to `out`.
  static void fold(const std::vector<UmcgSpan>& spans, uint64_t t0, uint64_t t1, uint64_t min_ns,
                   std::vector<UmcgLaneItem>& out);

 private:
  struct Acc {
    std::vector<std::pair<uint64_t, uint32_t>> server_seen;  // (ts, server_tid) when it changed
    std::vector<UmcgSpan> serving;
    bool serving_open = false;  // the last serving span waits for its umcg_wait to return
    bool worker = false;        // registered as a worker (never counts as serving)
    uint64_t last_ts = 0;
  };
  UmcgModel model_;
  std::map<std::pair<uint32_t, uint32_t>, Acc> tasks_;  // (tgid, tid)
  uint64_t first_ns_ = UINT64_MAX, last_ns_ = 0;
};

}  // namespace fxs
