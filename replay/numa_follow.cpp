#include "replay/numa_follow.h"

#include <utility>
#include <vector>

namespace fxs {

namespace {

NumaReport finish_models(WakeModel& wakes, NumaModel& numa, WakesByFutex* by_futex,
                         std::vector<WakeAttribution>* attributed) {
  wakes.finish([&](const AttributedWake& w) {
    numa.add_wake(w);
    if (attributed) attributed->push_back(WakeAttribution::of(w));
  });
  if (by_futex) *by_futex = wakes.results();
  return numa.finish();
}

}  // namespace

NumaFollower::NumaFollower(TraceReader reader, const std::string& path)
    : reader_(std::move(reader)), path_(path), numa_(reader_.header().cpu_node) {}

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
                            const auto* rec = reinterpret_cast<const fxs_rec_hdr*>(p);
                            wakes_.add(rec);
                            numa_.add(rec);
                          });
  }
}

NumaReport NumaFollower::report(WakesByFutex* wakes_out, std::vector<WakeAttribution>* attributed) const {
  WakeModel wakes = wakes_;
  NumaModel numa = numa_;
  return finish_models(wakes, numa, wakes_out, attributed);
}

NumaReport NumaFollower::finish(WakesByFutex* wakes_out, std::vector<WakeAttribution>* attributed) && {
  return finish_models(wakes_, numa_, wakes_out, attributed);
}

}  // namespace fxs
