// numa_follow.h: the NUMA report of a trace read a piece at a time: the
// window's live NUMA view follows a file the recorder is still writing, and
// each update() reads only what was appended since the last one (a long live
// session must not read gigabytes again every few seconds).
//
// Pairing waits with wakes (WakeModel::finish) needs every record seen so
// far and consumes the model, so report() finishes copies of the models:
// the models keep growing, and a report costs O(what was read) in memory and
// time, but no I/O or decompression of what was read before.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "replay/error.h"
#include "replay/numa_model.h"
#include "replay/trace_reader.h"
#include "replay/wake_flows.h"
#include "replay/wake_model.h"

namespace fxs {

class NumaFollower {
 public:
  // follow: the file may still grow (a chunk being written at its end is
  // read by a later update()); else update() reads to the end of the file.
  static Result<NumaFollower> open(const std::string& path, bool follow);

  // Reads every chunk the file holds now past what was read before.
  // `keep_going` (optional) is asked between chunks; false ends the read
  // with an Error ("cancelled"): the chunks read so far stay counted.
  Status update(const std::function<bool()>& keep_going = nullptr);
  // The report of everything read so far; the follower can go on. With
  // `wakes`, also every futex's wakers (WakeModel::results(): the futex
  // panel's "Woken by"); with `attributed`, every wake attributed to a wake
  // call (the timeline's arrows, replay/wake_flows.h).
  NumaReport report(WakesByFutex* wakes = nullptr, std::vector<WakeAttribution>* attributed = nullptr) const;
  // The same without copying the models, when nothing more will be read.
  NumaReport finish(WakesByFutex* wakes = nullptr, std::vector<WakeAttribution>* attributed = nullptr) &&;

  uint64_t bytes_read() const { return reader_.bytes_read(); }

 private:
  NumaFollower(TraceReader reader, const std::string& path);
  TraceReader reader_;
  std::string path_;
  WakeModel wakes_;
  NumaModel numa_;
};

}  // namespace fxs
