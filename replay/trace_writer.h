// Writes the trace stream: header, then zstd-compressed, checksummed chunks.
// Records are buffered and written as a chunk when the buffer is full or when
// the caller flushes (the collector flushes at least once a second, so a
// SIGKILLed recorder loses at most the last second).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "replay/error.h"
#include "replay/trace_format.h"

namespace fxs {

class TraceWriter {
 public:
  static constexpr size_t kDefaultChunkBytes = 4 << 20;
  // zstd level: 1 keeps up with millions of records per second on one core;
  // negative levels trade ratio for more speed if the recorder ever needs it.
  static constexpr int kCompressionLevel = 1;

  // Creates (truncates) `path` and writes the header.
  static Result<TraceWriter> create(const std::string& path, const TraceHeader& header,
                                    size_t chunk_bytes = kDefaultChunkBytes);
  // Writes to an already open fd (file or socket); takes ownership of it.
  static Result<TraceWriter> from_fd(int fd, const TraceHeader& header,
                                     size_t chunk_bytes = kDefaultChunkBytes);

  TraceWriter(TraceWriter&&) noexcept;
  TraceWriter& operator=(TraceWriter&&) noexcept;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  ~TraceWriter();  // flushes and closes; errors are lost, call close() to see them

  // Appends one record (starting with fxs_rec_hdr, `size` == hdr.size).
  // Writes a chunk when the buffer reaches chunk_bytes.
  Status append(const void* rec, size_t size);
  // Appends the FXS_REC_STOP that ends every complete recording: readers warn
  // about a stream without one (kNoStopRecordWarning). Then close().
  Status append_stop(uint64_t ts_ns);
  // Compresses and writes buffered records now (no-op when empty).
  Status flush();
  Status close();

  uint64_t records_written() const { return records_; }
  uint64_t bytes_written() const { return bytes_; }
  uint32_t chunks_written() const { return sequence_; }

 private:
  TraceWriter() = default;
  static Result<TraceWriter> start(int fd, std::string name, const TraceHeader& header,
                                   size_t chunk_bytes);
  Status write_all(const void* p, size_t n);
  void release();

  int fd_ = -1;
  std::string name_;          // for error messages
  bool is_socket_ = false;    // use send(MSG_NOSIGNAL): a closed peer is an error, not SIGPIPE
  size_t raw_len_ = 0;        // bytes used in raw_ (raw_ is sized once, never per record)
  size_t decoded_extra_ = 0;  // what the counted calls in raw_ add when read back
  size_t chunk_bytes_ = kDefaultChunkBytes;
  std::vector<uint8_t> raw_;
  std::vector<uint8_t> compressed_;
  uint32_t pending_records_ = 0;
  uint64_t first_ts_ = 0, last_ts_ = 0;
  uint32_t sequence_ = 0;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  void* cctx_ = nullptr;  // ZSTD_CCtx*
};

}  // namespace fxs
