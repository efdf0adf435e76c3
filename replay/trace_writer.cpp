// Trace stream writer: buffer records, write them as checksummed zstd chunks.
#include "replay/trace_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "replay/counted_calls.h"
#include "replay/record_delta.h"

namespace fxs {

namespace {

// A record is at most 64 KiB (hdr.size is a u16), so a chunk never needs
// more than chunk_bytes + this to hold the record that crosses the threshold.
constexpr size_t kMaxRecordBytes = std::numeric_limits<uint16_t>::max();

ZSTD_CCtx* as_cctx(void* p) { return static_cast<ZSTD_CCtx*>(p); }

}  // namespace

Result<TraceWriter> TraceWriter::create(const std::string& path, const TraceHeader& header,
                                        size_t chunk_bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{errno_message(path, errno)};
  return start(fd, path, header, chunk_bytes);
}

Result<TraceWriter> TraceWriter::from_fd(int fd, const TraceHeader& header, size_t chunk_bytes) {
  return start(fd, "fd " + std::to_string(fd), header, chunk_bytes);
}

Result<TraceWriter> TraceWriter::start(int fd, std::string name, const TraceHeader& header,
                                       size_t chunk_bytes) {
  TraceWriter w;
  w.fd_ = fd;  // owned from here on: every error path below closes it via ~TraceWriter
  w.name_ = std::move(name);
  struct stat st {};
  w.is_socket_ = ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
  // Readers reject chunks above kMaxChunkBytes; stay well inside that.
  w.chunk_bytes_ = std::clamp<size_t>(chunk_bytes, 1, kMaxChunkBytes - kMaxRecordBytes);

  w.cctx_ = ZSTD_createCCtx();
  if (w.cctx_ == nullptr) return Error{w.name_ + ": cannot create a zstd compression context"};
  // Sized once: append() then only memcpy()s, flush() never reallocates.
  w.raw_.resize(w.chunk_bytes_ + kMaxRecordBytes);
  w.compressed_.resize(sizeof(ChunkHeader) + ZSTD_compressBound(w.raw_.size()));

  auto bytes = encode_trace_header(header);
  if (!bytes) return Error{w.name_ + ": " + bytes.message()};
  if (Status s = w.write_all(bytes->data(), bytes->size()); !s) return Error{s.message()};
  return w;
}

TraceWriter::TraceWriter(TraceWriter&& o) noexcept { *this = std::move(o); }

TraceWriter& TraceWriter::operator=(TraceWriter&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = std::exchange(o.fd_, -1);
    name_ = std::move(o.name_);
    is_socket_ = o.is_socket_;
    raw_len_ = std::exchange(o.raw_len_, 0);
    decoded_extra_ = std::exchange(o.decoded_extra_, 0);
    chunk_bytes_ = o.chunk_bytes_;
    raw_ = std::move(o.raw_);
    compressed_ = std::move(o.compressed_);
    pending_records_ = std::exchange(o.pending_records_, 0);
    first_ts_ = o.first_ts_;
    last_ts_ = o.last_ts_;
    sequence_ = o.sequence_;
    records_ = o.records_;
    bytes_ = o.bytes_;
    cctx_ = std::exchange(o.cctx_, nullptr);
  }
  return *this;
}

TraceWriter::~TraceWriter() { release(); }

void TraceWriter::release() {
  if (fd_ >= 0) (void)close();
  ZSTD_freeCCtx(as_cctx(cctx_));
  cctx_ = nullptr;
}

Status TraceWriter::append(const void* rec, size_t size) {
  fxs_rec_hdr hdr;
  if (size < sizeof hdr || size > kMaxRecordBytes) {
    return Error{name_ + ": record of " + std::to_string(size) + " bytes cannot be written"};
  }
  std::memcpy(&hdr, rec, sizeof hdr);
  if (hdr.size != size) {
    return Error{name_ + ": record type " + std::to_string(hdr.type) + " says it is " +
                 std::to_string(hdr.size) + " bytes but " + std::to_string(size) + " were given"};
  }
  if (fd_ < 0) return Error{name_ + ": trace writer is closed"};

  uint8_t* dst = raw_.data() + raw_len_;
  std::memcpy(dst, rec, size);
  raw_len_ += size;
  ++pending_records_;
  // Read the timestamp from our own copy: it is aligned as well as the caller's.
  uint64_t ts = record_timestamp(reinterpret_cast<const fxs_rec_hdr*>(dst));
  if (ts != 0) {
    if (first_ts_ == 0 || ts < first_ts_) first_ts_ = ts;
    if (ts > last_ts_) last_ts_ = ts;
  }
  // A counted record stands for up to 6 MiB of calls once read back: chunks
  // end by what they decode to, so a reader's chunk stays as large as before.
  if (hdr.type == FXS_REC_FUTEX_COUNT && size >= sizeof(fxs_futex_count_rec)) {
    fxs_futex_count_rec c;
    std::memcpy(&c, dst, sizeof c);
    if (c.last_ns > last_ts_) last_ts_ = c.last_ns;
    decoded_extra_ += decoded_bytes(dst, hdr);
  }
  if (raw_len_ + decoded_extra_ >= chunk_bytes_) return flush();
  return {};
}

Status TraceWriter::append_stop(uint64_t ts_ns) {
  fxs_stop_rec r{};
  r.hdr = {FXS_REC_STOP, sizeof(r), 0};
  r.ts_ns = ts_ns;
  return append(&r, sizeof(r));
}

Status TraceWriter::flush() {
  if (raw_len_ == 0) return {};
  if (fd_ < 0) return Error{name_ + ": trace writer is closed"};

  // Delta-code the futex records in place: the buffer is emptied below anyway.
  delta_encode_futex_records(raw_.data(), raw_len_);
  // The chunk header goes in front of the payload so one write() carries both.
  uint8_t* payload = compressed_.data() + sizeof(ChunkHeader);
  size_t csize = ZSTD_compressCCtx(as_cctx(cctx_), payload, compressed_.size() - sizeof(ChunkHeader),
                                   raw_.data(), raw_len_, kCompressionLevel);
  ChunkHeader h{};
  std::memcpy(h.magic, kChunkMagic, sizeof h.magic);
  h.type = static_cast<uint32_t>(ChunkType::kRecordsDelta);
  h.raw_size = static_cast<uint32_t>(raw_len_);
  h.record_count = pending_records_;
  h.first_ts_ns = first_ts_;
  h.last_ts_ns = last_ts_;
  h.sequence = sequence_;
  // Whatever happens next, the buffer is emptied: a writer that cannot write
  // must not grow without bound, and the caller learns how much was lost.
  raw_len_ = 0;
  decoded_extra_ = 0;
  pending_records_ = 0;
  first_ts_ = last_ts_ = 0;
  if (ZSTD_isError(csize)) {
    return Error{name_ + ": compress chunk " + std::to_string(h.sequence) + ": " +
                 ZSTD_getErrorName(csize) + "; " + std::to_string(h.record_count) +
                 " records lost"};
  }
  h.compressed_size = static_cast<uint32_t>(csize);
  h.payload_crc = trace_crc32(payload, csize);
  h.header_crc = chunk_header_crc(h);
  std::memcpy(compressed_.data(), &h, sizeof h);

  // The sequence advances even if the write fails, so a reader that meets a
  // half-written chunk followed by the next one sees the gap in the numbering.
  ++sequence_;
  if (Status s = write_all(compressed_.data(), sizeof h + csize); !s) {
    return Error{s.message() + "; " + std::to_string(h.record_count) + " records lost"};
  }
  records_ += h.record_count;
  return {};
}

Status TraceWriter::close() {
  if (fd_ < 0) return {};
  Status s = flush();
  if (::close(fd_) != 0 && s.ok()) s = Error{errno_message(name_ + ": close", errno)};
  fd_ = -1;
  return s;
}

Status TraceWriter::write_all(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  while (n > 0) {
    ssize_t k = is_socket_ ? ::send(fd_, b, n, MSG_NOSIGNAL) : ::write(fd_, b, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // A non-blocking socket whose buffer is full: wait for room rather
        // than dropping a half-written chunk into the stream.
        pollfd pfd{fd_, POLLOUT, 0};
        if (::poll(&pfd, 1, -1) < 0 && errno != EINTR) return Error{errno_message(name_ + ": poll", errno)};
        continue;
      }
      return Error{errno_message(name_ + ": write", errno)};
    }
    if (k == 0) return Error{name_ + ": write: no progress (0 bytes written)"};
    b += k;
    n -= static_cast<size_t>(k);
    bytes_ += static_cast<uint64_t>(k);
  }
  return {};
}

}  // namespace fxs
