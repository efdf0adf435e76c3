// Trace stream reader: validates the header, then yields intact chunks and
// survives damage (truncated tails, flipped bits, garbage) with warnings.
#include "replay/trace_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "replay/counted_calls.h"
#include "replay/record_delta.h"

namespace fxs {

namespace {

// read() granularity: large enough for few syscalls, and the most we grow the
// buffer per read, so a damaged size field cannot make us allocate memory for
// data that is not there.
constexpr size_t kReadStep = 1 << 20;

ZSTD_DCtx* as_dctx(void* p) { return static_cast<ZSTD_DCtx*>(p); }

}  // namespace

Result<TraceReader> TraceReader::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{errno_message(path, errno)};
  return from_fd(fd, path);
}

Result<TraceReader> TraceReader::from_fd(int fd, const std::string& name) {
  TraceReader r;
  r.fd_ = fd;  // owned from here on: error paths close it via ~TraceReader
  r.name_ = name;
  // Only to know whether EOF is final (pipe, socket) or may be followed by
  // more data (a file still being written); reading never seeks.
  struct stat st {};
  if (::fstat(fd, &st) == 0) r.is_regular_ = S_ISREG(st.st_mode);

  auto truncated = [&](size_t need) -> Error {
    if (!r.read_error_.empty()) return Error{r.read_error_};
    size_t got = r.pending_.size() - r.pos_;
    if (got == 0) return Error{name + ": truncated header (the file is empty); the recording did not start"};
    return Error{name + ": truncated header (" + std::to_string(got) + " of " + std::to_string(need) +
                 " bytes); the recording was interrupted before its header was written"};
  };
  if (!r.fill(kTraceHeaderPrefixBytes)) {
    // Too short to be a header: say "not a trace" if what is there is not even our magic.
    size_t got = r.pending_.size() - r.pos_;
    if (got > 0 && std::memcmp(r.pending_.data() + r.pos_, kTraceMagic,
                               std::min(got, sizeof kTraceMagic)) != 0) {
      return check_trace_header_prefix(r.pending_.data() + r.pos_, name).error();
    }
    return truncated(kTraceHeaderPrefixBytes);
  }
  auto size = check_trace_header_prefix(r.pending_.data() + r.pos_, name);
  if (!size) return size.error();
  if (!r.fill(*size)) return truncated(*size);
  auto header = decode_trace_header(r.pending_.data() + r.pos_, *size, name);
  if (!header) return header.error();
  r.header_ = std::move(*header);
  r.pos_ += *size;
  return r;
}

TraceReader::TraceReader(TraceReader&& o) noexcept { *this = std::move(o); }

TraceReader& TraceReader::operator=(TraceReader&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = std::exchange(o.fd_, -1);
    name_ = std::move(o.name_);
    header_ = std::move(o.header_);
    offset_ = o.offset_;
    follow_ = o.follow_;
    pending_ = std::move(o.pending_);
    pos_ = std::exchange(o.pos_, 0);
    warnings_ = std::move(o.warnings_);
    decoder_ = std::move(o.decoder_);
    stored_ = std::move(o.stored_);
    is_regular_ = o.is_regular_;
    closed_ = o.closed_;
    read_error_ = std::move(o.read_error_);
    resyncing_ = o.resyncing_;
    resync_from_ = o.resync_from_;
    last_sequence_ = o.last_sequence_;
  }
  return *this;
}

TraceReader::~TraceReader() { release(); }

void TraceReader::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ChunkDecoder::ChunkDecoder() : dctx_(ZSTD_createDCtx()) {
  if (dctx_ == nullptr) throw std::bad_alloc();
}

ChunkDecoder::~ChunkDecoder() { ZSTD_freeDCtx(as_dctx(dctx_)); }

ChunkDecoder::ChunkDecoder(ChunkDecoder&& o) noexcept : dctx_(std::exchange(o.dctx_, nullptr)) {}

ChunkDecoder& ChunkDecoder::operator=(ChunkDecoder&& o) noexcept {
  std::swap(dctx_, o.dctx_);
  return *this;
}

// Makes at least `need` unconsumed bytes available; false if the data ends
// (for now, or for good) or a read fails first. Partial bytes stay in pending_.
bool TraceReader::fill(size_t need) {
  for (;;) {
    size_t avail = pending_.size() - pos_;
    if (avail >= need) return true;
    if (!read_error_.empty()) return false;
    if (pos_ > 0) {  // drop consumed bytes so the buffer holds about one chunk
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos_));
      pos_ = 0;
    }
    size_t want = std::clamp(need - avail, kReadStep / 16, kReadStep);
    size_t old = pending_.size();
    pending_.resize(old + want);
    ssize_t k = ::read(fd_, pending_.data() + old, want);
    pending_.resize(old + static_cast<size_t>(std::max<ssize_t>(k, 0)));
    if (k > 0) {
      offset_ += static_cast<uint64_t>(k);
      continue;
    }
    if (k == 0) {
      if (!is_regular_) closed_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (follow_) return false;  // the caller polls us again later
      // Not following: behave like a blocking read and wait for data.
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, -1) >= 0 || errno == EINTR) continue;
    }
    read_error_ = errno_message(name_ + ": read", errno);
    warnings_.push_back(read_error_);
    return false;
  }
}

// No complete chunk is available. While following a growing file, keep the
// partial bytes and report kAgain; otherwise the rest of the data is damage.
TraceReader::Next TraceReader::at_end() {
  if (follow_ && read_error_.empty() && !closed_) return Next::kAgain;
  size_t rest = pending_.size() - pos_;
  uint64_t at = consumed_offset();
  std::string after = last_sequence_ < 0 ? std::string("before the first chunk")
                                         : "after chunk " + std::to_string(last_sequence_);
  if (resyncing_) {
    if (offset_ > resync_from_) {
      warnings_.push_back(name_ + ": damaged data " + after + " (offset " + std::to_string(resync_from_) +
                          "): no intact chunk in the last " + std::to_string(offset_ - resync_from_) +
                          " bytes, skipped");
    }
  } else if (rest > 0) {
    warnings_.push_back(name_ + ": truncated " + after + " (offset " + std::to_string(at) + "): the last " +
                        std::to_string(rest) + " bytes are incomplete and were ignored");
  }
  resyncing_ = false;
  pending_.clear();
  pos_ = 0;
  return Next::kEnd;
}

// A second recording starts at `at` (its file header, or chunk numbers that
// start over): only the first is read, and the rest of the data is left alone.
TraceReader::Next TraceReader::second_trace(uint64_t at) {
  warnings_.push_back(name_ + ": a second recording starts at offset " + std::to_string(at) +
                      " (two traces concatenated?): only the first one is read; split the file to read the other");
  resyncing_ = false;
  pending_.clear();
  pos_ = 0;
  release();
  return Next::kEnd;
}

// A valid chunk header was found at offset `at` after damage.
void TraceReader::finish_resync(uint64_t at) {
  resyncing_ = false;
  if (at <= resync_from_) return;  // nothing beyond what a warning already covered
  std::string after = last_sequence_ < 0 ? std::string("before the first chunk")
                                         : "after chunk " + std::to_string(last_sequence_);
  warnings_.push_back(name_ + ": damaged chunk header " + after + " (offset " + std::to_string(resync_from_) +
                      "): skipped " + std::to_string(at - resync_from_) + " bytes to the next intact chunk");
}

// The chunk's payload, decompressed into `records` (resized to raw_size).
// The sizes in the header are the file's word, not facts: a header that
// declares far more than its payload can hold must not make us allocate and
// zero-fill it, so such chunks are decompressed into a buffer that grows
// with the bytes zstd really produces.
std::string ChunkDecoder::decompress(const ChunkHeader& h, const uint8_t* payload, std::vector<uint8_t>& records) {
  records.clear();
  if (h.raw_size == 0) return {};
  if (dctx_ == nullptr) return "no zstd context (the decoder was moved from)";
  const unsigned long long declared = ZSTD_getFrameContentSize(payload, h.compressed_size);
  if (declared == ZSTD_CONTENTSIZE_ERROR) return "payload is not a zstd frame";
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != h.raw_size)
    return "zstd frame holds " + std::to_string(declared) + " bytes, header says " + std::to_string(h.raw_size);
  const size_t plausible = std::max<size_t>(kOneShotBytes, size_t{h.compressed_size} * kPlausibleRatio);
  if (h.raw_size <= plausible) {  // what every chunk futexscope writes looks like: one call
    records.resize(h.raw_size);
    size_t n = ZSTD_decompressDCtx(as_dctx(dctx_), records.data(), records.size(), payload, h.compressed_size);
    if (ZSTD_isError(n)) return std::string("decompression failed (") + ZSTD_getErrorName(n) + ")";
    if (n != h.raw_size)
      return "decompressed to " + std::to_string(n) + " bytes, header says " + std::to_string(h.raw_size);
    return {};
  }
  ZSTD_DCtx_reset(as_dctx(dctx_), ZSTD_reset_session_only);
  records.resize(std::min<size_t>(h.raw_size, plausible));
  ZSTD_inBuffer in{payload, h.compressed_size, 0};
  ZSTD_outBuffer out{records.data(), records.size(), 0};
  for (;;) {
    size_t left = ZSTD_decompressStream(as_dctx(dctx_), &out, &in);
    if (ZSTD_isError(left)) return std::string("decompression failed (") + ZSTD_getErrorName(left) + ")";
    if (left == 0) break;  // the frame is complete
    if (out.pos < out.size) {
      if (in.pos == in.size) return "zstd frame cut short after " + std::to_string(out.pos) + " bytes";
      continue;
    }
    if (records.size() >= h.raw_size)
      return "decompresses to more than the " + std::to_string(h.raw_size) + " bytes the header says";
    records.resize(std::min<size_t>(h.raw_size, records.size() * 2));
    out.dst = records.data();
    out.size = records.size();
  }
  if (out.pos != h.raw_size)
    return "decompressed to " + std::to_string(out.pos) + " bytes, header says " + std::to_string(h.raw_size);
  return {};
}

// Decompresses a chunk whose payload checksum matched and checks the record
// framing; returns what is wrong, or "" if `records` now holds its records.
std::string ChunkDecoder::decode(const ChunkHeader& h, const uint8_t* payload, std::vector<uint8_t>& records,
                                 ChunkFutexKeys* keys) {
  if (std::string problem = decompress(h, payload, records); !problem.empty()) return problem;
  // The framing walk also undoes the delta coding (kRecordsDelta), record by
  // record, so the chunk is gone over once: a separate decoding pass after
  // the walk cost as much again. If the framing turns out wrong further on,
  // the chunk is skipped whole, decoded part included.
  const bool coded = h.type == static_cast<uint32_t>(ChunkType::kRecordsDelta);
  FutexDeltaCoder delta;
  uint8_t* const data = records.data();
  const size_t size = records.size();
  if (keys) keys->start(data, size);
  size_t off = 0;
  uint32_t count = 0;
  bool misaligned = false;  // some record's size is not a multiple of 8
  bool counted = false;     // an FXS_REC_FUTEX_COUNT to expand
  while (off < size) {
    fxs_rec_hdr rh;
    if (size - off < sizeof rh) return "record at byte " + std::to_string(off) + " is cut short";
    std::memcpy(&rh, data + off, sizeof rh);
    if (rh.size < sizeof rh || rh.size > size - off) {
      return "record at byte " + std::to_string(off) + " has impossible size " + std::to_string(rh.size);
    }
    if (coded) delta.decode(data + off, rh);
    if (keys) keys->add(data + off, rh);
    off += rh.size;
    ++count;
    misaligned |= rh.size % 8 != 0;
    counted |= rh.type == FXS_REC_FUTEX_COUNT;
    // Runs of records of one size (nearly all of a chunk: futex calls) are
    // stepped over with a constant stride, so the next header's address does
    // not wait for this one's load: the walk over a chunk that just left the
    // cache runs at the prefetcher's pace instead of one miss per record.
    const uint16_t run = rh.size;
    while (size - off >= run) {
      std::memcpy(&rh, data + off, sizeof rh);
      if (rh.size != run) break;
      if (coded) delta.decode(data + off, rh);
      if (keys) keys->add(data + off, rh);
      off += run;
      ++count;
      counted |= rh.type == FXS_REC_FUTEX_COUNT;
    }
  }
  if (count != h.record_count) {
    return "holds " + std::to_string(count) + " records, header says " + std::to_string(h.record_count);
  }
  if (misaligned)
    if (std::string problem = align_records(records); !problem.empty()) return problem;
  if (counted)
    if (std::string problem = expand_counted_calls(records); !problem.empty()) return problem;
  if (keys && (misaligned || counted)) keys->build(records.data(), records.size());
  return {};
}

// Records may have any size (a newer writer's type, a damaged file), but the
// models read them as structs: a record after one whose size is not a
// multiple of 8 is moved to the next multiple of 8 and the one before it
// grows by the padding (readers take the fields they know and skip the
// rest). From here on every record of a decoded chunk is 8-byte aligned.
std::string ChunkDecoder::align_records(std::vector<uint8_t>& records) {
  std::vector<uint8_t> out;
  out.reserve(records.size() + records.size() / 2);
  std::string problem;
  for_each_chunk_record(records.data(), records.size(), [&](const uint8_t* rec, fxs_rec_hdr h) {
    const size_t padded = (size_t{h.size} + 7) & ~size_t{7};
    if (padded > UINT16_MAX) {
      if (problem.empty()) problem = "a record of " + std::to_string(h.size) + " bytes cannot be aligned";
      return;
    }
    const size_t at = out.size();
    out.insert(out.end(), rec, rec + h.size);
    out.resize(at + padded, 0);
    h.size = uint16_t(padded);
    std::memcpy(out.data() + at, &h, sizeof h);
  });
  if (!problem.empty()) return problem;
  records.swap(out);
  return {};
}

TraceReader::Next TraceReader::next_stored_chunk(StoredChunk& chunk) {
  if (fd_ < 0) return Next::kEnd;
  for (;;) {
    if (!fill(sizeof(ChunkHeader))) return at_end();
    ChunkHeader h;
    std::memcpy(&h, pending_.data() + pos_, sizeof h);
    uint64_t off = consumed_offset();
    if (!resyncing_ && std::memcmp(&h, kTraceMagic, sizeof kTraceMagic) == 0) {
      // Another recording's file header where a chunk should be: two traces
      // were concatenated. Reading on would add its counts to this one's.
      return second_trace(off);
    }
    if (!chunk_header_valid(h)) {
      // Resynchronise: try every later position that starts with the chunk
      // magic; only a header whose crc also holds ends the scan.
      if (!resyncing_) {
        resyncing_ = true;
        resync_from_ = off;
      }
      ++pos_;
      const void* m = std::memchr(pending_.data() + pos_, kChunkMagic[0], pending_.size() - pos_);
      pos_ = m ? static_cast<size_t>(static_cast<const uint8_t*>(m) - pending_.data()) : pending_.size();
      continue;
    }
    const bool after_damage = resyncing_;
    if (resyncing_) finish_resync(off);
    if (last_sequence_ >= 0 && h.sequence <= uint64_t(last_sequence_)) return second_trace(off);
    // After damage the skipped bytes held the missing chunks, and the damage
    // warning said so; a gap between two intact chunks has no other warning.
    if (!after_damage && h.sequence != uint64_t(last_sequence_ + 1)) {
      // Chunks whose headers are gone entirely leave no other trace than this.
      const uint64_t from = uint64_t(last_sequence_ + 1), to = uint64_t(h.sequence) - 1;
      const std::string which =
          from == to ? " " + std::to_string(from) : "s " + std::to_string(from) + "-" + std::to_string(to);
      warnings_.push_back(name_ + ": chunk" + which + " missing before offset " + std::to_string(off) +
                          " (sequence gap): the counts leave out whatever they held");
    }

    size_t total = sizeof h + h.compressed_size;
    if (!fill(total)) return at_end();
    const uint8_t* payload = pending_.data() + pos_ + sizeof h;
    std::string label = name_ + ": chunk " + std::to_string(h.sequence) + " at offset " + std::to_string(off);

    if (trace_crc32(payload, h.compressed_size) != h.payload_crc) {
      warnings_.push_back(label + ": payload checksum mismatch, skipped");
      // Scan from just after the header rather than trusting compressed_size:
      // a chunk cut short by a failed write is followed by the next chunk
      // inside the range this one claims. Bytes up to the claimed end are
      // covered by this warning; only skipping beyond it warns again.
      pos_ += sizeof h;
      resyncing_ = true;
      resync_from_ = off + total;
      last_sequence_ = h.sequence;
      continue;
    }
    last_sequence_ = h.sequence;
    if (h.type != static_cast<uint32_t>(ChunkType::kRecords) &&
        h.type != static_cast<uint32_t>(ChunkType::kRecordsDelta)) {
      pos_ += total;  // a chunk type from a newer writer: a compatible addition, skipped quietly
      continue;
    }
    chunk.header = h;
    chunk.offset = off;
    chunk.payload.assign(payload, payload + h.compressed_size);
    chunk.label = std::move(label);
    pos_ += total;
    return Next::kChunk;
  }
}

TraceReader::Next TraceReader::next_chunk(std::vector<uint8_t>& records, ChunkInfo* info) {
  for (;;) {
    Next next = next_stored_chunk(stored_);
    if (next != Next::kChunk) return next;
    const ChunkHeader& h = stored_.header;
    std::string problem = decoder_.decode(h, stored_.payload.data(), records);
    if (!problem.empty()) {
      warnings_.push_back(stored_.label + ": " + problem + ", skipped");
      continue;
    }
    if (info) *info = ChunkInfo{stored_.offset, h.sequence, h.record_count, h.first_ts_ns, h.last_ts_ns};
    return Next::kChunk;
  }
}

Status TraceReader::for_each_record(const std::function<void(const fxs_rec_hdr*)>& fn) {
  return for_each_record_while([&](const fxs_rec_hdr* h) {
    fn(h);
    return true;
  });
}

Status TraceReader::for_each_record_while(const std::function<bool(const fxs_rec_hdr*)>& fn) {
  if (fd_ < 0) return Error{name_ + ": trace reader is closed"};
  // The next chunk is read and decompressed on a second thread while `fn`
  // runs over this one (two buffers, taken in turn): decompression was a
  // sixth of a `report` of a large trace. Only that thread touches the reader
  // until it is joined.
  std::mutex mu;
  std::condition_variable cv;
  std::array<std::vector<uint8_t>, 2> bufs;
  std::array<bool, 2> full{};  // bufs[i] holds a chunk not walked yet
  bool ended = false, stop = false;
  std::thread reader_thread([&] {
    for (size_t i = 0;; i ^= 1) {
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return !full[i] || stop; });
        if (stop) return;
      }
      // kAgain (following) ends the walk too: everything available now was seen.
      const bool chunk = next_chunk(bufs[i]) == Next::kChunk;
      std::lock_guard lk(mu);
      (chunk ? full[i] : ended) = true;
      cv.notify_all();
      if (!chunk) return;
    }
  });
  // Stopped and joined however the walk ends (`fn` may throw), before the
  // reader's state is read again.
  auto join = [&] {
    if (!reader_thread.joinable()) return;
    {
      std::lock_guard lk(mu);
      stop = true;
    }
    cv.notify_all();
    reader_thread.join();
  };
  struct Joiner {
    decltype(join)& f;
    ~Joiner() { f(); }
  } joiner{join};

  bool more = true;
  for (size_t i = 0; more; i ^= 1) {
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return full[i] || ended; });
      if (!full[i]) break;  // the reader ended after the chunks before this one
    }
    const std::vector<uint8_t>& buf = bufs[i];
    // next_chunk() checked the framing (every hdr.size fits) and aligned
    // every record to 8 bytes (ChunkDecoder::align_records).
    for (size_t off = 0; off < buf.size();) {
      const uint8_t* p = buf.data() + off;
      fxs_rec_hdr h;
      std::memcpy(&h, p, sizeof h);
      if (!fn(reinterpret_cast<const fxs_rec_hdr*>(p))) {
        more = false;
        break;
      }
      off += h.size;
    }
    {
      std::lock_guard lk(mu);
      full[i] = false;
    }
    cv.notify_all();
  }
  join();
  if (!read_error_.empty()) return Error{read_error_};
  return {};
}

}  // namespace fxs
