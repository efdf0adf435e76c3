// numa_follow.h: the NUMA report of a trace read a piece at a time: the
// window's live NUMA view follows a file the recorder is still writing, and
// each update() reads only what was appended since the last one (a long live
// session must not read gigabytes again every few seconds).
//
// Pairing waits with wakes (replay/pairing_models.h) needs every record seen
// so far and consumes the models, so report() finishes copies of them:
// the models keep growing, and a report costs O(what was read) in memory and
// time, but no I/O or decompression of what was read before.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "replay/error.h"
#include "replay/numa_model.h"
#include "replay/pairing_models.h"
#include "replay/trace_reader.h"

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
  // The report of everything read so far, and `out`'s other results; the
  // follower can go on.
  NumaReport report(const PairingOutputs& out = {}) const;
  // The same without copying the models, when nothing more will be read.
  NumaReport finish(const PairingOutputs& out = {}) &&;

  uint64_t bytes_read() const { return reader_.bytes_read(); }

 private:
  NumaFollower(TraceReader reader, const std::string& path);
  TraceReader reader_;
  std::string path_;
  PairingModels models_;
};

}  // namespace fxs
