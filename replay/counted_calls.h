// counted_calls.h: FXS_REC_FUTEX_COUNT records (`count` alike calls of one
// thread that did nothing, counted in the kernel: bpf/counted_calls.bpf.h) turned back
// into the fxs_futex_rec records they stand for, when a chunk is decoded, so
// every model counts them as the calls they are. The calls' own times were
// not kept: the i-th of n gets first_ns + i * (last_ns - first_ns) / (n - 1)
// as its enter and exit time (docs/trace-format.md, "Counted calls").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bpf/trace_abi.h"

namespace fxs {

// The most bytes a decoded chunk may grow to by its counted calls: a
// hostile count cannot make a reader allocate more (the writer stays far
// below: TraceWriter counts what its chunks expand to).
inline constexpr size_t kMaxExpandedChunkBytes = size_t{64} << 20;

// The bytes a record takes once decoded: count * sizeof(fxs_futex_rec) for a
// counted record (0 if its count is 0 or above FXS_COUNTED_MAX, which a
// reader drops), its own size for any other.
size_t decoded_bytes(const uint8_t* rec, const fxs_rec_hdr& h);

// Rewrites a decoded chunk (whole, 8-byte aligned records) with each counted
// record replaced by its calls, in place of it. Returns what is wrong ("" if
// nothing): a chunk that would grow past kMaxExpandedChunkBytes is left as it
// is, for the caller to skip.
std::string expand_counted_calls(std::vector<uint8_t>& records);

// The calls of one counted record, written to `out` (room for c.count records).
void write_counted_calls(const fxs_futex_count_rec& c, uint8_t* out);

}  // namespace fxs
