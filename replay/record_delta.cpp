#include "replay/record_delta.h"

#include "replay/trace_format.h"

namespace fxs {

static_assert(sizeof(fxs_rec_hdr) == 8);

void delta_encode_futex_records(uint8_t* data, size_t size) {
  FutexDeltaCoder coder;
  for_each_chunk_record(data, size, [&](uint8_t* rec, const fxs_rec_hdr& h) { coder.encode(rec, h); });
}

void delta_decode_futex_records(uint8_t* data, size_t size) {
  FutexDeltaCoder coder;
  for_each_chunk_record(data, size, [&](uint8_t* rec, const fxs_rec_hdr& h) { coder.decode(rec, h); });
}

}  // namespace fxs
