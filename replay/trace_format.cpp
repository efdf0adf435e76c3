// Serialization of the trace file header and chunk header checks.
// Byte layouts are documented in docs/trace-format.md; keep the two in step.
#include "replay/trace_format.h"
#include "replay/trace_text.h"

#include <zlib.h>

#include <bit>
#include <cstddef>
#include <cstring>

namespace fxs {

// The on-disk format is little-endian and the structs are copied as bytes.
static_assert(std::endian::native == std::endian::little,
              "futexscope's trace format code assumes a little-endian host");

namespace {

constexpr uint32_t kFlagSummary = 1u << 0;
// In the appended stack settings word.
constexpr uint32_t kFlagStacks = 1u << 0;

// Appends fixed-width little-endian fields and length-prefixed strings.
class Encoder {
 public:
  template <typename T>
  void put(T v) {
    const auto* b = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), b, b + sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint32_t>(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  std::vector<uint8_t>& bytes() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

// Bounds-checked reader over the header bytes: a short or garbled header
// turns into `ok() == false`, never into a read past the end.
class Decoder {
 public:
  Decoder(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  template <typename T>
  T get() {
    T v{};
    if (!take(sizeof(T))) return v;
    std::memcpy(&v, p_ + pos_ - sizeof(T), sizeof(T));
    return v;
  }
  std::string get_string() {
    uint32_t len = get<uint32_t>();
    if (!take(len)) return {};
    return trace_text(reinterpret_cast<const char*>(p_ + pos_ - len), len);
  }
  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? n_ - pos_ : 0; }

 private:
  bool take(size_t k) {
    if (!ok_ || k > n_ - pos_) {
      ok_ = false;
      return false;
    }
    pos_ += k;
    return true;
  }
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Records need not be aligned in a chunk (sizes are not multiples of 8 by
// contract), so fields are copied out, never read through the struct.
uint64_t ts_field(const fxs_rec_hdr* rec, uint16_t size, size_t offset) {
  uint64_t ts = 0;
  if (size < offset + sizeof ts) return 0;  // too short to carry it
  std::memcpy(&ts, reinterpret_cast<const uint8_t*>(rec) + offset, sizeof ts);
  return ts;
}

}  // namespace

uint64_t record_timestamp(const fxs_rec_hdr* rec) {
  fxs_rec_hdr h;
  std::memcpy(&h, rec, sizeof h);
  switch (h.type) {
    case FXS_REC_FUTEX:
      return ts_field(rec, h.size, offsetof(fxs_futex_rec, enter_ns));
    case FXS_REC_FUTEX_COUNT:
      return ts_field(rec, h.size, offsetof(fxs_futex_count_rec, first_ns));
    case FXS_REC_TASK:
      return ts_field(rec, h.size, offsetof(fxs_task_rec, ts_ns));
    case FXS_REC_LOSS:
      return ts_field(rec, h.size, offsetof(fxs_loss_rec, ts_ns));
    case FXS_REC_AGG:
      return ts_field(rec, h.size, offsetof(fxs_agg_rec, ts_ns));
    case FXS_REC_STOP:
      return ts_field(rec, h.size, offsetof(fxs_stop_rec, ts_ns));
    case FXS_REC_WAIT_SPLIT:
      return ts_field(rec, h.size, offsetof(fxs_wait_split_rec, run_ns));
    case FXS_REC_SWITCH:
      return ts_field(rec, h.size, offsetof(fxs_switch_rec, ts_ns));
    case FXS_REC_WAKEUP:
      return ts_field(rec, h.size, offsetof(fxs_wakeup_rec, ts_ns));
    case FXS_REC_PAGE_NODE:
      return ts_field(rec, h.size, offsetof(fxs_page_node_rec, ts_ns));
    case FXS_REC_THREAD_EXIT:
      return ts_field(rec, h.size, offsetof(fxs_thread_exit_rec, ts_ns));
    default:
      return 0;
  }
}

uint32_t trace_crc32(const void* data, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = static_cast<const Bytef*>(data);
  // zlib takes uInt lengths; feed large ranges in pieces.
  while (n > 0) {
    uInt piece = n > (1u << 30) ? (1u << 30) : static_cast<uInt>(n);
    crc = crc32(crc, p, piece);
    p += piece;
    n -= piece;
  }
  return static_cast<uint32_t>(crc);
}

Result<std::vector<uint8_t>> encode_trace_header(const TraceHeader& h) {
  Encoder e;
  e.bytes().insert(e.bytes().end(), kTraceMagic, kTraceMagic + sizeof kTraceMagic);
  // Always the version this code writes: h.format_version is informational
  // on the reading side and must not make us claim a layout we do not write.
  e.put<uint32_t>(kTraceFormatVersion);
  e.put<uint32_t>(0);  // header_size, patched below
  e.put<uint32_t>(h.abi_version);
  e.put<uint32_t>(h.summary ? kFlagSummary : 0);
  e.put<uint64_t>(h.clock_mono_ns);
  e.put<uint64_t>(h.clock_real_ns);
  e.put<uint64_t>(h.min_wait_ns);
  e.put<int32_t>(h.target_pid);
  e.put<uint32_t>(h.cpu_count);
  e.put<uint32_t>(static_cast<uint32_t>(h.cpu_node.size()));
  for (int32_t node : h.cpu_node) e.put<int32_t>(node);
  e.put_string(h.kernel_release);
  e.put_string(h.hostname);
  e.put_string(h.command);
  // Version 1 fields end here. New fields go after this line, never before.
  if (h.stack_settings_known) {  // record sets them; traces made by other writers leave them out
    e.put<uint32_t>(h.stacks ? kFlagStacks : 0);
    e.put<uint64_t>(h.stack_min_wait_ns);
    e.put<uint32_t>(h.stack_sample_every);
  }

  std::vector<uint8_t>& out = e.bytes();
  size_t total = out.size() + sizeof(uint32_t);
  if (total > kMaxTraceHeaderBytes) {
    return Error{"trace header is " + std::to_string(total) + " bytes, more than the " +
                 std::to_string(kMaxTraceHeaderBytes) + " readers accept (command line too long?)"};
  }
  uint32_t size32 = static_cast<uint32_t>(total);
  std::memcpy(out.data() + 12, &size32, sizeof size32);
  uint32_t crc = trace_crc32(out.data(), out.size());
  const auto* c = reinterpret_cast<const uint8_t*>(&crc);
  out.insert(out.end(), c, c + sizeof crc);
  return std::move(out);
}

Result<uint32_t> check_trace_header_prefix(const uint8_t* p, const std::string& name) {
  if (std::memcmp(p, kTraceMagic, sizeof kTraceMagic) != 0) {
    return Error{name + ": not a futexscope trace (bad magic); record one with `futexscope record`"};
  }
  uint32_t version = 0, size = 0;
  std::memcpy(&version, p + 8, sizeof version);
  std::memcpy(&size, p + 12, sizeof size);
  // The version is checked before anything else (the header crc included) so
  // that a trace from a newer futexscope always gets the "upgrade" message,
  // even if that version changes how the rest of the header is protected.
  if (version > kTraceFormatVersion) {
    return Error{name + ": trace format version " + std::to_string(version) +
                 " is newer than this futexscope understands (" +
                 std::to_string(kTraceFormatVersion) + "); use a newer futexscope"};
  }
  if (version == 0) {
    return Error{name + ": invalid trace format version 0 (damaged header?)"};
  }
  if (size < kTraceHeaderPrefixBytes + sizeof(uint32_t) || size > kMaxTraceHeaderBytes) {
    return Error{name + ": damaged header (implausible header size " + std::to_string(size) + ")"};
  }
  return size;
}

Result<TraceHeader> decode_trace_header(const uint8_t* p, size_t n, const std::string& name) {
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, p + n - sizeof stored_crc, sizeof stored_crc);
  if (trace_crc32(p, n - sizeof stored_crc) != stored_crc) {
    return Error{name + ": damaged header (checksum mismatch); the trace cannot be read"};
  }
  TraceHeader h;
  std::memcpy(&h.format_version, p + 8, sizeof h.format_version);
  Decoder d(p + kTraceHeaderPrefixBytes, n - kTraceHeaderPrefixBytes - sizeof stored_crc);
  h.abi_version = d.get<uint32_t>();
  h.summary = (d.get<uint32_t>() & kFlagSummary) != 0;  // unknown flag bits: ignored
  h.clock_mono_ns = d.get<uint64_t>();
  h.clock_real_ns = d.get<uint64_t>();
  h.min_wait_ns = d.get<uint64_t>();
  h.target_pid = d.get<int32_t>();
  h.cpu_count = d.get<uint32_t>();
  uint32_t nodes = d.get<uint32_t>();
  // Check the count against the bytes left before reserving anything.
  if (d.ok() && nodes <= d.remaining() / sizeof(int32_t)) {
    h.cpu_node.reserve(nodes);
    for (uint32_t i = 0; i < nodes; ++i) h.cpu_node.push_back(d.get<int32_t>());
  } else {
    return Error{name + ": damaged header (cpu node table runs past the header)"};
  }
  h.kernel_release = d.get_string();
  h.hostname = d.get_string();
  h.command = d.get_string();
  if (!d.ok()) return Error{name + ": damaged header (fields run past the header size)"};
  // The stack settings, from writers that append them (older traces end here).
  if (d.remaining() >= 2 * sizeof(uint32_t) + sizeof(uint64_t)) {
    h.stack_settings_known = true;
    h.stacks = (d.get<uint32_t>() & kFlagStacks) != 0;
    h.stack_min_wait_ns = d.get<uint64_t>();
    h.stack_sample_every = d.get<uint32_t>();
  }
  // Whatever remains was appended by a newer writer of the same format version: skipped.
  return h;
}

uint32_t chunk_header_crc(const ChunkHeader& h) {
  ChunkHeader copy = h;
  copy.header_crc = 0;
  return trace_crc32(&copy, sizeof copy);
}

bool chunk_header_valid(const ChunkHeader& h) {
  return std::memcmp(h.magic, kChunkMagic, sizeof kChunkMagic) == 0 &&
         chunk_header_crc(h) == h.header_crc && h.compressed_size <= kMaxChunkBytes &&
         h.raw_size <= kMaxChunkBytes;
}

}  // namespace fxs
