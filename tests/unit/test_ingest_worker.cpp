// The window's loader (ui/ingest_worker) on synthetic traces: no window needed.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "bpf/trace_abi.h"
#include "replay/trace_writer.h"
#include "ui/ingest_worker.h"

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
  char dir[] = "/tmp/fxs-ingest-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string cut = std::string(dir) + "/cut.fxs", clean = std::string(dir) + "/clean.fxs";
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
  std::remove(cut.c_str());
  std::remove(clean.c_str());
  rmdir(dir);
}

// --memory-limit: a trace bigger than the timeline may hold opens on its
// first calls; the rest are counted (the status bar says how many), and the
// futex table still counts every call.
TEST(IngestWorker, ATimelineCallLimitKeepsTheFirstCallsAndCountsTheRest) {
  char dir[] = "/tmp/fxs-ingest-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/big.fxs";
  write_waits(path, 500, true);
  uint64_t calls = 0, over = 0, last_ns = 0;
  auto s = load(path, &calls, 120, &over, &last_ns);
  EXPECT_EQ(calls, 120u);
  EXPECT_EQ(over, 380u);
  EXPECT_EQ(last_ns, 1005u + 10 * 119) << "the first 120 calls, in file order";
  EXPECT_EQ(s->events, 500u);
  uint64_t waits = 0;
  for (const FutexStats& f : s->futexes) waits += f.waits;
  EXPECT_EQ(waits, 500u);

  s = load(path, &calls, UINT64_MAX, &over);
  EXPECT_EQ(calls, 500u);
  EXPECT_EQ(over, 0u);
  std::remove(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace fxs::ui
