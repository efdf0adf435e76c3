#include "replay/numa_follow.h"

#include <utility>
#include <vector>

namespace fxs {

namespace {

struct Models {
  WakeModel& wakes;
  NumaModel& numa;
  SplitModel& splits;
  FutileModel& futile;
  HolderModel& holders;
};

NumaReport finish_models(Models m, const PairingOutputs& out) {
  m.wakes.finish([&](const AttributedWake& w) {
    m.numa.add_wake(w);
    if (out.attributed) out.attributed->push_back(WakeAttribution::of(w));
  });
  if (!out.wakes && !out.pairing) return m.numa.finish();
  WakesByFutex wakes = m.wakes.results();
  if (out.pairing) {
    m.splits.finish();
    m.futile.finish();
    m.holders.finish();
    // Every futex the wake model knows (it saw every call); the others' pairing is empty.
    for (const auto& [key, w] : wakes) {
      FutexPairing p;
      if (const WaitSplit* s = m.splits.find(uint32_t(key.a), key.b)) p.split = *s;
      if (const FutileWakes* f = m.futile.find(uint32_t(key.a), key.b)) p.futile = *f;
      if (const std::vector<HolderTime>* h = m.holders.find(uint32_t(key.a), key.b)) p.holders = *h;
      (*out.pairing)[key] = std::move(p);
    }
  }
  if (out.wakes) *out.wakes = std::move(wakes);
  return m.numa.finish();
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
                            splits_.add(rec);
                            futile_.add(rec);
                            holders_.add(rec);
                          });
  }
}

NumaReport NumaFollower::report(const PairingOutputs& out) const {
  WakeModel wakes = wakes_;
  NumaModel numa = numa_;
  // The pairing models only when asked for: copying them costs memory per wait.
  SplitModel splits = out.pairing ? splits_ : SplitModel{};
  FutileModel futile = out.pairing ? futile_ : FutileModel{};
  HolderModel holders = out.pairing ? holders_ : HolderModel{};
  return finish_models({wakes, numa, splits, futile, holders}, out);
}

NumaReport NumaFollower::finish(const PairingOutputs& out) && {
  return finish_models({wakes_, numa_, splits_, futile_, holders_}, out);
}

}  // namespace fxs
