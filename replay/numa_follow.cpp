#include "replay/numa_follow.h"

#include <utility>
#include <vector>

namespace fxs {

NumaFollower::NumaFollower(TraceReader reader, const std::string& path)
    : reader_(std::move(reader)), path_(path), models_(reader_.header().cpu_node) {}

Result<NumaFollower> NumaFollower::open(const std::string& path, bool follow) {
  Result<TraceReader> reader = TraceReader::open(path);
  if (!reader.ok()) return Error{reader.message()};
  NumaFollower f(std::move(reader.value()), path);
  f.reader_.follow(follow);
  return f;
}

Status NumaFollower::update(const std::function<bool()>& keep_going) {
  std::vector<uint8_t> chunk;
  while (true) {
    if (keep_going && !keep_going()) return Error{path_ + ": cancelled"};
    if (reader_.next_chunk(chunk) != TraceReader::Next::kChunk) return {};
    for_each_chunk_record(static_cast<const uint8_t*>(chunk.data()), chunk.size(),
                          [&](const uint8_t* p, const fxs_rec_hdr&) {
                            models_.add(reinterpret_cast<const fxs_rec_hdr*>(p));
                          });
  }
}

NumaReport NumaFollower::report(const PairingOutputs& out) const { return models_.copy_for(out).finish(out); }

NumaReport NumaFollower::finish(const PairingOutputs& out) && { return models_.finish(out); }

}  // namespace fxs
