// What a reader takes from a file is checked before it is used: text made
// valid, spans and sums that no clock produced refused, chunk sizes checked
// against their zstd frame, missing and foreign chunks named, every record of
// a decoded chunk aligned. (Whole hostile files: integration/test_hostile_traces.cpp.)
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "common/wake_record.h"
#include "replay/durations.h"
#include "replay/trace_reader.h"
#include "replay/trace_text.h"
#include "replay/trace_writer.h"
#include "replay/split_model.h"
#include "replay/wake_model.h"

namespace fxs {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(TraceText, KeepsValidUtf8AndStopsAtNul) {
  const char name[] = "caf\xC3\xA9-\xE2\x82\xAC\0tail";
  EXPECT_EQ(trace_text(name, sizeof name), "caf\xC3\xA9-\xE2\x82\xAC");
  EXPECT_EQ(trace_text("abcdef", 3), "abc");
}

TEST(TraceText, ReplacesInvalidSequencesAndControlBytes) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(trace_text("\x80", 1), r);                          // a lone continuation byte
  EXPECT_EQ(trace_text("a\xC3", 2), "a" + r);                   // cut short
  EXPECT_EQ(trace_text("\xC0\xAF", 2), r + r);                  // overlong '/'
  EXPECT_EQ(trace_text("\xED\xA0\x80", 3), r + r + r);          // a UTF-16 surrogate
  EXPECT_EQ(trace_text("\xF4\x90\x80\x80", 4), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(trace_text("two\nlines\tx", 11), "two" + r + "lines" + r + "x");
}

TEST(Durations, ReversedUnknownAndAbsurdSpansAreRefused) {
  EXPECT_EQ(plausible_span(100, 350), std::optional<uint64_t>(250));
  EXPECT_EQ(plausible_span(0, 350), std::nullopt);    // began before the recording
  EXPECT_EQ(plausible_span(350, 100), std::nullopt);  // reversed
  EXPECT_EQ(plausible_span(1, UINT64_MAX), std::nullopt);
  EXPECT_TRUE(plausible_span(1, kMaxPlausibleSpanNs));
}

TEST(Durations, SumsStopAtTheTopAndSaySo) {
  uint64_t sum = UINT64_MAX - 5;
  EXPECT_TRUE(add_saturating(sum, 5));
  EXPECT_EQ(sum, UINT64_MAX);
  sum = UINT64_MAX - 5;
  EXPECT_FALSE(add_saturating(sum, 6));
  EXPECT_EQ(sum, UINT64_MAX);
}

// ---- chunks crafted byte by byte ------------------------------------------

Bytes record_of(uint16_t type, uint16_t size, uint8_t fill) {
  Bytes b(size, fill);
  fxs_rec_hdr h{type, size, 0};
  std::memcpy(b.data(), &h, sizeof h);
  return b;
}

Bytes file_header() {
  TraceHeader h;
  h.hostname = "test";
  return *encode_trace_header(h);
}

// A chunk of `raw` (declared raw size `raw_size`, records `count`), its
// payload `payload` (zstd of raw unless given), checksums right.
Bytes chunk(const Bytes& raw, uint32_t sequence, uint32_t count, std::optional<uint32_t> raw_size = std::nullopt,
            std::optional<Bytes> payload = std::nullopt) {
  Bytes z;
  if (payload) {
    z = *payload;
  } else {
    z.resize(ZSTD_compressBound(raw.size()));
    z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 1));
  }
  ChunkHeader h{};
  std::memcpy(h.magic, kChunkMagic, sizeof h.magic);
  h.type = uint32_t(ChunkType::kRecords);
  h.compressed_size = uint32_t(z.size());
  h.raw_size = raw_size.value_or(uint32_t(raw.size()));
  h.record_count = count;
  h.payload_crc = trace_crc32(z.data(), z.size());
  h.sequence = sequence;
  h.header_crc = chunk_header_crc(h);
  Bytes out(sizeof h);
  std::memcpy(out.data(), &h, sizeof h);
  out.insert(out.end(), z.begin(), z.end());
  return out;
}

struct ReadBack {
  std::vector<std::pair<uint16_t, uint16_t>> records;  // (type, size)
  std::vector<std::string> warnings;
  bool all_aligned = true;
};

ReadBack read_back(const Bytes& file) {
  test::TempDir d;
  std::ofstream(d.path("t.fxs"), std::ios::binary).write(reinterpret_cast<const char*>(file.data()),
                                                        std::streamsize(file.size()));
  ReadBack rb;
  auto r = TraceReader::open(d.path("t.fxs"));
  EXPECT_TRUE(r.ok()) << r.message();
  if (!r.ok()) return rb;
  EXPECT_TRUE(r->for_each_record([&](const fxs_rec_hdr* h) {
                 rb.all_aligned &= reinterpret_cast<uintptr_t>(h) % 8 == 0;
                 rb.records.emplace_back(h->type, h->size);
               }).ok());
  rb.warnings = r->warnings();
  return rb;
}

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const std::string& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(HostileChunks, OddSizedRecordsComeOutAligned) {
  Bytes raw = concat({record_of(99, 13, 0xAB), record_of(FXS_REC_STOP, 16, 0), record_of(99, 9, 1)});
  ReadBack rb = read_back(concat({file_header(), chunk(raw, 0, 3)}));
  ASSERT_EQ(rb.records.size(), 3u);
  EXPECT_TRUE(rb.all_aligned);
  EXPECT_EQ(rb.records[0], std::make_pair(uint16_t(99), uint16_t(16)));  // padded by 3
  EXPECT_EQ(rb.records[1], std::make_pair(uint16_t(FXS_REC_STOP), uint16_t(16)));
  EXPECT_EQ(rb.records[2], std::make_pair(uint16_t(99), uint16_t(16)));
}

TEST(HostileChunks, RawSizeTheFrameDoesNotHoldIsRefusedBeforeAllocating) {
  Bytes raw = record_of(FXS_REC_STOP, 16, 0);
  // The frame says 16 bytes; the chunk header claims 8 MiB.
  ReadBack rb = read_back(concat({file_header(), chunk(raw, 0, 1, 8u << 20), chunk(raw, 1, 1)}));
  EXPECT_EQ(rb.records.size(), 1u);
  EXPECT_TRUE(any_contains(rb.warnings, "zstd frame holds 16 bytes, header says 8388608")) << rb.warnings[0];
}

TEST(HostileChunks, AFrameThatExpandsFarIsDecodedAsItGrows) {
  // 8 MiB of one repeated record compresses thousands to one: past the
  // one-shot ratio, so the buffer grows as zstd proves the data is there.
  Bytes one = record_of(99, 64, 7);
  Bytes raw;
  for (int i = 0; i < (8 << 20) / 64; i++) raw.insert(raw.end(), one.begin(), one.end());
  Bytes c = chunk(raw, 0, uint32_t(raw.size() / 64));
  ChunkHeader h;
  std::memcpy(&h, c.data(), sizeof h);
  ASSERT_GT(size_t(h.raw_size), size_t(h.compressed_size) * ChunkDecoder::kPlausibleRatio);
  ReadBack rb = read_back(concat({file_header(), c}));
  EXPECT_EQ(rb.records.size(), raw.size() / 64);
  EXPECT_TRUE(rb.warnings.empty()) << rb.warnings[0];
}

TEST(HostileChunks, AFrameShorterThanItSaysIsSkipped) {
  Bytes one = record_of(99, 64, 7);
  Bytes raw;
  for (int i = 0; i < 4096; i++) raw.insert(raw.end(), one.begin(), one.end());
  Bytes z(ZSTD_compressBound(raw.size()));
  z.resize(ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 19));
  z.resize(z.size() - 3);  // cut: the frame header still says the whole size
  ReadBack rb = read_back(concat({file_header(), chunk(raw, 0, 4096, std::nullopt, z)}));
  EXPECT_TRUE(rb.records.empty());
  EXPECT_TRUE(any_contains(rb.warnings, "chunk 0")) << (rb.warnings.empty() ? "" : rb.warnings[0]);
}

TEST(HostileChunks, MissingChunksAreNamed) {
  Bytes raw = record_of(FXS_REC_STOP, 16, 0);
  ReadBack rb = read_back(concat({file_header(), chunk(raw, 0, 1), chunk(raw, 3, 1), chunk(raw, 4, 1)}));
  EXPECT_EQ(rb.records.size(), 3u);
  EXPECT_TRUE(any_contains(rb.warnings, "chunks 1-2 missing")) << (rb.warnings.empty() ? "" : rb.warnings[0]);
}

TEST(HostileChunks, ASecondRecordingIsNotAddedToTheFirst) {
  Bytes raw = record_of(FXS_REC_STOP, 16, 0);
  Bytes one = concat({file_header(), chunk(raw, 0, 1), chunk(raw, 1, 1)});
  ReadBack rb = read_back(concat({one, one}));
  EXPECT_EQ(rb.records.size(), 2u);
  EXPECT_TRUE(any_contains(rb.warnings, "a second recording starts at offset " + std::to_string(one.size())));
  // Chunk numbers that start over (the second file's header lost) say the same.
  rb = read_back(concat({one, chunk(raw, 0, 1)}));
  EXPECT_EQ(rb.records.size(), 2u);
  EXPECT_TRUE(any_contains(rb.warnings, "a second recording starts"));
}

}  // namespace
}  // namespace fxs

namespace fxs {
namespace {

// Half a million wake calls on one futex, each named by a wake record and
// each also overlapping a wait with no wake record: pairing them by scanning
// the futex's calls took minutes (a hostile file of 8 KB); indexed, it is
// linear. The counts must still be exact: every wake call hands out its one
// wake once.
TEST(HostileModels, WakePairingOnOneBusyFutexIsExact) {
  constexpr uint32_t kCalls = 500000;
  constexpr uint64_t kUaddr = 0x1000;
  WakeModel m;
  auto add = [&](const auto& rec) { m.add(&rec.hdr); };
  for (uint32_t i = 0; i < kCalls; i++) {
    const uint64_t t = 1000 + uint64_t{i} * 100;
    fxs_futex_rec wake{};
    wake.hdr = {FXS_REC_FUTEX, sizeof wake, 0};
    wake.enter_ns = t, wake.exit_ns = t + 50, wake.tgid = 1, wake.tid = 2, wake.uaddr = kUaddr;
    wake.opi = FXS_OP_FUTEX_WAKE, wake.val = 1, wake.ret = 1;
    add(wake);
    add(test::wake_record({.tgid = 1, .waker = 2, .wakee = 3, .waker_uaddr = kUaddr, .wakee_uaddr = kUaddr,
                           .ts = t + 10}));
  }
  m.finish();
  const FutexWakes* f = m.find(1, kUaddr);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->herd_sizes.at(1), kCalls);
  EXPECT_EQ(f->by_futex_wake, kCalls);
  ASSERT_EQ(f->wakers.size(), 1u);
  EXPECT_EQ(f->wakers[0].count, kCalls);
}

// Found by the fuzzer: a futex_waitv record naming no address (nr_uaddrs 0)
// made the wake and split models copy zero bytes into an empty vector's null
// data() (undefined behaviour: UBSan stops there). Nothing is copied now.
TEST(HostileRecords, WaitvWithNoAddressIsTakenQuietly) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.enter_ns = 100;
  r.exit_ns = 200;
  r.tgid = r.tid = 7;
  r.opi = FXS_OP_FUTEX2_WAITV;
  r.syscall = FXS_SC_FUTEX_WAITV;
  r.ret = 0;
  r.nr_uaddrs = 0;
  WakeModel wakes;
  wakes.add(&r.hdr);
  wakes.finish();
  SplitModel splits;
  splits.add(&r.hdr);
  splits.finish();
  SUCCEED();  // the check is UBSan's (scripts/sanitize-tests.sh)
}

}  // namespace
}  // namespace fxs
