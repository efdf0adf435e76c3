#include "replay/chunk_futex_keys.h"

#include "replay/trace_format.h"

namespace fxs {

void ChunkFutexKeys::build(const uint8_t* data, size_t size) {
  start(data, size);
  for_each_chunk_record(data, size, [&](const uint8_t* p, const fxs_rec_hdr& h) { add(p, h); });
}

}  // namespace fxs
