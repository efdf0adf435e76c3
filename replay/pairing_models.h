// pairing_models.h: the models that need every wait paired with what ended
// it: who woke whom (replay/wake_model.h), the NUMA matrix of those wakes
// (replay/numa_model.h), where the waits that slept spent their time
// (split), futile wakeups, and who held the lock meanwhile (holders). They
// keep memory per wait (and per call) until finish().
//
// `report` finishes them once (replay/trace_models.h); the window's loader
// feeds them in its one pass and finishes them at the end of the stream, or
// a copy now and then while the trace grows (ui/ingest_worker.h).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "replay/futile_model.h"
#include "replay/holder_model.h"
#include "replay/numa_model.h"
#include "replay/pair_key.h"
#include "replay/record_types.h"
#include "replay/split_model.h"
#include "replay/wake_flows.h"
#include "replay/wake_model.h"

namespace fxs {

// What a futex's waits show once each is paired with its wake, beside who
// woke them: where the waits that slept spent their time, the futile
// wakeups, and who held the lock meanwhile (the report's `split`, `futile`,
// `holders`; the window's Futex tab).
struct FutexPairing {
  WaitSplit split;
  FutileWakes futile;
  std::vector<HolderTime> holders;  // filled for every futex; the report shows them for lock words only
};
using PairingByFutex = std::unordered_map<PairKey, FutexPairing, PairKeyHash>;  // key: {tgid, uaddr}

// What finish() can hand out besides the NumaReport; each where not null.
struct PairingOutputs {
  WakesByFutex* wakes = nullptr;                 // every futex's wakers (WakeModel::results())
  std::vector<WakeAttribution>* attributed = nullptr;  // every wake attributed to a wake call (the arrows)
  PairingByFutex* pairing = nullptr;             // split, futile wakeups, holders of every futex
};

// What a reader of the pairing pays for: everything (the report, the
// window), or only who woke whom (export's flows): the NUMA, split, futile
// and holder models then take no record.
enum class PairingScope { kEverything, kWakesOnly };

class PairingModels {
 public:
  explicit PairingModels(std::vector<int32_t> cpu_node, PairingScope scope = PairingScope::kEverything)
      : scope_(scope), numa_(std::move(cpu_node)) {
    share_wait_keys();
  }
  // A copy (a live view pairs what is loaded so far on another thread while
  // loading goes on) numbers its waits on its own copy of the numbering.
  PairingModels(const PairingModels& o)
      : scope_(o.scope_),
        wait_keys_(o.wait_keys_),
        wakes_(o.wakes_),
        numa_(o.numa_),
        splits_(o.splits_),
        futile_(o.futile_),
        holders_(o.holders_) {
    share_wait_keys();
  }
  PairingModels& operator=(const PairingModels&) = delete;

  static constexpr RecordTypes kReads =
      WakeModel::kReads | NumaModel::kReads | SplitModel::kReads | FutileModel::kReads | HolderModel::kReads;
  // Any record; each model takes the types it reads.
  void add(const fxs_rec_hdr* rec);
  // Every record of a decoded chunk; returns how many cost memory per record
  // until finish() (futex calls and wakes).
  uint64_t add_chunk(const uint8_t* data, size_t size);
  // Pairs and finishes every model, once, after the last add(); fills `out`.
  NumaReport finish(const PairingOutputs& out = {});

  // After finish(): one futex's results, or nullptr.
  const FutexWakes* wakes(uint32_t tgid, uint64_t uaddr) const { return wakes_.find(tgid, uaddr); }
  const WaitSplit* split(uint32_t tgid, uint64_t uaddr) const { return splits_.find(tgid, uaddr); }
  const FutileWakes* futile(uint32_t tgid, uint64_t uaddr) const { return futile_.find(tgid, uaddr); }
  const std::vector<HolderTime>* holders(uint32_t tgid, uint64_t uaddr) const { return holders_.find(tgid, uaddr); }
  const WakeModel& wake_model() const { return wakes_; }
  // The trace has wake records (else nothing can be paired exactly: --summary, or an old recording).
  bool has_wake_records() const { return wakes_.wake_records() > 0; }

 private:
  void share_wait_keys() {
    wakes_.share_wait_keys(&wait_keys_);
    splits_.share_wait_keys(&wait_keys_);
    holders_.share_wait_keys(&wait_keys_);
  }
  PairingScope scope_;
  // One number per wait for the models that keep something per wait: a
  // record is looked up once, not once per model (replay/wait_map.h).
  WaitKeys wait_keys_;
  WakeModel wakes_;
  NumaModel numa_;
  SplitModel splits_;
  FutileModel futile_;
  HolderModel holders_;
};

}  // namespace fxs
