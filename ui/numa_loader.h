// numa_loader.h: the NUMA view's data, every futex's wakers (the futex
// panel's "Woken by") and which call woke which wait (the timeline's exact
// arrows), computed on demand on a named thread (fxs-numa) by
// reading the trace file again with the report's own models
// (replay/numa_follow.h). Both need every wait paired with its wake
// (replay/wake_model.h), which costs memory per wait: the window's loader
// does not keep that for every trace, only while this runs.
//
// A replay is read once. A live trace (follow) is read incrementally: the
// loader keeps a NumaFollower (replay/numa_follow.h) between requests, and
// each request reads only what the recorder appended since the last one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "replay/numa_follow.h"
#include "replay/numa_model.h"

namespace fxs::ui {

struct NumaSnapshot {
  bool ok = false;
  std::string error;      // when !ok
  NumaReport report;
  WakesByFutex wakes;       // every futex's wakers, by {tgid, uaddr}
  std::vector<WakeAttribution> attributed;  // every wake attributed to a wake call: the timeline's arrows
  PairingByFutex pairing;   // every futex's latency split, futile wakeups, holders (the Futex tab)
  uint64_t generation = 0;  // the ingest generation it was requested at
  double seconds = 0;       // how long it took
  uint64_t bytes_read = 0;  // live: of the file by this request (what was appended since the last one)
};

class NumaLoader {
 public:
  NumaLoader() = default;
  ~NumaLoader();  // cancels and joins
  NumaLoader(const NumaLoader&) = delete;
  NumaLoader& operator=(const NumaLoader&) = delete;

  // Starts computing from `path` unless a computation is running. follow:
  // the file is still growing; read on from where the last request stopped.
  void request(const std::string& path, uint64_t generation, bool follow = false);
  bool busy() const { return busy_.load(); }
  // The latest finished result, or nullptr.
  std::shared_ptr<const NumaSnapshot> snapshot() const;
  std::chrono::steady_clock::time_point requested_at() const { return requested_at_; }

 private:
  void join();
  std::thread thread_;
  std::atomic<bool> busy_{false};
  std::atomic<bool> cancel_{false};
  // Following a live trace: touched only by the running request's thread
  // (request() joins the previous one first).
  std::unique_ptr<NumaFollower> follower_;
  std::chrono::steady_clock::time_point requested_at_{};
  mutable std::mutex mu_;
  std::shared_ptr<const NumaSnapshot> snap_;
};

}  // namespace fxs::ui
