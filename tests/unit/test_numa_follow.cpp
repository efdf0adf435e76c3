// replay/numa_follow.h and ui/numa_loader.h's live mode: a trace that grows
// piece by piece (the 2-node recording in tests/data, written again with
// TraceWriter in four pieces, as a recorder appends) is read incrementally,
// and after every piece the report equals that of reading the whole file so
// far from the start (numa_report_from_file).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "replay/numa_follow.h"
#include "replay/numa_report.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"
#include "replay/wake_model.h"
#include "ui/numa_loader.h"

namespace fxs {
namespace {

uint64_t file_size(const std::string& path) {
  struct stat sb {};
  return ::stat(path.c_str(), &sb) == 0 ? uint64_t(sb.st_size) : 0;
}

// The loader's snapshot once its request is done (nullptr if it did not finish in 30 s).
std::shared_ptr<const ui::NumaSnapshot> finished(const ui::NumaLoader& loader) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (loader.busy() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return loader.busy() ? nullptr : loader.snapshot();
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
    auto r = numa_report_from_file(path_);
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? numa_json(*r) : nlohmann::json();
  }

  TraceHeader header_;
  std::vector<std::vector<uint8_t>> records_;
  std::string dir_, path_;
  std::optional<TraceWriter> writer_;
};

TEST_F(GrowingTrace, FollowerReadsOnlyWhatWasAppendedAndEqualsAReadFromTheStart) {
  auto f = NumaFollower::open(path_, /*follow=*/true);
  ASSERT_TRUE(f.ok()) << f.message();
  uint64_t wakes_before = 0;
  for (int piece = 0; piece < 4; piece++) {
    append_piece(piece);
    uint64_t had = f->bytes_read();
    ASSERT_TRUE(f->update().ok());
    // Everything appended and nothing more: the reader went on from `had`.
    EXPECT_EQ(f->bytes_read(), file_size(path_)) << "piece " << piece;
    EXPECT_GT(f->bytes_read(), had);
    NumaReport r = f->report();
    EXPECT_EQ(numa_json(r), from_start()) << "piece " << piece;
    EXPECT_GT(r.wakes, wakes_before) << "each piece adds wakes: the comparison is not of empty reports";
    wakes_before = r.wakes;
    ASSERT_TRUE(f->update().ok()) << "nothing new: reads nothing";
    EXPECT_EQ(numa_json(f->report()), numa_json(r)) << "a report does not consume the models";
  }
  // All of it: the stored recording's own report.
  auto whole = numa_report_from_file(std::string(FXS_TEST_DATA_DIR) + "/numa-2node.fxs");
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(numa_json(f->report()), numa_json(*whole));
  EXPECT_EQ(numa_json(std::move(f.value()).finish()), numa_json(*whole));
}

TEST_F(GrowingTrace, FollowerStopsWhenCancelled) {
  append_piece(0);
  auto f = NumaFollower::open(path_, /*follow=*/true);
  ASSERT_TRUE(f.ok());
  Status s = f->update([] { return false; });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cancelled"), std::string::npos) << s.message();
  EXPECT_FALSE(NumaFollower::open(dir_ + "/missing.fxs", true).ok());
}

// The window's loader in live mode keeps its follower between requests.
TEST_F(GrowingTrace, LiveLoaderReadsOnFromTheLastRequest) {
  ui::NumaLoader loader;
  uint64_t size_before = 0;
  for (int piece = 0; piece < 4; piece++) {
    append_piece(piece);
    const uint64_t size = file_size(path_);
    loader.request(path_, uint64_t(piece + 1), /*follow=*/true);
    auto snap = finished(loader);
    ASSERT_TRUE(snap && snap->ok) << (snap ? snap->error : "no snapshot");
    EXPECT_EQ(snap->generation, uint64_t(piece + 1));
    EXPECT_EQ(snap->bytes_read, size - size_before) << "piece " << piece << ": only what was appended";
    size_before = size;
    EXPECT_EQ(numa_json(snap->report), from_start()) << "piece " << piece;
  }
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

TEST_F(GrowingTrace, LoaderGivesEveryFutexsWakersAsTheReportsModelDoes) {
  ui::NumaLoader live;
  uint64_t edges = 0;
  for (int piece = 0; piece < 4; piece++) {
    append_piece(piece);
    WakeModel model;
    for (size_t i = 0; i < records_.size() * size_t(piece + 1) / 4; i++)
      model.add(reinterpret_cast<const fxs_rec_hdr*>(records_[i].data()));
    model.finish();
    const WakesByFutex want = model.results();
    for (bool follow : {true, false}) {
      ui::NumaLoader once;
      ui::NumaLoader& loader = follow ? live : once;
      loader.request(path_, uint64_t(piece + 1), follow);
      auto snap = finished(loader);
      ASSERT_TRUE(snap && snap->ok) << (snap ? snap->error : "no snapshot");
      expect_same_wakes(snap->wakes, want, piece);
    }
    edges = 0;
    for (const auto& [key, w] : want)
      for (const WakeEdge& e : w.wakers) edges += e.count;
  }
  EXPECT_GT(edges, 100u) << "the recording's waits were woken by wake calls";
}

}  // namespace
}  // namespace fxs
