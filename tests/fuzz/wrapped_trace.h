// wrapped_trace.h: the fuzz harness's second input form. Raw trace bytes
// mostly stop at the checksums; here the input is the records themselves (and
// a few header fields), written into a trace with a valid header and valid
// checksummed zstd chunks by the project's own TraceWriter, so every
// mutation reaches the models.
//
// Layout of a wrapped input (little-endian):
//   byte 0     options: bit 0 --summary; bits 1-2 chunk size, 256 << 2k bytes
//              (so a few records already span several chunks)
//   byte 1     n % 9 CPUs, then n bytes: each CPU's NUMA node (signed)
//   3 strings  kernel_release, hostname, command: a length byte (% 64), then
//              that many bytes (any bytes: the reader must cope)
//   records    back to back, each starting with fxs_rec_hdr {type, size};
//              a size below 8 counts as 8, and a record running past the
//              end of the input is padded with zeros to its size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "replay/trace_format.h"

namespace fxs::fuzz {

struct WrappedTrace {
  TraceHeader header;
  size_t chunk_bytes = 0;
  std::vector<std::vector<uint8_t>> records;  // each whole, hdr.size == its size
};

// Parses an input of the layout above; never fails (missing bytes are zeros).
WrappedTrace unwrap_input(const uint8_t* data, size_t size);
// Writes it as a trace to `fd` (taken over and closed).
void write_wrapped_trace(const WrappedTrace& t, int fd);

// The other direction, for seeds: an input of the layout above holding
// `header` and `records` (whole records back to back, as a chunk holds
// them), cut after the last record that fits in `max_bytes`.
std::vector<uint8_t> wrap_records(const TraceHeader& header, const std::vector<uint8_t>& records,
                                  size_t max_bytes);

}  // namespace fxs::fuzz
