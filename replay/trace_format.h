// The futexscope trace stream: one format for files and sockets.
// Layout and guarantees are documented in docs/trace-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/error.h"
#include "replay/record_types.h"

namespace fxs {

inline constexpr char kTraceMagic[8] = {'F', 'X', 'S', 'T', 'R', 'A', 'C', 'E'};
inline constexpr char kChunkMagic[4] = {'F', 'X', 'S', 'C'};
// 2: chunks may be ChunkType::kRecordsDelta (a reader of version 1 would skip
// them as an unknown type and see no calls, so it must refuse the file instead).
// 3: chunks may hold FXS_REC_FUTEX_COUNT, counted calls (replay/counted_calls.h),
// which a reader of version 2 would skip, undercounting.
inline constexpr uint32_t kTraceFormatVersion = 3;

// What the recorder knew about the machine and the recording when it started.
struct TraceHeader {
  uint32_t format_version = kTraceFormatVersion;
  uint32_t abi_version = FXS_ABI_VERSION;
  bool summary = false;              // --summary: aggregates only, no per-event stream
  uint64_t clock_mono_ns = 0;        // CLOCK_MONOTONIC (== bpf_ktime_get_ns) ...
  uint64_t clock_real_ns = 0;        // ... and CLOCK_REALTIME, sampled together
  uint64_t min_wait_ns = 0;          // --min-wait in effect
  int32_t target_pid = -1;           // -p PID or the started command; -1 system-wide
  uint32_t cpu_count = 0;
  std::vector<int32_t> cpu_node;     // NUMA node of each CPU, index = CPU id
  std::string kernel_release;
  std::string hostname;
  std::string command;               // the recorded command line, if any
  // How record took stacks (appended fields; unknown in older traces).
  bool stack_settings_known = false;
  bool stacks = false;               // false: --no-stacks or --summary
  uint64_t stack_min_wait_ns = 0;    // --stack-min-wait
  uint32_t stack_sample_every = 0;   // --stack-sample (0: no sample of the shorter waits)
};

// Chunk payload kinds. A chunk holds whole records (struct fxs_rec_hdr first).
enum class ChunkType : uint32_t {
  kRecords = 1,
  kRecordsDelta = 2,  // the same, futex records delta-coded (replay/record_delta.h); what the writer writes
};

// On-disk chunk header (little-endian), followed by `compressed_size` bytes of zstd.
struct ChunkHeader {
  char magic[4];
  uint32_t type;             // ChunkType
  uint32_t compressed_size;
  uint32_t raw_size;
  uint32_t record_count;
  uint32_t payload_crc;      // crc32 of the compressed payload
  uint64_t first_ts_ns;      // smallest record timestamp in the chunk (0 if none)
  uint64_t last_ts_ns;       // largest
  uint32_t sequence;         // chunk number, from 0
  uint32_t header_crc;       // crc32 of this header with header_crc = 0
};
static_assert(sizeof(ChunkHeader) == 48, "ChunkHeader layout");

// What `report`, `export` and the window say about a whole stream that ended
// without the recorder's FXS_REC_STOP: its tail and final loss counters are
// missing, and nothing else would show it when the cut fell between chunks.
inline constexpr const char* kNoStopRecordWarning =
    "no stop record: the recording was cut short (the recorder was killed, its disk filled, or the connection "
    "dropped), so its last events and final loss counters are missing";

// Calls fn(record, header) for every record of a chunk TraceReader::next_chunk
// returned, in order: records are whole and back to back, at any alignment
// (the header is copied out). Byte: uint8_t, or const uint8_t to only read.
// A record running past the end would end the walk; the reader's framing
// check keeps that from happening.
template <typename Byte, typename Fn>
void for_each_chunk_record(Byte* data, size_t size, Fn&& fn) {
  for (size_t off = 0; size - off >= sizeof(fxs_rec_hdr);) {
    fxs_rec_hdr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.size < sizeof h || h.size > size - off) return;
    fn(data + off, h);
    off += h.size;
  }
}

// Keeps the records of `types` in a decoded chunk, in order, at its start.
inline void keep_only_records(std::vector<uint8_t>& records, RecordTypes types) {
  size_t out = 0;
  for_each_chunk_record(records.data(), records.size(), [&](uint8_t* p, const fxs_rec_hdr& h) {
    if (!types.has(h.type)) return;
    std::memmove(records.data() + out, p, h.size);
    out += h.size;
  });
  records.resize(out);
}
// What a reader past its memory limit still reads: the recording's loss
// counters and its clean end, which take no memory (the report, the window
// and the export then never show fewer losses than the recorder counted).
inline constexpr RecordTypes kEndRecords{FXS_REC_LOSS, FXS_REC_STOP};

// Copies a fixed-size record out of a chunk (any alignment) into `out`;
// false if it is too short for T (a damaged file: its reader counts it). A
// longer record (a newer layout) is read as far as T goes.
template <typename T>
bool read_record(const fxs_rec_hdr* h, T& out) {
  fxs_rec_hdr hdr;
  std::memcpy(&hdr, h, sizeof hdr);
  if (hdr.size < sizeof(T)) return false;
  std::memcpy(&out, h, sizeof(T));
  return true;
}

// Timestamp a record carries (for chunk first/last ts); 0 if none.
uint64_t record_timestamp(const fxs_rec_hdr* rec);

// ---- Helpers shared by the writer and the reader (byte layouts: docs/trace-format.md).

// magic[8] + format_version + header_size: enough to reject a file before reading more.
inline constexpr size_t kTraceHeaderPrefixBytes = 16;
// Sanity caps: anything larger is treated as damage, never allocated.
inline constexpr uint32_t kMaxTraceHeaderBytes = 16u << 20;
// A chunk is 4 MiB raw as written (TraceWriter::kDefaultChunkBytes); the
// cap leaves room and bounds what one chunk costs the models, since readers
// check their memory budget between chunks (replay/memory_budget.h).
inline constexpr uint32_t kMaxChunkBytes = 32u << 20;  // compressed or raw

// zlib crc32 of a byte range.
uint32_t trace_crc32(const void* data, size_t n);

// The whole serialized file header, trailing crc included.
Result<std::vector<uint8_t>> encode_trace_header(const TraceHeader& h);
// Checks magic, version and header size of the first kTraceHeaderPrefixBytes bytes;
// returns the total header size. `name` prefixes error messages.
Result<uint32_t> check_trace_header_prefix(const uint8_t* p, const std::string& name);
// Parses a whole header (`n` == the size check_trace_header_prefix returned):
// verifies the crc, then the fields; unknown trailing fields are skipped.
Result<TraceHeader> decode_trace_header(const uint8_t* p, size_t n, const std::string& name);

// crc32 of the chunk header with header_crc taken as 0.
uint32_t chunk_header_crc(const ChunkHeader& h);
// Magic, header crc and size caps all hold.
bool chunk_header_valid(const ChunkHeader& h);

}  // namespace fxs
