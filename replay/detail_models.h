// detail_models.h: the models beside the per-futex table whose state both
// readers of a trace keep: the user and kernel stacks of waits and wakes
// (StackModel), the futexes' names (FutexNames), rseq (RseqModel) and the
// threads blocked when the recording ended (BlockedModel). `report`
// (replay/trace_models.h) and the window's side models (ui/side_models.h)
// feed this one group: a model added here is read by both. (UMCG is not in
// it: the report reads UmcgModel, the window the lanes built from the same
// records, replay/umcg_lanes.h.)
#pragma once

#include "replay/blocked_model.h"
#include "replay/futex_names.h"
#include "replay/record_types.h"
#include "replay/rseq_model.h"
#include "replay/stack_model.h"

namespace fxs {

struct DetailModels {
  static constexpr RecordTypes kReads =
      StackModel::kReads | FutexNames::kReads | RseqModel::kReads | BlockedModel::kReads;

  void add(const fxs_rec_hdr* h) {
    feed(stacks, h);
    feed(names, h);
    feed(rseq, h);
    feed(blocked, h);
  }

  StackModel stacks;
  FutexNames names;
  RseqModel rseq;
  BlockedModel blocked;
};

}  // namespace fxs
