// futex_table_models.h: the models behind the per-futex table: each
// futex's calls and waits (FutexModel), its kind (KindModel, which keeps
// its state by the futex model's index of the call's futex) and its hash
// bucket (BucketModel). `report` (replay/trace_models.h) and the window's
// futexes stage (ui/ingest_worker.h) feed this one group: a model added here
// is read by both.
#pragma once

#include <cstdint>

#include "replay/bucket_model.h"
#include "replay/chunk_futex_keys.h"
#include "replay/futex_model.h"
#include "replay/kind_model.h"
#include "replay/record_types.h"

namespace fxs {

struct FutexTableModels {
  static constexpr RecordTypes kReads = FutexModel::kReads | KindModel::kReads | BucketModel::kReads;

  // One record; `key_id` as FutexModel::add takes it (between
  // futexes.start_chunk() and end_chunk()), or kNone.
  void add(const fxs_rec_hdr* h, uint32_t key_id = ChunkFutexKeys::kNone) {
    const uint32_t futex = FutexModel::kReads.has(h->type) ? futexes.add(h, key_id) : FutexIndex::kNone;
    if (KindModel::kReads.has(h->type)) kinds.add(h, futex);
    feed(buckets, h);
  }

  FutexModel futexes;
  KindModel kinds;
  BucketModel buckets;
};

}  // namespace fxs
