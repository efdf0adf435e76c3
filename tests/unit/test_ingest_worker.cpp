// The window's loader (ui/ingest_worker) on synthetic traces: no window needed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/trace_writer.h"
#include "ui/ingest_worker.h"
#include "common/temp_dir.h"

namespace fxs::ui {
namespace {

fxs_futex_rec wait_call(uint32_t tid, uint64_t uaddr, uint64_t enter, uint64_t exit) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.tgid = 100;
  r.tid = tid;
  r.uaddr = uaddr;
  r.opi = FXS_OP_FUTEX_WAIT;
  r.ustack_id = -1;
  return r;
}

// Loads `path` as the replay window does and returns the final snapshot;
// `over_limit` (if given) gets the calls past `call_limit`.
std::shared_ptr<const FutexSnapshot> load(const std::string& path, uint64_t* calls,
                                          uint64_t call_limit = UINT64_MAX, uint64_t* over_limit = nullptr,
                                          uint64_t* last_ns = nullptr) {
  auto reader = TraceReader::open(path);
  EXPECT_TRUE(reader.ok()) << reader.error().message;
  IngestWorker worker(std::move(*reader), 0, /*follow=*/false);
  worker.set_timeline_call_limit(call_limit);
  worker.set_wait_duration_limit(call_limit);  // as the window does
  worker.start(nullptr);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!worker.progress().done && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(worker.progress().done) << "the load did not finish";
  *calls = worker.progress().calls;
  worker.stop();  // joins: the final snapshot is published
  if (over_limit) *over_limit = worker.timeline().calls_over_limit();
  if (last_ns) *last_ns = worker.timeline().last_ns();
  return worker.futexes();
}

// Writes `n` waits of two threads on four futexes, 10 ns apart, in several chunks.
void write_waits(const std::string& path, uint64_t n, bool stop) {
  auto w = TraceWriter::create(path, TraceHeader{}, 4096);
  ASSERT_TRUE(w.ok()) << w.message();
  for (uint64_t i = 0; i < n; i++) {
    fxs_futex_rec r = wait_call(101 + i % 2, 0x7f0000001000 + (i % 4) * 4, 1000 + 10 * i, 1005 + 10 * i);
    ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
  }
  if (stop) {
    ASSERT_TRUE(w->append_stop(1000 + 10 * n).ok());
  }
  ASSERT_TRUE(w->close().ok());
}

// A recording cut short between two chunks reads without damage; the window
// must say so (Trace tab, status bar) instead of looking complete.
TEST(IngestWorker, SaysWhenTheStreamEndedWithoutTheStopRecord) {
  test::TempDir dir;
  const std::string cut = dir.path("cut.fxs"), clean = dir.path("clean.fxs");
  write_waits(cut, 500, false);
  write_waits(clean, 500, true);
  uint64_t calls = 0;
  auto s = load(cut, &calls);
  EXPECT_EQ(calls, 500u);
  EXPECT_EQ(s->events, 500u);
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_EQ(s->warnings[0], kNoStopRecordWarning);

  s = load(clean, &calls);
  EXPECT_EQ(calls, 500u);
  EXPECT_TRUE(s->warnings.empty()) << s->warnings[0];
}

// --memory-limit: a trace bigger than the timeline may hold opens on its
// first calls; the rest are counted (the status bar says how many), and the
// futex table still counts every call.
TEST(IngestWorker, ATimelineCallLimitKeepsTheFirstCallsAndCountsTheRest) {
  test::TempDir dir;
  const std::string path = dir.path("big.fxs");
  write_waits(path, 500, true);
  uint64_t calls = 0, over = 0, last_ns = 0;
  auto s = load(path, &calls, 120, &over, &last_ns);
  EXPECT_EQ(calls, 120u);
  EXPECT_EQ(over, 380u);
  EXPECT_EQ(last_ns, 1005u + 10 * 119) << "the first 120 calls, in file order";
  EXPECT_EQ(s->events, 500u);
  uint64_t waits = 0;
  for (const FutexStats& f : s->futexes) {
    waits += f.waits;
    EXPECT_TRUE(f.percentiles_estimated) << "past 120 durations, p50/p99 come from the histogram";
  }
  EXPECT_EQ(waits, 500u);
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_NE(s->warnings[0].find("more than 120 wait durations"), std::string::npos) << s->warnings[0];

  s = load(path, &calls, UINT64_MAX, &over);
  EXPECT_EQ(calls, 500u);
  EXPECT_EQ(over, 0u);
  for (const FutexStats& f : s->futexes) EXPECT_FALSE(f.percentiles_estimated);
  EXPECT_TRUE(s->warnings.empty());
}

// Several loader threads decompress chunks at once; the models must still see
// them in file order, and damage must be reported as a plain sequential read
// reports it. A few hundred small chunks with new futexes and threads
// appearing throughout, some damaged, against the models fed one chunk after
// another on this thread.
TEST(IngestWorker, LoaderThreadsApplyChunksInFileOrderAndReportDamageInOrder) {
  test::TempDir dir;
  const std::string path = dir.path("many.fxs");
  {
    auto w = TraceWriter::create(path, TraceHeader{}, 1024);
    ASSERT_TRUE(w.ok()) << w.message();
    for (uint64_t i = 0; i < 6000; i++) {
      uint64_t enter = 1000 + 10 * i;
      fxs_futex_rec r = wait_call(101 + (i / 13) % 40, 0x7f0000001000 + ((i * 7) / 11 % 300) * 4, enter,
                                  enter + 5 + i % 17);
      ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    }
    ASSERT_TRUE(w->append_stop(1000 + 10 * 6000).ok());
    ASSERT_TRUE(w->close().ok());
  }
  std::vector<char> bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::mt19937 rng(7);
  for (int k = 0; k < 12; k++) bytes[bytes.size() / 4 + rng() % (bytes.size() / 2)] ^= 0x5a;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  // In order, on this thread.
  TimelineModel want_timeline;
  FutexModel want_futexes;
  std::vector<std::string> want_warnings;
  {
    auto reader = TraceReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    std::vector<uint8_t> chunk;
    size_t chunks = 0;
    while (reader->next_chunk(chunk) == TraceReader::Next::kChunk) {
      want_timeline.add_records(chunk.data(), chunk.size());
      want_futexes.add_records(chunk.data(), chunk.size());
      chunks++;
    }
    want_warnings = reader->warnings();
    ASSERT_GT(chunks, 200u);
    ASSERT_GE(want_warnings.size(), 3u) << "the damage must hit several chunks";
  }

  for (int round = 0; round < 5; round++) {
    auto reader = TraceReader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    IngestWorker worker(std::move(*reader), 0, /*follow=*/false);
    worker.start(nullptr);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!worker.progress().done && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(worker.progress().done) << "the load did not finish";
    worker.stop();

    EXPECT_EQ(worker.reader_warnings(), want_warnings) << "round " << round;
    const TimelineModel& got = worker.timeline();
    ASSERT_EQ(got.calls(), want_timeline.calls());
    ASSERT_EQ(got.futexes().size(), want_timeline.futexes().size());
    for (size_t i = 0; i < got.futexes().size(); i++) {
      EXPECT_EQ(got.futexes()[i].uaddr, want_timeline.futexes()[i].uaddr) << "futex " << i << ", round " << round;
    }
    ASSERT_EQ(got.lanes().size(), want_timeline.lanes().size());
    for (size_t l = 0; l < got.lanes().size(); l++) {
      const TimelineLane &a = got.lanes()[l], &b = want_timeline.lanes()[l];
      ASSERT_EQ(a.tid, b.tid) << "lane " << l << ", round " << round;
      ASSERT_EQ(a.calls.size(), b.calls.size()) << "lane " << l;
      for (size_t c = 0; c < a.calls.size(); c++) {
        ASSERT_EQ(a.calls[c].enter_ns, b.calls[c].enter_ns) << "lane " << l << " call " << c;
        ASSERT_EQ(a.calls[c].futex, b.calls[c].futex) << "lane " << l << " call " << c;
      }
    }
    auto snap = worker.futexes();
    std::vector<FutexStats> want = want_futexes.finish();
    FutexModel::rank(want);
    ASSERT_EQ(snap->futexes.size(), want.size());
    for (size_t i = 0; i < want.size(); i++) {
      EXPECT_EQ(snap->futexes[i].uaddr, want[i].uaddr) << "rank " << i;
      EXPECT_EQ(snap->futexes[i].waits, want[i].waits) << "rank " << i;
      EXPECT_EQ(snap->futexes[i].wait_total_ns, want[i].wait_total_ns) << "rank " << i;
    }
  }
}

}  // namespace
}  // namespace fxs::ui
