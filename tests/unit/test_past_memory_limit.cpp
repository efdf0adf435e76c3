// A report, a window or an export that stops reading at its memory limit
// (replay/memory_budget.h) still shows the recording's final loss counters:
// the recorder writes them last, and what is shown must never count fewer
// losses than the recording had.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "common/temp_dir.h"
#include "replay/chrome_export.h"
#include "replay/memory_budget.h"
#include "replay/report.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"
#include "ui/ingest_worker.h"

namespace fxs {
namespace {

class PastTheMemoryLimit : public ::testing::Test {
 protected:
  static constexpr uint64_t kFutexes = 400000;
  static constexpr uint64_t kDropped = 7;

  // Many distinct futexes (each costs the models memory), then the final
  // counters and the clean end, as a recorder writes them.
  void SetUp() override {
    path_ = dir_.path("big.fxs");
    auto w = TraceWriter::create(path_, TraceHeader{});
    ASSERT_TRUE(w.ok()) << w.message();
    for (uint64_t i = 0; i < kFutexes; i++) {
      fxs_futex_rec r{};
      r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
      r.enter_ns = 1000 + i * 10;
      r.exit_ns = r.enter_ns + 5;
      r.tgid = 7;
      r.tid = 7;
      r.uaddr = 0x100000 + i * 64;
      r.opi = FXS_OP_FUTEX_WAKE;
      r.syscall = FXS_SC_FUTEX;
      r.ustack_id = -1;
      ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    }
    fxs_loss_rec loss{};
    loss.hdr = {FXS_REC_LOSS, sizeof(loss), 0};
    loss.ts_ns = 1000 + kFutexes * 10;
    loss.counters[FXS_CNT_RINGBUF_DROP] = kDropped;
    ASSERT_TRUE(w->append(&loss, sizeof(loss)).ok());
    ASSERT_TRUE(w->append_stop(loss.ts_ns + 1).ok());
    ASSERT_TRUE(w->close().ok());
  }
  // Reading stops once the heap grows 8 MiB past what it is now (half the limit).
  static uint64_t limit() { return 2 * (MemoryBudget::heap_in_use() + (uint64_t{8} << 20)); }

  test::TempDir dir_;
  std::string path_;
};

TEST_F(PastTheMemoryLimit, TheReportShowsTheRecordingsFinalLossCounters) {
  ReportOptions opts;
  opts.format = ReportOptions::Format::kJson;
  opts.top = 1;
  opts.memory_limit = limit();
  std::ostringstream out, warnings;
  ASSERT_TRUE(write_report(path_, opts, out, warnings).ok());
  ASSERT_NE(warnings.str().find("memory limit"), std::string::npos) << "the limit was not reached: " << warnings.str();
  EXPECT_EQ(warnings.str().find("no stop record"), std::string::npos) << "the clean end was read: " << warnings.str();
  const nlohmann::json report = nlohmann::json::parse(out.str());
  EXPECT_LT(report["events"].get<uint64_t>(), kFutexes) << "the models stopped early";
  EXPECT_EQ(report["counters"]["ringbuf_drop"].get<uint64_t>(), kDropped);
  EXPECT_EQ(report["lost"].get<uint64_t>(), kDropped);
}

TEST_F(PastTheMemoryLimit, TheWindowShowsTheRecordingsFinalLossCounters) {
  auto reader = TraceReader::open(path_);
  ASSERT_TRUE(reader.ok()) << reader.message();
  ui::IngestWorker window(std::move(reader.value()), 0, /*follow=*/false);
  window.set_heap_limit(limit());
  window.start(nullptr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!window.progress().done && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(window.progress().done);
  std::string warnings;
  for (const std::string& w : window.reader_warnings()) warnings += w + "\n";
  ASSERT_NE(warnings.find("memory limit"), std::string::npos) << "the limit was not reached: " << warnings;
  auto snap = window.futexes();
  ASSERT_TRUE(snap);
  EXPECT_LT(snap->futexes.size(), kFutexes) << "the models stopped early";
  EXPECT_EQ(snap->counters[FXS_CNT_RINGBUF_DROP], kDropped);
  EXPECT_TRUE(snap->has_loss_record);
  std::lock_guard lk(window.timeline_mutex());
  EXPECT_EQ(window.timeline().lost(), kDropped);
}

TEST_F(PastTheMemoryLimit, TheExportShowsTheRecordingsFinalLossCount) {
  std::ostringstream out;
  std::vector<std::string> warnings;
  auto st = export_chrome(path_, out, warnings, limit());
  ASSERT_TRUE(st.ok()) << st.message();
  std::string said;
  for (const std::string& w : warnings) said += w + "\n";
  ASSERT_NE(said.find("memory limit"), std::string::npos) << "the limit was not reached: " << said;
  EXPECT_EQ(said.find("no stop record"), std::string::npos) << "the clean end was read: " << said;
  EXPECT_LT(st->calls, kFutexes) << "the export stopped early";
  const nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["otherData"]["lost_events"].get<uint64_t>(), kDropped);
}

}  // namespace
}  // namespace fxs
