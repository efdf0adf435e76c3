#include "replay/record_delta.h"

#include <cstring>

namespace fxs {
namespace {

static_assert(sizeof(fxs_rec_hdr) == 8);

// Calls `fn(record, header)` for every record, in order.
template <typename Fn>
void for_each_record(uint8_t* data, size_t size, Fn fn) {
  for (size_t off = 0; size - off >= sizeof(fxs_rec_hdr);) {
    fxs_rec_hdr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.size < sizeof h || h.size > size - off) return;  // callers checked the framing
    fn(data + off, h);
    off += h.size;
  }
}

}  // namespace

void delta_encode_futex_records(uint8_t* data, size_t size) {
  FutexDeltaDecoder prev;  // its previous-record state, here of the records as they were
  constexpr size_t kVectors = FutexDeltaDecoder::kVectors;
  for_each_record(data, size, [&](uint8_t* rec, const fxs_rec_hdr& h) {
    if (h.type != FXS_REC_FUTEX || h.size != FutexDeltaDecoder::kCodedBytes) return;
    __m128i w[kVectors];
    for (size_t i = 0; i < kVectors; i++) {
      w[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(rec + 16 * i), _mm_sub_epi64(w[i], prev.prev_[i]));
    }
    prev.keep(w);
  });
}

void delta_decode_futex_records(uint8_t* data, size_t size) {
  FutexDeltaDecoder decoder;
  for_each_record(data, size, [&](uint8_t* rec, const fxs_rec_hdr& h) { decoder.record(rec, h); });
}

}  // namespace fxs
