// A report that stops reading at its memory limit (replay/memory_budget.h)
// still shows the recording's final loss counters: the recorder writes them
// last, and a report must never show fewer losses than the recording had.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/temp_dir.h"
#include "replay/memory_budget.h"
#include "replay/report.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

TEST(ReportPastItsMemoryLimit, ShowsTheRecordingsFinalLossCounters) {
  test::TempDir dir;
  const std::string path = dir.path("big.fxs");
  TraceHeader header;
  auto w = TraceWriter::create(path, header);
  ASSERT_TRUE(w.ok()) << w.message();
  // Many distinct futexes (each costs the models memory), then the final counters and the clean end.
  constexpr uint64_t kFutexes = 400000;
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
  loss.counters[FXS_CNT_RINGBUF_DROP] = 7;
  ASSERT_TRUE(w->append(&loss, sizeof(loss)).ok());
  ASSERT_TRUE(w->append_stop(loss.ts_ns + 1).ok());
  ASSERT_TRUE(w->close().ok());

  ReportOptions opts;
  opts.format = ReportOptions::Format::kJson;
  opts.top = 1;
  // Reading stops once the heap grows 8 MiB past what it is now (half the limit).
  opts.memory_limit = 2 * (MemoryBudget::heap_in_use() + (uint64_t{8} << 20));
  std::ostringstream out, warnings;
  ASSERT_TRUE(write_report(path, opts, out, warnings).ok());
  ASSERT_NE(warnings.str().find("memory limit"), std::string::npos) << "the limit was not reached: " << warnings.str();
  EXPECT_EQ(warnings.str().find("no stop record"), std::string::npos) << "the clean end was read: " << warnings.str();
  const nlohmann::json report = nlohmann::json::parse(out.str());
  EXPECT_LT(report["events"].get<uint64_t>(), kFutexes) << "the models stopped early";
  EXPECT_EQ(report["counters"]["ringbuf_drop"].get<uint64_t>(), 7u);
  EXPECT_EQ(report["lost"].get<uint64_t>(), 7u);
}

}  // namespace
}  // namespace fxs
