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
  FutexDeltaCoder coder;
  for_each_record(data, size, [&](uint8_t* rec, const fxs_rec_hdr& h) { coder.encode(rec, h); });
}

void delta_decode_futex_records(uint8_t* data, size_t size) {
  FutexDeltaCoder coder;
  for_each_record(data, size, [&](uint8_t* rec, const fxs_rec_hdr& h) { coder.decode(rec, h); });
}

}  // namespace fxs
