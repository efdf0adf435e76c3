// The window's wake pairing (ui/ingest_worker.h: the pairing models fed in
// the loading pass, finished by ui/pairing_finisher.h). A trace that grows
// piece by piece (the 2-node recording in tests/data, written again with
// TraceWriter in four pieces, as a recorder appends) is followed live, and
// after every piece the pairing equals that of reading the whole file so
// far from the start (read_trace, as `report` reads it); a replay's equals the report's
// models; past its memory limit it is dropped and says why.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <nlohmann/json.hpp>

#include "replay/numa_report.h"
#include "replay/trace_models.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"
#include "replay/wake_model.h"
#include "ui/ingest_worker.h"

namespace fxs {
namespace {

uint64_t file_size(const std::string& path) {
  struct stat sb {};
  return ::stat(path.c_str(), &sb) == 0 ? uint64_t(sb.st_size) : 0;
}

// Waits (30 s at most) for `pred`.
template <class Pred>
bool wait_for(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A window's loader on `path` (follow: a growing file), started.
std::unique_ptr<ui::IngestWorker> open_worker(const std::string& path, bool follow, uint64_t pairing_limit = UINT64_MAX) {
  auto r = TraceReader::open(path);
  EXPECT_TRUE(r.ok()) << r.message();
  if (!r.ok()) return nullptr;
  auto w = std::make_unique<ui::IngestWorker>(std::move(r.value()), file_size(path), follow);
  w->set_pairing_limit(pairing_limit);
  w->start(nullptr);
  return w;
}

class GrowingTrace : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = TraceReader::open(std::string(FXS_TEST_DATA_DIR) + "/numa-2node.fxs");
    ASSERT_TRUE(r.ok()) << r.message();
    header_ = r->header();
    ASSERT_TRUE(r->for_each_record([&](const fxs_rec_hdr* h) {
                    const auto* p = reinterpret_cast<const uint8_t*>(h);
                    records_.emplace_back(p, p + h->size);
                  }).ok());
    ASSERT_GT(records_.size(), 1000u);
    char tmpl[] = "/tmp/fxs-numa-follow-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/growing.fxs";
    auto w = TraceWriter::create(path_, header_, 16 << 10);  // several chunks per piece
    ASSERT_TRUE(w.ok()) << w.message();
    writer_.emplace(std::move(w.value()));
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Appends the next quarter of the records and flushes them to the file.
  void append_piece(int piece) {
    size_t from = records_.size() * size_t(piece) / 4, to = records_.size() * size_t(piece + 1) / 4;
    for (size_t i = from; i < to; i++) ASSERT_TRUE(writer_->append(records_[i].data(), records_[i].size()).ok());
    ASSERT_TRUE(writer_->flush().ok());
  }
  nlohmann::json from_start() {
    auto r = read_trace(path_, {});
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? numa_json(r->numa) : nlohmann::json();
  }

  TraceHeader header_;
  std::vector<std::vector<uint8_t>> records_;
  std::string dir_, path_;
  std::optional<TraceWriter> writer_;
};


// Live: after each piece, a refresh pairs what the loader holds, and once the
// loader has read the piece that equals a read of the whole file from the start.
TEST_F(GrowingTrace, LivePairingEqualsAReadFromTheStartAfterEveryPiece) {
  auto worker = open_worker(path_, /*follow=*/true);
  ASSERT_TRUE(worker);
  uint64_t wakes_before = 0;
  for (int piece = 0; piece < 4; piece++) {
    append_piece(piece);
    const nlohmann::json want = from_start();
    std::shared_ptr<const ui::PairingSnapshot> snap;
    // The loader reads the piece in its own time: refresh until a pairing has it all.
    const bool matched = wait_for([&] {
      auto before = worker->pairing();
      worker->refresh_pairing();
      if (!wait_for([&] { return worker->pairing() != before; })) return true;  // no refresh came: fail below
      snap = worker->pairing();
      return numa_json(snap->report) == want;
    });
    ASSERT_TRUE(matched && snap) << "piece " << piece;
    ASSERT_EQ(numa_json(snap->report), want) << "piece " << piece;
    EXPECT_FALSE(snap->complete) << "a live pairing is of what was there then";
    EXPECT_GT(snap->report.wakes, wakes_before) << "each piece adds wakes: the comparison is not of empty reports";
    wakes_before = snap->report.wakes;
  }
  // The end of the stream: the whole pairing, complete, equals the stored recording's own.
  worker->finish_following();
  ASSERT_TRUE(wait_for([&] { return worker->progress().done && !worker->pairing_pending(); }));
  auto snap = worker->pairing();
  ASSERT_TRUE(snap);
  EXPECT_TRUE(snap->complete);
  auto whole = read_trace(std::string(FXS_TEST_DATA_DIR) + "/numa-2node.fxs", {});
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(numa_json(snap->report), numa_json(whole->numa));
}

// The futex panel's "Woken by" comes from the same pass (NumaSnapshot::wakes):
// after each piece, live and from the start, it equals a WakeModel given
// every record so far, futex by futex.
void expect_same_wakes(const WakesByFutex& got, const WakesByFutex& want, int piece) {
  ASSERT_EQ(got.size(), want.size()) << "piece " << piece;
  for (const auto& [key, w] : want) {
    auto it = got.find(key);
    ASSERT_NE(it, got.end()) << "piece " << piece;
    const FutexWakes& g = it->second;
    ASSERT_EQ(g.wakers.size(), w.wakers.size());
    for (size_t i = 0; i < w.wakers.size(); i++) {
      EXPECT_EQ(g.wakers[i].waker_tid, w.wakers[i].waker_tid);
      EXPECT_EQ(g.wakers[i].waiter_tid, w.wakers[i].waiter_tid);
      EXPECT_EQ(g.wakers[i].count, w.wakers[i].count);
    }
    EXPECT_EQ(g.by_futex_wake, w.by_futex_wake);
    EXPECT_EQ(g.by_timeout, w.by_timeout);
    EXPECT_EQ(g.by_signal, w.by_signal);
    EXPECT_EQ(g.by_thread_exit, w.by_thread_exit);
    EXPECT_EQ(g.by_other, w.by_other);
    EXPECT_EQ(g.herd_sizes, w.herd_sizes);
    EXPECT_EQ(g.empty_wakes, w.empty_wakes);
    EXPECT_EQ(g.latency_p99_ns, w.latency_p99_ns);
  }
}

TEST_F(GrowingTrace, ReplayPairingGivesEveryFutexsWakersAsTheReportsModelDoes) {
  for (int piece = 0; piece < 4; piece++) append_piece(piece);
  ASSERT_TRUE(writer_->close().ok());
  WakeModel model;
  for (const auto& r : records_) model.add(reinterpret_cast<const fxs_rec_hdr*>(r.data()));
  model.finish();
  const WakesByFutex want = model.results();
  uint64_t edges = 0;
  for (const auto& [key, w] : want)
    for (const WakeEdge& e : w.wakers) edges += e.count;
  EXPECT_GT(edges, 100u) << "the recording's waits were woken by wake calls";

  auto worker = open_worker(path_, /*follow=*/false);
  ASSERT_TRUE(worker);
  ASSERT_TRUE(wait_for([&] { return worker->progress().done && !worker->pairing_pending(); }));
  auto snap = worker->pairing();
  ASSERT_TRUE(snap) << worker->pairing_missing();
  EXPECT_TRUE(snap->complete);
  expect_same_wakes(snap->wakes, want, 4);
  EXPECT_EQ(numa_json(snap->report), from_start());
  EXPECT_EQ(snap->attributed.size(), edges) << "one arrow per thread a wake call woke";
}

TEST_F(GrowingTrace, PairingPastItsMemoryLimitIsDroppedAndSaysWhy) {
  for (int piece = 0; piece < 4; piece++) append_piece(piece);
  ASSERT_TRUE(writer_->close().ok());
  auto worker = open_worker(path_, /*follow=*/false, /*pairing_limit=*/100 * ui::kPairingBytesPerRecord);
  ASSERT_TRUE(worker);
  ASSERT_TRUE(wait_for([&] { return worker->progress().done && !worker->pairing_pending(); }));
  EXPECT_EQ(worker->pairing(), nullptr);
  EXPECT_NE(worker->pairing_missing().find("memory limit"), std::string::npos) << worker->pairing_missing();
  EXPECT_GT(worker->futexes()->events, 100u) << "the rest of the trace was loaded";
}

}  // namespace
}  // namespace fxs
