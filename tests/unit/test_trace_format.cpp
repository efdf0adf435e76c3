// Trace stream writer/reader: round trip, damage handling, versioning, follow mode.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <zstd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "replay/counted_calls.h"
#include "replay/record_delta.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

using Bytes = std::vector<uint8_t>;
namespace fs = std::filesystem;

class TraceFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fxs-trace-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TraceHeader sample_header() {
  TraceHeader h;
  h.summary = true;
  h.clock_mono_ns = 123456789012345ull;
  h.clock_real_ns = 1700000000123456789ull;
  h.min_wait_ns = 5000;
  h.target_pid = 4242;
  h.cpu_count = 4;
  h.cpu_node = {0, 0, 1, -1};
  h.kernel_release = "6.8.0-futex";
  h.hostname = "box";
  h.command = "sleep 1 'with spaces'";
  return h;
}

Bytes futex_rec(uint64_t i, unsigned nr_uaddrs) {
  Bytes b(sizeof(fxs_futex_rec) + nr_uaddrs * sizeof(uint64_t));
  fxs_futex_rec r{};
  r.hdr.type = FXS_REC_FUTEX;
  r.hdr.size = static_cast<uint16_t>(b.size());
  r.enter_ns = 1000 + i * 10;
  r.exit_ns = r.enter_ns + 7;
  r.tgid = 100;
  r.tid = static_cast<uint32_t>(100 + i % 5);
  r.uaddr = 0x7f0000001000ull + i * 8;
  r.ret = -static_cast<int32_t>(i % 3);
  r.syscall = nr_uaddrs ? FXS_SC_FUTEX_WAITV : FXS_SC_FUTEX;
  r.nr_uaddrs = static_cast<uint8_t>(nr_uaddrs);
  std::memcpy(b.data(), &r, sizeof r);
  for (unsigned k = 0; k < nr_uaddrs; ++k) {
    uint64_t a = 0x7f0000100000ull + i * 64 + k;
    std::memcpy(b.data() + sizeof r + k * 8, &a, 8);
  }
  return b;
}

template <typename T>
Bytes as_bytes(const T& r) {
  Bytes b(sizeof r);
  std::memcpy(b.data(), &r, sizeof r);
  return b;
}

// An unknown record type the tests write 13 bytes long (not a multiple of
// 8): the reader hands it back padded to 16 (ChunkDecoder aligns every record).
constexpr uint16_t kOddType = 99, kOddSize = 13, kOddSizeAsRead = 16;

// A mix of every record type (and one unknown type with an odd size), as the
// reader gives them back; write_trace() writes the odd one short.
std::vector<Bytes> make_records(size_t n) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) {
    switch (i % 6) {
      case 0:
      case 1:
        out.push_back(futex_rec(i, static_cast<unsigned>(i % 7)));  // 0..6 trailing uaddrs
        break;
      case 2: {
        fxs_task_rec t{};
        t.hdr = {FXS_REC_TASK, sizeof t, 0};
        t.ts_ns = 1000 + i * 10;
        t.tgid = 100;
        t.tid = static_cast<uint32_t>(i);
        std::snprintf(t.comm, sizeof t.comm, "worker-%u", static_cast<unsigned>(i % 1000));
        std::snprintf(t.pcomm, sizeof t.pcomm, "app");
        out.push_back(as_bytes(t));
        break;
      }
      case 3: {
        fxs_loss_rec l{};
        l.hdr = {FXS_REC_LOSS, sizeof l, 0};
        l.ts_ns = 1000 + i * 10;
        l.counters[FXS_CNT_RINGBUF_DROP] = i;
        out.push_back(as_bytes(l));
        break;
      }
      case 4: {
        fxs_agg_rec a{};
        a.hdr = {FXS_REC_AGG, sizeof a, 0};
        a.ts_ns = 1000 + i * 10;
        a.key = {100, 0, 0x7f0000001000ull + i};
        a.val.ops[FXS_OP_FUTEX_WAIT] = i;
        a.val.hist[FXS_HIST_BUCKETS - 1] = i * 3;
        out.push_back(as_bytes(a));
        break;
      }
      case 5: {
        Bytes u(kOddSizeAsRead, 0);  // unknown type: 13 bytes, then the reader's padding
        std::fill(u.begin() + sizeof(fxs_rec_hdr), u.begin() + kOddSize, static_cast<uint8_t>(i));
        fxs_rec_hdr h{kOddType, kOddSizeAsRead, 0};
        std::memcpy(u.data(), &h, sizeof h);
        out.push_back(u);
        break;
      }
    }
  }
  fxs_stop_rec s{};
  s.hdr = {FXS_REC_STOP, sizeof s, 0};
  s.ts_ns = 1000 + n * 10;
  out.push_back(as_bytes(s));
  return out;
}

void write_trace(const std::string& p, const std::vector<Bytes>& recs, size_t chunk_bytes,
                 const TraceHeader& h = sample_header()) {
  auto w = TraceWriter::create(p, h, chunk_bytes);
  ASSERT_TRUE(w.ok()) << w.message();
  for (Bytes r : recs) {
    fxs_rec_hdr hdr;
    std::memcpy(&hdr, r.data(), sizeof hdr);
    if (hdr.type == kOddType && hdr.size == kOddSizeAsRead) {  // written as its 13 bytes
      hdr.size = kOddSize;
      r.resize(kOddSize);
      std::memcpy(r.data(), &hdr, sizeof hdr);
    }
    ASSERT_TRUE(w->append(r.data(), r.size()).ok());
  }
  Status s = w->close();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(w->records_written(), recs.size());
}

struct ReadResult {
  std::vector<Bytes> records;
  std::vector<ChunkInfo> chunks;
  std::vector<std::string> warnings;
};

ReadResult read_all(const std::string& p) {
  ReadResult out;
  auto r = TraceReader::open(p);
  EXPECT_TRUE(r.ok()) << r.message();
  if (!r.ok()) return out;
  Bytes buf;
  ChunkInfo info{};
  while (r->next_chunk(buf, &info) == TraceReader::Next::kChunk) {
    out.chunks.push_back(info);
    size_t n = 0;
    for (size_t off = 0; off < buf.size(); ++n) {
      fxs_rec_hdr h;
      std::memcpy(&h, buf.data() + off, sizeof h);
      out.records.emplace_back(buf.begin() + off, buf.begin() + off + h.size);
      off += h.size;
    }
    EXPECT_EQ(n, info.record_count);
  }
  out.warnings = r->warnings();
  return out;
}

Bytes slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

void spit(const std::string& p, const Bytes& b, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream f(p, std::ios::binary | std::ios::out | mode);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& w : v) s += w + "\n";
  return s;
}

// Expected records = those of every chunk except `skip` (indices into chunks).
std::vector<Bytes> records_without(const std::vector<Bytes>& all, const std::vector<ChunkInfo>& chunks,
                                   const std::vector<size_t>& skip) {
  std::vector<Bytes> out;
  size_t at = 0;
  for (size_t c = 0; c < chunks.size(); ++c) {
    bool skipped = std::find(skip.begin(), skip.end(), c) != skip.end();
    for (uint32_t i = 0; i < chunks[c].record_count; ++i, ++at) {
      if (!skipped) out.push_back(all[at]);
    }
  }
  return out;
}

TEST_F(TraceFormatTest, RoundTripHeaderAndRecordsAcrossChunks) {
  const auto recs = make_records(1000);
  write_trace(path("t.fxs"), recs, 2048);

  auto r = TraceReader::open(path("t.fxs"));
  ASSERT_TRUE(r.ok()) << r.message();
  const TraceHeader& h = r->header();
  TraceHeader want = sample_header();
  EXPECT_EQ(h.format_version, kTraceFormatVersion);
  EXPECT_EQ(h.abi_version, static_cast<uint32_t>(FXS_ABI_VERSION));
  EXPECT_EQ(h.summary, want.summary);
  EXPECT_EQ(h.clock_mono_ns, want.clock_mono_ns);
  EXPECT_EQ(h.clock_real_ns, want.clock_real_ns);
  EXPECT_EQ(h.min_wait_ns, want.min_wait_ns);
  EXPECT_EQ(h.target_pid, want.target_pid);
  EXPECT_EQ(h.cpu_count, want.cpu_count);
  EXPECT_EQ(h.cpu_node, want.cpu_node);
  EXPECT_EQ(h.kernel_release, want.kernel_release);
  EXPECT_EQ(h.hostname, want.hostname);
  EXPECT_EQ(h.command, want.command);

  std::vector<Bytes> got;
  ASSERT_TRUE(r->for_each_record([&](const fxs_rec_hdr* rec) {
                 EXPECT_EQ(reinterpret_cast<uintptr_t>(rec) % 8, 0u);  // castable to record structs
                 const auto* p = reinterpret_cast<const uint8_t*>(rec);
                 got.emplace_back(p, p + rec->size);
               }).ok());
  EXPECT_TRUE(r->warnings().empty()) << joined(r->warnings());
  ASSERT_EQ(got.size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) ASSERT_EQ(got[i], recs[i]) << "record " << i;
  EXPECT_EQ(r->bytes_read(), fs::file_size(path("t.fxs")));

  auto all = read_all(path("t.fxs"));
  ASSERT_GT(all.chunks.size(), 10u);
  uint64_t prev_last = 0;
  for (size_t c = 0; c < all.chunks.size(); ++c) {
    EXPECT_EQ(all.chunks[c].sequence, c);
    EXPECT_GT(all.chunks[c].first_ts_ns, 0u);
    EXPECT_LE(all.chunks[c].first_ts_ns, all.chunks[c].last_ts_ns);
    EXPECT_GE(all.chunks[c].first_ts_ns, prev_last);  // records were written in time order
    prev_last = all.chunks[c].last_ts_ns;
  }
  EXPECT_EQ(all.chunks.front().first_ts_ns, 1000u);
  EXPECT_EQ(all.chunks.back().last_ts_ns, 1000u + 1000u * 10u);  // the STOP record
}

// The writer's delta coding (ChunkType::kRecordsDelta): futex records of the
// plain size become differences from the previous one, headers and every
// other record stay as they are, and decoding gives back the same bytes.
// for_each_record reads ahead on a thread of its own: a callback that throws
// must still leave with that thread stopped and joined (else std::terminate).
TEST_F(TraceFormatTest, ForEachRecordLetsAnExceptionThrough) {
  write_trace(path("t.fxs"), make_records(1000), 2048);
  auto r = TraceReader::open(path("t.fxs"));
  ASSERT_TRUE(r.ok()) << r.message();
  size_t seen = 0;
  EXPECT_THROW((void)r->for_each_record([&](const fxs_rec_hdr*) {
    if (++seen == 300) throw std::runtime_error("stop here");
  }),
               std::runtime_error);
  EXPECT_EQ(seen, 300u);
}

TEST(RecordDelta, CodesOnlyPlainFutexRecordsAndDecodesExactly) {
  const auto recs = make_records(600);
  Bytes raw;
  for (const Bytes& r : recs) raw.insert(raw.end(), r.begin(), r.end());
  Bytes coded = raw;
  delta_encode_futex_records(coded.data(), coded.size());
  size_t off = 0, plain = 0;
  for (const Bytes& r : recs) {
    fxs_rec_hdr h;
    std::memcpy(&h, r.data(), sizeof h);
    const bool is_coded = h.type == FXS_REC_FUTEX && h.size == sizeof(fxs_futex_rec);
    EXPECT_TRUE(std::equal(r.begin(), r.begin() + sizeof h, coded.begin() + off)) << "header at " << off;
    if (is_coded) {
      // Not the first: enter_ns is stored as the (small) step from the previous call's.
      uint64_t enter;
      std::memcpy(&enter, coded.data() + off + offsetof(fxs_futex_rec, enter_ns), 8);
      if (plain++) {
        EXPECT_LT(enter, 1000u) << "record at " << off;
      }
    } else {
      EXPECT_TRUE(std::equal(r.begin(), r.end(), coded.begin() + off)) << "record at " << off;
    }
    off += r.size();
  }
  ASSERT_GT(plain, 20u);
  EXPECT_NE(coded, raw);
  delta_decode_futex_records(coded.data(), coded.size());
  EXPECT_EQ(coded, raw);
}

TEST_F(TraceFormatTest, WaitvUaddrsSurvive) {
  std::vector<Bytes> recs = {futex_rec(1, 128), futex_rec(2, 0), futex_rec(3, 3)};
  write_trace(path("t.fxs"), recs, TraceWriter::kDefaultChunkBytes);
  auto got = read_all(path("t.fxs"));
  ASSERT_EQ(got.records.size(), 3u);
  ASSERT_EQ(got.chunks.size(), 1u);  // only close() flushed
  EXPECT_EQ(got.records[0].size(), sizeof(fxs_futex_rec) + 128 * 8);
  EXPECT_EQ(got.records, recs);
  fxs_futex_rec r;
  std::memcpy(&r, got.records[2].data(), sizeof r);
  EXPECT_EQ(r.nr_uaddrs, 3);
  uint64_t last;
  std::memcpy(&last, got.records[2].data() + sizeof r + 2 * 8, 8);
  EXPECT_EQ(last, 0x7f0000100000ull + 3 * 64 + 2);
}

TEST_F(TraceFormatTest, RecordTimestamp) {
  auto f = futex_rec(5, 0);
  EXPECT_EQ(record_timestamp(reinterpret_cast<const fxs_rec_hdr*>(f.data())), 1050u);
  fxs_stop_rec s{{FXS_REC_STOP, sizeof s, 0}, 77};
  EXPECT_EQ(record_timestamp(&s.hdr), 77u);
  fxs_stop_rec u{{42, sizeof u, 0}, 77};
  EXPECT_EQ(record_timestamp(&u.hdr), 0u);
  fxs_stop_rec shortrec{{FXS_REC_STOP, 8, 0}, 77};  // too short to hold ts_ns
  EXPECT_EQ(record_timestamp(&shortrec.hdr), 0u);
}

TEST_F(TraceFormatTest, AppendRejectsMismatchedSize) {
  auto w = TraceWriter::create(path("t.fxs"), sample_header(), 4096);
  ASSERT_TRUE(w.ok());
  auto f = futex_rec(1, 0);
  EXPECT_FALSE(w->append(f.data(), f.size() - 8).ok());
  EXPECT_FALSE(w->append(f.data(), 4).ok());
  EXPECT_TRUE(w->append(f.data(), f.size()).ok());
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(read_all(path("t.fxs")).records.size(), 1u);
}

TEST_F(TraceFormatTest, EmptyTraceHasNoChunks) {
  write_trace(path("t.fxs"), {}, 4096);
  auto got = read_all(path("t.fxs"));
  EXPECT_TRUE(got.chunks.empty());
  EXPECT_TRUE(got.warnings.empty()) << joined(got.warnings);
}

TEST_F(TraceFormatTest, TruncationKeepsEveryEarlierChunk) {
  const auto recs = make_records(300);
  write_trace(path("t.fxs"), recs, 1024);
  const Bytes full = slurp(path("t.fxs"));
  auto all = read_all(path("t.fxs"));
  ASSERT_GE(all.chunks.size(), 5u);

  // Cut inside chunk headers, inside payloads, one byte before the end, and
  // exactly on a boundary (which is no damage at all).
  std::vector<uint64_t> cuts;
  for (size_t c = 1; c < all.chunks.size(); c += 2) {
    cuts.push_back(all.chunks[c].offset + 1);
    cuts.push_back(all.chunks[c].offset + 47);
    cuts.push_back(all.chunks[c].offset + 48);
    cuts.push_back(all.chunks[c].offset + 60);
  }
  cuts.push_back(full.size() - 1);
  for (uint64_t cut : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    spit(path("cut.fxs"), Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut)));
    size_t intact = 0, expect_records = 0;
    while (intact < all.chunks.size() && all.chunks[intact].offset +
               (intact + 1 < all.chunks.size() ? all.chunks[intact + 1].offset - all.chunks[intact].offset
                                               : full.size() - all.chunks[intact].offset) <= cut) {
      expect_records += all.chunks[intact].record_count;
      ++intact;
    }
    auto got = read_all(path("cut.fxs"));
    ASSERT_EQ(got.chunks.size(), intact);
    ASSERT_EQ(got.records.size(), expect_records);
    EXPECT_TRUE(std::equal(got.records.begin(), got.records.end(), recs.begin()));
    ASSERT_EQ(got.warnings.size(), 1u) << joined(got.warnings);
    uint64_t chunk_start = all.chunks[intact].offset;
    EXPECT_EQ(got.warnings[0], path("cut.fxs") + ": truncated after chunk " + std::to_string(intact - 1) +
                                   " (offset " + std::to_string(chunk_start) + "): the last " +
                                   std::to_string(cut - chunk_start) + " bytes are incomplete and were ignored");
  }

  // Cut on a chunk boundary: a clean, shorter trace.
  spit(path("cut.fxs"), Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(all.chunks[3].offset)));
  auto got = read_all(path("cut.fxs"));
  EXPECT_EQ(got.chunks.size(), 3u);
  EXPECT_TRUE(got.warnings.empty()) << joined(got.warnings);
}

TEST_F(TraceFormatTest, CorruptPayloadSkipsOnlyThatChunk) {
  const auto recs = make_records(300);
  write_trace(path("t.fxs"), recs, 1024);
  auto all = read_all(path("t.fxs"));
  ASSERT_GE(all.chunks.size(), 5u);
  size_t mid = all.chunks.size() / 2;
  Bytes b = slurp(path("t.fxs"));
  uint64_t payload_len = all.chunks[mid + 1].offset - all.chunks[mid].offset - sizeof(ChunkHeader);
  b[all.chunks[mid].offset + sizeof(ChunkHeader) + payload_len / 2] ^= 0x5a;
  spit(path("bad.fxs"), b);

  auto got = read_all(path("bad.fxs"));
  EXPECT_EQ(got.chunks.size(), all.chunks.size() - 1);
  EXPECT_EQ(got.records, records_without(recs, all.chunks, {mid}));
  ASSERT_EQ(got.warnings.size(), 1u) << joined(got.warnings);
  EXPECT_EQ(got.warnings[0], path("bad.fxs") + ": chunk " + std::to_string(mid) + " at offset " +
                                 std::to_string(all.chunks[mid].offset) + ": payload checksum mismatch, skipped");
}

TEST_F(TraceFormatTest, CorruptChunkHeaderResyncs) {
  const auto recs = make_records(300);
  write_trace(path("t.fxs"), recs, 1024);
  auto all = read_all(path("t.fxs"));
  ASSERT_GE(all.chunks.size(), 5u);
  const Bytes orig = slurp(path("t.fxs"));
  // Damage the magic, the compressed size, the timestamps and the crc itself,
  // of the first chunk and of a middle one.
  for (size_t c : {size_t{0}, size_t{2}}) {
    for (size_t field : {size_t{0}, offsetof(ChunkHeader, compressed_size), offsetof(ChunkHeader, first_ts_ns),
                         offsetof(ChunkHeader, header_crc)}) {
      SCOPED_TRACE("chunk " + std::to_string(c) + " byte " + std::to_string(field));
      Bytes b = orig;
      b[all.chunks[c].offset + field] ^= 0x01;
      spit(path("bad.fxs"), b);
      auto got = read_all(path("bad.fxs"));
      EXPECT_EQ(got.chunks.size(), all.chunks.size() - 1);
      EXPECT_EQ(got.records, records_without(recs, all.chunks, {c}));
      ASSERT_EQ(got.warnings.size(), 1u) << joined(got.warnings);
      uint64_t skipped = all.chunks[c + 1].offset - all.chunks[c].offset;
      std::string after = c == 0 ? "before the first chunk" : "after chunk " + std::to_string(c - 1);
      EXPECT_EQ(got.warnings[0], path("bad.fxs") + ": damaged chunk header " + after + " (offset " +
                                     std::to_string(all.chunks[c].offset) + "): skipped " +
                                     std::to_string(skipped) + " bytes to the next intact chunk");
    }
  }
}

TEST_F(TraceFormatTest, GarbageBetweenChunksAndAtTheEnd) {
  const auto recs = make_records(100);
  write_trace(path("t.fxs"), recs, 1024);
  auto all = read_all(path("t.fxs"));
  ASSERT_GE(all.chunks.size(), 3u);
  Bytes b = slurp(path("t.fxs"));
  // Garbage that even contains false chunk magics, inserted before chunk 2.
  Bytes junk(300, 0xab);
  std::memcpy(junk.data() + 10, kChunkMagic, 4);
  std::memcpy(junk.data() + 250, kChunkMagic, 4);
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(all.chunks[2].offset), junk.begin(), junk.end());
  b.insert(b.end(), junk.begin(), junk.end());
  spit(path("bad.fxs"), b);
  auto got = read_all(path("bad.fxs"));
  EXPECT_EQ(got.records, recs);
  ASSERT_EQ(got.warnings.size(), 2u) << joined(got.warnings);
  EXPECT_NE(got.warnings[0].find("skipped 300 bytes"), std::string::npos) << got.warnings[0];
  EXPECT_NE(got.warnings[1].find("no intact chunk in the last 300 bytes"), std::string::npos) << got.warnings[1];
}

TEST_F(TraceFormatTest, HalfWrittenChunkFollowedByMore) {
  // What a writer leaves behind when a write fails midway and a later chunk succeeds.
  const auto recs = make_records(100);
  write_trace(path("t.fxs"), recs, 1024);
  auto all = read_all(path("t.fxs"));
  ASSERT_GE(all.chunks.size(), 4u);
  Bytes b = slurp(path("t.fxs"));
  size_t cut_from = all.chunks[1].offset + 100, cut_to = all.chunks[2].offset;
  b.erase(b.begin() + static_cast<std::ptrdiff_t>(cut_from), b.begin() + static_cast<std::ptrdiff_t>(cut_to));
  spit(path("bad.fxs"), b);
  auto got = read_all(path("bad.fxs"));
  EXPECT_EQ(got.records, records_without(recs, all.chunks, {1}));
  ASSERT_EQ(got.warnings.size(), 1u) << joined(got.warnings);
  EXPECT_NE(got.warnings[0].find("chunk 1 at offset"), std::string::npos) << got.warnings[0];
}

TEST_F(TraceFormatTest, RandomDamageNeverYieldsWrongRecords) {
  const auto recs = make_records(200);
  write_trace(path("t.fxs"), recs, 1024);
  auto all = read_all(path("t.fxs"));
  const Bytes orig = slurp(path("t.fxs"));
  // Each chunk's records, to check that whatever comes back is a real chunk.
  std::vector<std::vector<Bytes>> by_chunk;
  size_t at = 0;
  for (const auto& c : all.chunks) {
    by_chunk.emplace_back(recs.begin() + static_cast<std::ptrdiff_t>(at),
                          recs.begin() + static_cast<std::ptrdiff_t>(at + c.record_count));
    at += c.record_count;
  }
  std::mt19937 rng(12345);
  size_t first = all.chunks[0].offset;
  for (int iter = 0; iter < 300; ++iter) {
    Bytes b = orig;
    int flips = 1 + iter % 4;
    for (int k = 0; k < flips; ++k) b[first + rng() % (b.size() - first)] ^= static_cast<uint8_t>(1 + rng() % 255);
    spit(path("bad.fxs"), b);
    auto r = TraceReader::open(path("bad.fxs"));
    ASSERT_TRUE(r.ok());
    Bytes buf;
    ChunkInfo info{};
    size_t chunks = 0;
    while (r->next_chunk(buf, &info) == TraceReader::Next::kChunk) {
      ASSERT_LT(info.sequence, by_chunk.size());
      Bytes want;
      for (const Bytes& rec : by_chunk[info.sequence]) want.insert(want.end(), rec.begin(), rec.end());
      ASSERT_EQ(buf, want) << "iteration " << iter;
      ++chunks;
    }
    EXPECT_GE(chunks + static_cast<size_t>(flips), all.chunks.size()) << "iteration " << iter;
    EXPECT_FALSE(r->warnings().empty()) << "iteration " << iter;
  }
}

TEST_F(TraceFormatTest, HugeSizesInAValidHeaderAreDamage) {
  write_trace(path("t.fxs"), make_records(20), 1024);
  auto all = read_all(path("t.fxs"));
  Bytes b = slurp(path("t.fxs"));
  ChunkHeader h;
  std::memcpy(&h, b.data() + all.chunks[0].offset, sizeof h);
  h.compressed_size = 0xfffffff0u;
  h.header_crc = chunk_header_crc(h);  // a header that checks out but lies
  std::memcpy(b.data() + all.chunks[0].offset, &h, sizeof h);
  spit(path("bad.fxs"), b);
  auto got = read_all(path("bad.fxs"));
  EXPECT_EQ(got.chunks.size(), all.chunks.size() - 1);
  EXPECT_EQ(got.warnings.size(), 1u) << joined(got.warnings);
}

// A chunk whose checksums hold but whose contents are wrong (a writer bug,
// not damage in transit): skipped with a warning naming the problem.
Bytes crafted_chunk(const Bytes& raw, uint32_t sequence, uint32_t record_count, uint32_t raw_size,
                    bool compress = true) {
  Bytes payload = raw;
  if (compress) {
    payload.resize(ZSTD_compressBound(raw.size()));
    size_t n = ZSTD_compress(payload.data(), payload.size(), raw.data(), raw.size(), 1);
    payload.resize(n);
  }
  ChunkHeader h{};
  std::memcpy(h.magic, kChunkMagic, 4);
  h.type = static_cast<uint32_t>(ChunkType::kRecords);
  h.compressed_size = static_cast<uint32_t>(payload.size());
  h.raw_size = raw_size;
  h.record_count = record_count;
  h.payload_crc = trace_crc32(payload.data(), payload.size());
  h.sequence = sequence;
  h.header_crc = chunk_header_crc(h);
  Bytes out(sizeof h);
  std::memcpy(out.data(), &h, sizeof h);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST_F(TraceFormatTest, ChunksWithBadContentsAreSkipped) {
  auto enc = encode_trace_header(sample_header());
  ASSERT_TRUE(enc.ok());
  Bytes raw;
  for (int i = 0; i < 3; ++i) {
    Bytes f = futex_rec(static_cast<uint64_t>(i), 1);
    raw.insert(raw.end(), f.begin(), f.end());
  }
  const auto n = static_cast<uint32_t>(raw.size());
  const size_t rec = sizeof(fxs_futex_rec) + 8;  // each record carries one futex_waitv address
  Bytes bad_size = raw;
  bad_size[sizeof(fxs_futex_rec) + 8 + 2] = 4;  // second record claims 4 bytes
  bad_size[sizeof(fxs_futex_rec) + 8 + 3] = 0;
  Bytes overrun = raw;
  overrun[2 * (sizeof(fxs_futex_rec) + 8) + 3] = 0x7f;  // last record runs past the end

  Bytes file = *enc;
  struct Case {
    Bytes chunk;
    std::string problem;
  };
  std::vector<Case> cases = {
      {crafted_chunk(raw, 0, 3, n), ""},
      {crafted_chunk(raw, 1, 4, n), "holds 3 records, header says 4"},
      {crafted_chunk(raw, 2, 3, n + 8), "zstd frame holds " + std::to_string(n) + " bytes, header says " +
                                            std::to_string(n + 8)},
      {crafted_chunk(raw, 3, 3, n, /*compress=*/false), "payload is not a zstd frame"},
      {crafted_chunk(bad_size, 4, 3, n), "record at byte " + std::to_string(rec) + " has impossible size 4"},
      {crafted_chunk(overrun, 5, 3, n), "record at byte " + std::to_string(2 * rec) + " has impossible size " +
                                            std::to_string((0x7f << 8) | (rec & 0xff))},
      {crafted_chunk(raw, 6, 3, n), ""},
  };
  std::vector<uint64_t> offsets;
  for (const auto& c : cases) {
    offsets.push_back(file.size());
    file.insert(file.end(), c.chunk.begin(), c.chunk.end());
  }
  spit(path("t.fxs"), file);
  auto got = read_all(path("t.fxs"));
  ASSERT_EQ(got.chunks.size(), 2u);
  EXPECT_EQ(got.chunks[0].sequence, 0u);
  EXPECT_EQ(got.chunks[1].sequence, 6u);
  EXPECT_EQ(got.records.size(), 6u);
  ASSERT_EQ(got.warnings.size(), 5u) << joined(got.warnings);
  for (size_t i = 1; i + 1 < cases.size(); ++i) {
    const std::string& w = got.warnings[i - 1];
    EXPECT_EQ(w.rfind(path("t.fxs") + ": chunk " + std::to_string(i) + " at offset " +
                          std::to_string(offsets[i]) + ": " + cases[i].problem, 0),
              0u)
        << w;
    EXPECT_EQ(w.substr(w.size() - 9), ", skipped") << w;
  }
}

fxs_futex_count_rec counted_rec(uint32_t count, uint64_t first_ns, uint64_t last_ns) {
  fxs_futex_count_rec c{};
  c.hdr = {FXS_REC_FUTEX_COUNT, sizeof c, 0};
  c.first_ns = first_ns;
  c.last_ns = last_ns;
  c.tgid = 100;
  c.tid = 101;
  c.uaddr = 0x7f0000002000ull;
  c.val = 7;
  c.val2 = 0;
  c.val3 = 0xffffffffu;
  c.ret = -11;
  c.op = 0x80;
  c.count = count;
  c.enter_cpu = 1;
  c.exit_cpu = 0;
  c.enter_node = 1;
  c.exit_node = 0;
  c.syscall = FXS_SC_FUTEX;
  c.opi = FXS_OP_FUTEX_WAIT;
  c.bucket_where = 3;
  c.bucket_index = 42;
  return c;
}

// The futex records a trace reads back, in order.
std::vector<fxs_futex_rec> futex_records_of(const std::string& p, std::vector<std::string>* warnings = nullptr) {
  std::vector<fxs_futex_rec> out;
  auto r = TraceReader::open(p);
  EXPECT_TRUE(r.ok()) << r.message();
  if (!r.ok()) return out;
  Status st = r->for_each_record([&](const fxs_rec_hdr* h) {
    EXPECT_NE(h->type, FXS_REC_FUTEX_COUNT) << "a counted record reached a reader";
    if (h->type != FXS_REC_FUTEX) return;
    fxs_futex_rec f;
    std::memcpy(&f, h, sizeof f);
    out.push_back(f);
  });
  EXPECT_TRUE(st.ok()) << st.message();
  if (warnings) *warnings = r->warnings();
  return out;
}

TEST_F(TraceFormatTest, CountedCallsReadBackAsTheCallsTheyCount) {
  auto w = TraceWriter::create(path("t.fxs"), sample_header());
  ASSERT_TRUE(w.ok()) << w.message();
  Bytes before = futex_rec(0, 0), after = futex_rec(1, 0);
  const fxs_futex_count_rec five = counted_rec(5, 2000, 2400), one = counted_rec(1, 3000, 3000);
  ASSERT_TRUE(w->append(before.data(), before.size()).ok());
  ASSERT_TRUE(w->append(&five, sizeof five).ok());
  ASSERT_TRUE(w->append(&one, sizeof one).ok());
  ASSERT_TRUE(w->append(after.data(), after.size()).ok());
  ASSERT_TRUE(w->close().ok());
  EXPECT_EQ(w->records_written(), 4u);  // stored as they came

  const auto got = futex_records_of(path("t.fxs"));
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(got[0].enter_ns, 1000u);
  EXPECT_EQ(got[7].enter_ns, 1010u);
  // Spread evenly over the span, every other field the counted record's.
  for (size_t i = 0; i < 6; i++) {
    const fxs_futex_rec& f = got[1 + i];
    const uint64_t t = i < 5 ? 2000 + 100 * i : 3000;
    EXPECT_EQ(f.enter_ns, t) << i;
    EXPECT_EQ(f.exit_ns, t) << i;
    EXPECT_EQ(f.hdr.size, sizeof(fxs_futex_rec));
    EXPECT_EQ(f.tgid, 100u);
    EXPECT_EQ(f.tid, 101u);
    EXPECT_EQ(f.uaddr, 0x7f0000002000ull);
    EXPECT_EQ(f.uaddr2, 0u);
    EXPECT_EQ(f.val, 7u);
    EXPECT_EQ(f.val3, 0xffffffffu);
    EXPECT_EQ(f.ret, -11);
    EXPECT_EQ(f.op, 0x80u);
    EXPECT_EQ(f.enter_cpu, 1u);
    EXPECT_EQ(f.exit_cpu, 0u);
    EXPECT_EQ(f.enter_node, 1u);
    EXPECT_EQ(f.syscall, FXS_SC_FUTEX);
    EXPECT_EQ(f.opi, FXS_OP_FUTEX_WAIT);
    EXPECT_EQ(f.bucket_where, 3u);
    EXPECT_EQ(f.bucket_index, 42u);
    EXPECT_EQ(f.ustack_id, -1);
  }
}

// A chunk ends by what it decodes to: the reader's chunks stay their usual size.
TEST_F(TraceFormatTest, ChunksEndByWhatTheirCountedCallsDecodeTo) {
  auto w = TraceWriter::create(path("t.fxs"), sample_header(), 64 * 1024);
  ASSERT_TRUE(w.ok()) << w.message();
  const fxs_futex_count_rec c = counted_rec(1000, 1, 1000);  // 96,000 bytes of calls
  for (int i = 0; i < 3; i++) ASSERT_TRUE(w->append(&c, sizeof c).ok());
  ASSERT_TRUE(w->close().ok());
  auto r = TraceReader::open(path("t.fxs"));
  ASSERT_TRUE(r.ok());
  Bytes buf;
  ChunkInfo info{};
  int chunks = 0;
  while (r->next_chunk(buf, &info) == TraceReader::Next::kChunk) {
    chunks++;
    EXPECT_EQ(buf.size(), 1000 * sizeof(fxs_futex_rec));
    EXPECT_EQ(info.last_ts_ns, 1000u);  // the span's end, not only its start
  }
  EXPECT_EQ(chunks, 3);
}

// Counts past FXS_COUNTED_MAX or 0 are damage, read as no calls; a chunk
// whose counts come to more than a reader may allocate is skipped.
TEST_F(TraceFormatTest, HostileCountsCannotBlowUpAChunk) {
  auto enc = encode_trace_header(sample_header());
  ASSERT_TRUE(enc.ok());
  Bytes small, huge;
  for (uint32_t count : {0u, uint32_t(FXS_COUNTED_MAX) + 1, 0xffffffffu, 3u}) {
    Bytes b = as_bytes(counted_rec(count, 10, 30));
    small.insert(small.end(), b.begin(), b.end());
  }
  const size_t per_record = size_t{FXS_COUNTED_MAX} * sizeof(fxs_futex_rec);
  const uint32_t n_huge = uint32_t(kMaxExpandedChunkBytes / per_record + 1);
  for (uint32_t i = 0; i < n_huge; i++) {
    Bytes b = as_bytes(counted_rec(FXS_COUNTED_MAX, 10, 30));
    huge.insert(huge.end(), b.begin(), b.end());
  }
  Bytes file = *enc;
  for (const Bytes& c : {crafted_chunk(small, 0, 4, uint32_t(small.size())),
                         crafted_chunk(huge, 1, n_huge, uint32_t(huge.size()))})
    file.insert(file.end(), c.begin(), c.end());
  spit(path("t.fxs"), file);
  std::vector<std::string> warnings;
  const auto got = futex_records_of(path("t.fxs"), &warnings);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].enter_ns, 10u);
  EXPECT_EQ(got[2].enter_ns, 30u);
  ASSERT_EQ(warnings.size(), 1u) << joined(warnings);
  EXPECT_NE(warnings[0].find("chunk 1 at offset"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("counted calls come to"), std::string::npos) << warnings[0];
}

TEST_F(TraceFormatTest, UnknownChunkTypesAreSkippedQuietly) {
  auto enc = encode_trace_header(sample_header());
  ASSERT_TRUE(enc.ok());
  Bytes raw = futex_rec(1, 0);
  Bytes file = *enc;
  Bytes a = crafted_chunk(raw, 0, 1, static_cast<uint32_t>(raw.size()));
  Bytes future = crafted_chunk(Bytes(100, 0xee), 1, 0, 100);
  ChunkHeader h;
  std::memcpy(&h, future.data(), sizeof h);
  h.type = 77;
  h.header_crc = chunk_header_crc(h);
  std::memcpy(future.data(), &h, sizeof h);
  Bytes b = crafted_chunk(raw, 2, 1, static_cast<uint32_t>(raw.size()));
  for (const Bytes* c : {&a, &future, &b}) file.insert(file.end(), c->begin(), c->end());
  spit(path("t.fxs"), file);
  auto got = read_all(path("t.fxs"));
  EXPECT_EQ(got.records.size(), 2u);
  EXPECT_TRUE(got.warnings.empty()) << joined(got.warnings);
}

// ---- Header errors

TEST_F(TraceFormatTest, NewerVersionIsRejectedWithAdvice) {
  write_trace(path("trace.fxs"), make_records(10), 1024);
  Bytes b = slurp(path("trace.fxs"));
  uint32_t v = 7;
  // Only the version is patched, the header crc is left stale: the version is
  // checked first (see docs/trace-format.md) so this still gets the upgrade advice.
  std::memcpy(b.data() + 8, &v, 4);
  spit(path("trace.fxs"), b);
  auto r = TraceReader::open(path("trace.fxs"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), path("trace.fxs") +
                             ": trace format version 7 is newer than this futexscope understands (" +
                             std::to_string(kTraceFormatVersion) + "); use a newer futexscope");
}

TEST_F(TraceFormatTest, BadMagic) {
  spit(path("x.fxs"), Bytes(200, 'x'));
  auto r = TraceReader::open(path("x.fxs"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), path("x.fxs") + ": not a futexscope trace (bad magic); record one with `futexscope record`");
  spit(path("y.fxs"), Bytes{'#', '!'});  // shorter than a header but clearly not ours
  auto r2 = TraceReader::open(path("y.fxs"));
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.message().find("bad magic"), std::string::npos) << r2.message();
}

TEST_F(TraceFormatTest, MissingFile) {
  auto r = TraceReader::open(path("nope.fxs"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), path("nope.fxs") + ": No such file or directory");
}

TEST_F(TraceFormatTest, EmptyAndShortHeader) {
  spit(path("e.fxs"), {});
  auto r = TraceReader::open(path("e.fxs"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message().rfind(path("e.fxs") + ": truncated header", 0), 0u) << r.message();

  write_trace(path("t.fxs"), {}, 1024);
  Bytes b = slurp(path("t.fxs"));
  for (size_t n : {size_t{5}, size_t{16}, b.size() - 1}) {
    spit(path("s.fxs"), Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)));
    auto s = TraceReader::open(path("s.fxs"));
    ASSERT_FALSE(s.ok()) << n;
    EXPECT_EQ(s.message().rfind(path("s.fxs") + ": truncated header (" + std::to_string(n) + " of ", 0), 0u)
        << s.message();
  }
}

TEST_F(TraceFormatTest, HeaderChecksumMismatch) {
  write_trace(path("t.fxs"), make_records(10), 1024);
  Bytes b = slurp(path("t.fxs"));
  auto enc = encode_trace_header(sample_header());
  ASSERT_TRUE(enc.ok());
  b[enc->size() - 8] ^= 1;  // inside the command string
  spit(path("t.fxs"), b);
  auto r = TraceReader::open(path("t.fxs"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("checksum mismatch"), std::string::npos) << r.message();
}

TEST_F(TraceFormatTest, NewerHeaderFieldsAreSkipped) {
  // A future writer of the same version appends fields: older readers skip them.
  auto enc = encode_trace_header(sample_header());
  ASSERT_TRUE(enc.ok());
  Bytes h(enc->begin(), enc->end() - 4);  // without the crc
  Bytes extra = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  h.insert(h.end(), extra.begin(), extra.end());
  uint32_t size = static_cast<uint32_t>(h.size() + 4);
  std::memcpy(h.data() + 12, &size, 4);
  uint32_t crc = trace_crc32(h.data(), h.size());
  h.insert(h.end(), reinterpret_cast<uint8_t*>(&crc), reinterpret_cast<uint8_t*>(&crc) + 4);

  write_trace(path("t.fxs"), make_records(50), 1024);
  Bytes b = slurp(path("t.fxs"));
  b.erase(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(enc->size()));
  b.insert(b.begin(), h.begin(), h.end());
  spit(path("t.fxs"), b);
  auto got = read_all(path("t.fxs"));
  EXPECT_EQ(got.records, make_records(50));
  EXPECT_TRUE(got.warnings.empty()) << joined(got.warnings);
  auto r = TraceReader::open(path("t.fxs"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header().command, sample_header().command);
}

// ---- Streams

TEST_F(TraceFormatTest, FollowAGrowingFile) {
  const auto recs = make_records(40);
  write_trace(path("t.fxs"), recs, TraceWriter::kDefaultChunkBytes);  // one chunk
  const Bytes full = slurp(path("t.fxs"));
  auto all = read_all(path("t.fxs"));
  ASSERT_EQ(all.chunks.size(), 1u);
  size_t half = all.chunks[0].offset + (full.size() - all.chunks[0].offset) / 2;
  spit(path("g.fxs"), Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(half)));

  auto r = TraceReader::open(path("g.fxs"));
  ASSERT_TRUE(r.ok()) << r.message();
  r->follow(true);
  Bytes buf;
  EXPECT_EQ(r->next_chunk(buf), TraceReader::Next::kAgain);
  EXPECT_EQ(r->next_chunk(buf), TraceReader::Next::kAgain);
  spit(path("g.fxs"), Bytes(full.begin() + static_cast<std::ptrdiff_t>(half), full.end()), std::ios::app);
  ChunkInfo info{};
  ASSERT_EQ(r->next_chunk(buf, &info), TraceReader::Next::kChunk);
  EXPECT_EQ(info.record_count, recs.size());
  EXPECT_EQ(r->next_chunk(buf), TraceReader::Next::kAgain);
  r->follow(false);
  EXPECT_EQ(r->next_chunk(buf), TraceReader::Next::kEnd);
  EXPECT_TRUE(r->warnings().empty()) << joined(r->warnings());
}

TEST_F(TraceFormatTest, FollowThenStopFollowingOnATruncatedTail) {
  const auto recs = make_records(40);
  write_trace(path("t.fxs"), recs, 1024);
  const Bytes full = slurp(path("t.fxs"));
  auto all = read_all(path("t.fxs"));
  ASSERT_GE(all.chunks.size(), 2u);
  spit(path("g.fxs"), Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(all.chunks[1].offset + 20)));
  auto r = TraceReader::open(path("g.fxs"));
  ASSERT_TRUE(r.ok());
  r->follow(true);
  Bytes buf;
  EXPECT_EQ(r->next_chunk(buf), TraceReader::Next::kChunk);
  EXPECT_EQ(r->next_chunk(buf), TraceReader::Next::kAgain);
  EXPECT_TRUE(r->warnings().empty());
  r->follow(false);
  EXPECT_EQ(r->next_chunk(buf), TraceReader::Next::kEnd);
  ASSERT_EQ(r->warnings().size(), 1u);
  EXPECT_NE(r->warnings()[0].find("truncated after chunk 0"), std::string::npos) << r->warnings()[0];
}

TEST_F(TraceFormatTest, ThroughAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const auto recs = make_records(2000);
  std::thread producer([&] {
    auto w = TraceWriter::from_fd(fds[1], sample_header(), 4096);
    ASSERT_TRUE(w.ok()) << w.message();
    for (const Bytes& r : recs) ASSERT_TRUE(w->append(r.data(), r.size()).ok());
    ASSERT_TRUE(w->close().ok());
  });
  auto r = TraceReader::from_fd(fds[0], "pipe");
  ASSERT_TRUE(r.ok()) << r.message();
  r->follow(true);  // EOF on a pipe is final even when following
  std::vector<Bytes> got;
  Bytes buf;
  TraceReader::Next n;
  while ((n = r->next_chunk(buf)) != TraceReader::Next::kEnd) {
    if (n == TraceReader::Next::kAgain) continue;
    for (size_t off = 0; off < buf.size();) {
      fxs_rec_hdr h;
      std::memcpy(&h, buf.data() + off, sizeof h);
      got.emplace_back(buf.begin() + off, buf.begin() + off + h.size);
      off += h.size;
    }
  }
  producer.join();
  EXPECT_EQ(got, recs);
  EXPECT_TRUE(r->warnings().empty()) << joined(r->warnings());
  EXPECT_EQ(r->header().hostname, "box");
}

TEST_F(TraceFormatTest, WriterStatsAndMove) {
  auto w = TraceWriter::create(path("t.fxs"), sample_header(), 1 << 20);
  ASSERT_TRUE(w.ok());
  TraceWriter moved = std::move(*w);
  auto f = futex_rec(1, 0);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(moved.append(f.data(), f.size()).ok());
  EXPECT_EQ(moved.chunks_written(), 0u);
  ASSERT_TRUE(moved.flush().ok());
  ASSERT_TRUE(moved.flush().ok());  // nothing buffered: no empty chunk
  EXPECT_EQ(moved.chunks_written(), 1u);
  EXPECT_EQ(moved.records_written(), 10u);
  ASSERT_TRUE(moved.close().ok());
  EXPECT_EQ(moved.bytes_written(), fs::file_size(path("t.fxs")));
  EXPECT_FALSE(moved.append(f.data(), f.size()).ok());  // closed
  EXPECT_EQ(read_all(path("t.fxs")).records.size(), 10u);
}

TEST_F(TraceFormatTest, WriterErrorsNameThePath) {
  auto w = TraceWriter::create(path("no/such/dir/t.fxs"), sample_header());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.message(), path("no/such/dir/t.fxs") + ": No such file or directory");
}

// record's stack settings ride in appended header fields; a header without
// them (an older trace, or one another writer made) says they are unknown.
TEST(TraceHeaderStackSettings, RoundTripAndAbsent) {
  TraceHeader h = sample_header();
  auto plain = encode_trace_header(h);
  ASSERT_TRUE(plain.ok());
  auto back = decode_trace_header(plain->data(), plain->size(), "t");
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_FALSE(back->stack_settings_known);

  h.stack_settings_known = true;
  h.stacks = true;
  h.stack_min_wait_ns = 250000;
  h.stack_sample_every = 8;
  auto with = encode_trace_header(h);
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with->size(), plain->size() + 16);
  back = decode_trace_header(with->data(), with->size(), "t");
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(back->stack_settings_known);
  EXPECT_TRUE(back->stacks);
  EXPECT_EQ(back->stack_min_wait_ns, 250000u);
  EXPECT_EQ(back->stack_sample_every, 8u);
  EXPECT_EQ(back->command, h.command);
}

}  // namespace
}  // namespace fxs
