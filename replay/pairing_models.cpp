#include "replay/pairing_models.h"

#include <utility>

#include "replay/trace_format.h"

namespace fxs {

void PairingModels::add(const fxs_rec_hdr* rec) {
  feed(wakes_, rec);
  if (scope_ == PairingScope::kWakesOnly) return;
  feed(numa_, rec);
  feed(splits_, rec);
  feed(futile_, rec);
  feed(holders_, rec);
}

uint64_t PairingModels::add_chunk(const uint8_t* data, size_t size) {
  uint64_t kept = 0;
  for_each_chunk_record(data, size, [&](const uint8_t* p, const fxs_rec_hdr& h) {
    if (kReads.has(h.type)) add(reinterpret_cast<const fxs_rec_hdr*>(p));
    kept += h.type == FXS_REC_FUTEX || h.type == FXS_REC_WAKE;
  });
  return kept;
}

NumaReport PairingModels::finish(const PairingOutputs& out) {
  wakes_.finish([&](const AttributedWake& w) {
    if (scope_ == PairingScope::kEverything) numa_.add_wake(w);
    if (out.attributed) out.attributed->push_back(WakeAttribution::of(w));
  });
  splits_.finish();
  futile_.finish();
  holders_.finish();
  wait_keys_.clear();  // every model is done with it
  if (out.wakes || out.pairing) {
    WakesByFutex wakes = wakes_.results();
    if (out.pairing) {
      // Every futex the wake model knows (it saw every call); the others' pairing is empty.
      for (const auto& [key, w] : wakes) {
        FutexPairing p;
        if (const WaitSplit* s = split(uint32_t(key.a), key.b)) p.split = *s;
        if (const FutileWakes* f = futile(uint32_t(key.a), key.b)) p.futile = *f;
        if (const std::vector<HolderTime>* h = holders(uint32_t(key.a), key.b)) p.holders = *h;
        (*out.pairing)[key] = std::move(p);
      }
    }
    if (out.wakes) *out.wakes = std::move(wakes);
  }
  return numa_.finish();
}

}  // namespace fxs
