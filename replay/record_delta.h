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

#include <emmintrin.h>  // SSE2: part of every x86-64 CPU

#include <cstddef>
#include <cstdint>

#include "bpf/trace_abi.h"

namespace fxs {

// In place, over whole records back to back (framing already valid).
void delta_encode_futex_records(uint8_t* data, size_t size);
void delta_decode_futex_records(uint8_t* data, size_t size);

// Codes a chunk's records one at a time, in place, for a walk that is
// already looking at every header (the reader's framing check decodes as it
// goes: one pass over the chunk instead of two). Give one coder every
// record of a chunk, in order; records it does not code are left alone.
class FutexDeltaCoder {
 public:
  static constexpr size_t kCodedBytes = 96;

  void encode(uint8_t* rec, const fxs_rec_hdr& h) {
    if (!coded(h)) return;
    __m128i w[kVectors];
    for (size_t i = 0; i < kVectors; i++) {
      w[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * i));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(rec + 16 * i), _mm_sub_epi64(w[i], prev_[i]));
    }
    keep(w);
  }

  void decode(uint8_t* rec, const fxs_rec_hdr& h) {
    if (!coded(h)) return;
    __m128i w[kVectors];
    for (size_t i = 0; i < kVectors; i++) {
      w[i] = _mm_add_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * i)), prev_[i]);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(rec + 16 * i), w[i]);
    }
    keep(w);
  }

 private:
  static constexpr size_t kVectors = kCodedBytes / 16;
  static bool coded(const fxs_rec_hdr& h) { return h.type == FXS_REC_FUTEX && h.size == kCodedBytes; }

  // The previous record's words, two per vector, kept in registers: a word
  // loop over a stack array (the first version) was a quarter of the reader
  // thread's time. prev_[0]'s low word (the header) stays zero, so adding or
  // subtracting it leaves the header as it is.
  void keep(const __m128i (&w)[kVectors]) {
    prev_[0] = _mm_unpackhi_epi64(_mm_setzero_si128(), w[0]);  // [0, word 1]
    for (size_t i = 1; i < kVectors; i++) prev_[i] = w[i];
  }
  __m128i prev_[kVectors] = {};
};

}  // namespace fxs
