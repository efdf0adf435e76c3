// record_delta.h: the futex-record delta coding of ChunkType::kRecordsDelta
// chunks (docs/trace-format.md, "Delta-coded chunks").
//
// Every FXS_REC_FUTEX record of exactly 96 bytes is stored as the
// difference, word by word (little-endian u64, modulo 2^64), from the
// previous such record of the chunk; the first from zeros. 96 is the
// fxs_futex_rec of format 2 written down as a number, so a later, longer
// record cannot change how older traces decode (it is just not coded). The
// 8-byte record header is left as it is, so the framing (type, size) reads
// the same coded or not. Consecutive calls share most fields (process,
// thread, flags, often the address) and their timestamps are close, so the
// differences are mostly zero bytes: zstd makes traces 2-2.5x smaller
// (docs/BENCHMARKS.md). Other records, and futex_waitv records (longer), are
// copied as they are and do not take part.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fxs {

// In place, over whole records back to back (framing already valid).
void delta_encode_futex_records(uint8_t* data, size_t size);
void delta_decode_futex_records(uint8_t* data, size_t size);

}  // namespace fxs
