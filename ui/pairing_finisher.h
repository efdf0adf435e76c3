// pairing_finisher.h: finishes the window's wake pairing (replay/pairing_models.h)
// on a thread of its own (fxs-pair). The loader's futexes stage feeds the
// pairing models in the same pass as every other model (ui/ingest_worker.h)
// and hands them here: moved at the end of the stream, or a copy now and
// then while live. What comes out is the NUMA view, every futex's wakers
// (the futex panel's "Woken by"), its latency split, futile wakeups and
// holders, and which call woke which wait (the timeline's exact arrows).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "replay/numa_model.h"
#include "replay/pairing_models.h"

namespace fxs::ui {

struct PairingSnapshot {
  NumaReport report;
  WakesByFutex wakes;       // every futex's wakers, by {tgid, uaddr}
  std::vector<WakeAttribution> attributed;  // every wake attributed to a wake call: the timeline's arrows
  PairingByFutex pairing;   // every futex's latency split, futile wakeups, holders (the Futex tab)
  std::unordered_map<PairKey, uint32_t, PairKeyHash> numa_index;  // {tgid, uaddr} -> report.futexes
  uint64_t generation = 0;  // the ingest generation its models were taken at
  bool complete = false;    // of all the window loaded (else of what a growing trace held then)
  double seconds = 0;       // how long it took: copying the models (live), then finishing them
};

// The wakers of `paired`, or nullptr while the pairing is not in or the trace
// has no wake records (then nothing is contended as far as it can tell).
inline const WakesByFutex* paired_wakes(const PairingSnapshot* paired) {
  return paired && paired->report.wake_records ? &paired->wakes : nullptr;
}

class PairingFinisher {
 public:
  PairingFinisher() = default;
  ~PairingFinisher();  // joins
  PairingFinisher(const PairingFinisher&) = delete;
  PairingFinisher& operator=(const PairingFinisher&) = delete;

  // Starts finishing `models` (after the finish before, if one is running:
  // callers that must not wait check busy() first); `done` (thread-safe)
  // is called after. `copy_seconds`: what taking the models cost the caller.
  void finish(std::unique_ptr<PairingModels> models, uint64_t generation, bool complete, std::function<void()> done,
              double copy_seconds = 0);
  bool busy() const { return busy_.load(); }
  // The latest finished result, or nullptr.
  std::shared_ptr<const PairingSnapshot> snapshot() const;

 private:
  std::thread thread_;
  std::atomic<bool> busy_{false};
  mutable std::mutex mu_;
  std::shared_ptr<const PairingSnapshot> snap_;
};

}  // namespace fxs::ui
