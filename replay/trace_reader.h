// Reads the trace stream chunk by chunk. Damage is survived, never fatal past
// the header: a truncated tail ends the stream with a warning; a chunk whose
// checksum fails is skipped with a warning (the reader resynchronises on the
// next chunk magic).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "replay/chunk_futex_keys.h"
#include "replay/error.h"
#include "replay/trace_format.h"

namespace fxs {

struct ChunkInfo {
  uint64_t offset;           // file offset of the chunk header
  uint32_t sequence;
  uint32_t record_count;
  uint64_t first_ts_ns, last_ts_ns;
};

// A chunk as stored, its payload checksum verified, not yet decompressed:
// what TraceReader::next_stored_chunk hands to a ChunkDecoder, so several
// threads can decompress the chunks of one stream.
struct StoredChunk {
  ChunkHeader header{};
  uint64_t offset = 0;           // file offset of the chunk header
  std::vector<uint8_t> payload;  // compressed
  // The warning when decoding fails: "<name>: chunk N at offset O: <problem>, skipped".
  std::string label;             // "<name>: chunk N at offset O"
};

// Decompresses chunks and checks their record framing. Each decoder has its
// own zstd context: one per thread.
class ChunkDecoder {
 public:
  ChunkDecoder();
  ~ChunkDecoder();
  ChunkDecoder(ChunkDecoder&& o) noexcept;
  ChunkDecoder& operator=(ChunkDecoder&& o) noexcept;
  ChunkDecoder(const ChunkDecoder&) = delete;
  ChunkDecoder& operator=(const ChunkDecoder&) = delete;

  // Returns what is wrong, or "" if `records` now holds the chunk's records
  // (whole records back to back, each starting 8-byte aligned, delta coding
  // undone). `keys`, if given,
  // are built on the way (one walk over the chunk instead of two).
  std::string decode(const ChunkHeader& h, const uint8_t* payload, std::vector<uint8_t>& records,
                     ChunkFutexKeys* keys = nullptr);

  // Chunks whose raw size is at most this, or this many times their
  // compressed size, are decompressed in one call into a buffer of the raw
  // size; larger claims (real chunks compress ~10:1) grow the buffer as
  // decompression proves the data is there.
  static constexpr size_t kOneShotBytes = 1 << 20;
  static constexpr size_t kPlausibleRatio = 64;

 private:
  std::string decompress(const ChunkHeader& h, const uint8_t* payload, std::vector<uint8_t>& records);
  static std::string align_records(std::vector<uint8_t>& records);
  void* dctx_ = nullptr;  // ZSTD_DCtx*
};

class TraceReader {
 public:
  // Opens and validates the header: a missing file, wrong magic or an
  // unsupported version is an Error with a message saying what to do.
  static Result<TraceReader> open(const std::string& path);
  // Reads from an fd (file or socket); takes ownership of it.
  static Result<TraceReader> from_fd(int fd, const std::string& name);

  TraceReader(TraceReader&&) noexcept;
  TraceReader& operator=(TraceReader&&) noexcept;
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  ~TraceReader();

  const TraceHeader& header() const { return header_; }

  enum class Next { kChunk, kEnd, kAgain };
  // Reads the next intact chunk into `records` (decompressed bytes, whole
  // records back to back). kEnd at end of data (or an unrecoverable truncated
  // tail, with a warning). With follow(true), end of data yields kAgain
  // instead, so a stream that is still growing can be polled.
  Next next_chunk(std::vector<uint8_t>& records, ChunkInfo* info = nullptr);
  void follow(bool on) { follow_ = on; }
  // The first half of next_chunk(): the next chunk whose checksum holds, still
  // compressed (damage before it is skipped with warnings, as there). A
  // decoding failure is then the caller's warning: chunk.label + ": " +
  // problem + ", skipped".
  Next next_stored_chunk(StoredChunk& chunk);

  // Convenience: every record of every intact chunk, in file order. The
  // pointer is 8-byte aligned (ChunkDecoder aligns every record) and valid only
  // during the call. The next chunk is read and decompressed on a thread of
  // its own meanwhile; if `fn` throws, the exception comes through and the
  // reader may have read one chunk past the one `fn` was in.
  Status for_each_record(const std::function<void(const fxs_rec_hdr*)>& fn);
  // The same, until `fn` returns false (the records after it are not read).
  Status for_each_record_while(const std::function<bool(const fxs_rec_hdr*)>& fn);

  // Human-readable problems met so far ("chunk 12 at offset 4096: checksum mismatch, skipped").
  const std::vector<std::string>& warnings() const { return warnings_; }
  uint64_t bytes_read() const { return offset_; }

 private:
  TraceReader() = default;
  bool fill(size_t need);
  Next at_end();
  void finish_resync(uint64_t at);
  Next second_trace(uint64_t at);
  uint64_t consumed_offset() const { return offset_ - (pending_.size() - pos_); }
  void release();

  int fd_ = -1;
  size_t pos_ = 0;             // first unconsumed byte of pending_
  bool is_regular_ = true;     // EOF on a regular file may be followed by more data
  bool closed_ = false;        // EOF on a pipe or socket: no more data will ever come
  std::string read_error_;     // a failed read() ends the stream
  bool resyncing_ = false;     // scanning for the next intact chunk header
  uint64_t resync_from_ = 0;   // where the bytes being skipped began
  int64_t last_sequence_ = -1; // last chunk header that validated
  std::string name_;
  TraceHeader header_;
  uint64_t offset_ = 0;        // next unread file offset
  bool follow_ = false;
  std::vector<uint8_t> pending_;  // bytes read but not yet consumed
  std::vector<std::string> warnings_;
  ChunkDecoder decoder_;
  StoredChunk stored_;  // next_chunk()'s, kept for its buffer
};

}  // namespace fxs
