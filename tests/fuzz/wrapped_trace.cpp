#include "fuzz/wrapped_trace.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "replay/trace_writer.h"

namespace fxs::fuzz {

namespace {

constexpr size_t kMaxCpus = 8;
constexpr size_t kMaxString = 63;
constexpr uint8_t kOptSummary = 1;
constexpr int kChunkSizeShift = 1;  // bits 1-2 of the options byte
constexpr uint8_t kSeedChunkSizeCode = 2;  // 4 KiB: a seed spans several chunks

// Reads the input front to back; past its end every byte is 0.
class InputCursor {
 public:
  InputCursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Up to n bytes appended to `out` (fewer at the end of the input).
  void take(size_t n, std::vector<uint8_t>& out) {
    size_t k = std::min(n, left());
    out.insert(out.end(), data_ + pos_, data_ + pos_ + k);
    pos_ += k;
  }
  std::string string(size_t n) {
    std::vector<uint8_t> b;
    take(n, b);
    return std::string(b.begin(), b.end());
  }
  size_t left() const { return size_ - pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

[[noreturn]] void harness_failure(const std::string& what) {
  // The writer refusing what unwrap_input made is a bug in the harness, not a finding.
  std::fprintf(stderr, "fuzz harness: %s\n", what.c_str());
  std::abort();
}

void put_string(std::vector<uint8_t>& out, const std::string& s) {
  size_t n = std::min(s.size(), kMaxString);
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

WrappedTrace unwrap_input(const uint8_t* data, size_t size) {
  InputCursor in(data, size);
  WrappedTrace t;
  uint8_t opts = in.byte();
  t.header.summary = opts & kOptSummary;
  t.chunk_bytes = size_t{256} << (2 * ((opts >> kChunkSizeShift) & 3));
  size_t cpus = in.byte() % (kMaxCpus + 1);
  t.header.cpu_count = static_cast<uint32_t>(cpus);
  for (size_t i = 0; i < cpus; i++) t.header.cpu_node.push_back(static_cast<int8_t>(in.byte()));
  for (std::string* s : {&t.header.kernel_release, &t.header.hostname, &t.header.command})
    *s = in.string(in.byte() % (kMaxString + 1));
  while (in.left() > 0) {
    std::vector<uint8_t> rec;
    in.take(sizeof(fxs_rec_hdr), rec);
    rec.resize(sizeof(fxs_rec_hdr), 0);
    fxs_rec_hdr h;
    std::memcpy(&h, rec.data(), sizeof h);
    h.size = std::max<uint16_t>(h.size, sizeof h);
    std::memcpy(rec.data(), &h, sizeof h);
    in.take(h.size - sizeof h, rec);
    rec.resize(h.size, 0);
    t.records.push_back(std::move(rec));
  }
  return t;
}

void write_wrapped_trace(const WrappedTrace& t, int fd) {
  auto w = TraceWriter::from_fd(fd, t.header, t.chunk_bytes);
  if (!w.ok()) harness_failure(w.error().message);
  for (const std::vector<uint8_t>& r : t.records)
    if (Status s = w->append(r.data(), r.size()); !s) harness_failure(s.message());
  if (Status s = w->close(); !s) harness_failure(s.message());
}

std::vector<uint8_t> wrap_records(const TraceHeader& header, const std::vector<uint8_t>& records,
                                  size_t max_bytes) {
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>((header.summary ? kOptSummary : 0) |
                                     (kSeedChunkSizeCode << kChunkSizeShift)));
  size_t cpus = std::min(header.cpu_node.size(), kMaxCpus);
  out.push_back(static_cast<uint8_t>(cpus));
  for (size_t i = 0; i < cpus; i++) out.push_back(static_cast<uint8_t>(header.cpu_node[i]));
  for (const std::string* s : {&header.kernel_release, &header.hostname, &header.command}) put_string(out, *s);
  bool full = false;
  for_each_chunk_record(records.data(), records.size(), [&](const uint8_t* rec, const fxs_rec_hdr& h) {
    full = full || out.size() + h.size > max_bytes;
    if (!full) out.insert(out.end(), rec, rec + h.size);
  });
  return out;
}

}  // namespace fxs::fuzz
