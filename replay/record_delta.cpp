#include "replay/record_delta.h"

#include <cstring>

#include "bpf/trace_abi.h"

namespace fxs {
namespace {

// The coded size is part of the format, not sizeof(fxs_futex_rec): if that
// record ever grows, its longer records are simply not coded, and traces
// written before still decode the same.
constexpr size_t kCodedBytes = 96;
constexpr size_t kWords = kCodedBytes / 8;  // the header is word 0, left alone
static_assert(sizeof(fxs_rec_hdr) == 8);

// Calls `fn(record)` for every futex record the coding covers, in order.
template <typename Fn>
void for_each_coded(uint8_t* data, size_t size, Fn fn) {
  for (size_t off = 0; size - off >= sizeof(fxs_rec_hdr);) {
    fxs_rec_hdr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.size < sizeof h || h.size > size - off) return;  // callers checked the framing
    if (h.type == FXS_REC_FUTEX && h.size == kCodedBytes) fn(data + off);
    off += h.size;
  }
}

}  // namespace

void delta_encode_futex_records(uint8_t* data, size_t size) {
  uint64_t prev[kWords] = {};
  for_each_coded(data, size, [&](uint8_t* rec) {
    uint64_t w[kWords];
    std::memcpy(w, rec, sizeof w);
    for (size_t i = 1; i < kWords; i++) {
      const uint64_t v = w[i];
      w[i] = v - prev[i];
      prev[i] = v;
    }
    std::memcpy(rec, w, sizeof w);
  });
}

void delta_decode_futex_records(uint8_t* data, size_t size) {
  uint64_t prev[kWords] = {};
  for_each_coded(data, size, [&](uint8_t* rec) {
    uint64_t w[kWords];
    std::memcpy(w, rec, sizeof w);
    for (size_t i = 1; i < kWords; i++) prev[i] = w[i] += prev[i];
    std::memcpy(rec, w, sizeof w);
  });
}

}  // namespace fxs
