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

// Loads `path` as the replay window does and returns the final snapshot.
std::shared_ptr<const FutexSnapshot> load(const std::string& path, uint64_t* calls) {
  auto reader = TraceReader::open(path);
  EXPECT_TRUE(reader.ok()) << reader.error().message;
  IngestWorker worker(std::move(*reader), 0, /*follow=*/false);
  worker.start(nullptr);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!worker.progress().done && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(worker.progress().done) << "the load did not finish";
  *calls = worker.progress().calls;
  worker.stop();  // joins: the final snapshot is published
  return worker.futexes();
}

// A recording cut short between two chunks reads without damage; the window
// must say so (Trace tab, status bar) instead of looking complete.
TEST(IngestWorker, SaysWhenTheStreamEndedWithoutTheStopRecord) {
  char dir[] = "/tmp/fxs-ingest-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string cut = std::string(dir) + "/cut.fxs", clean = std::string(dir) + "/clean.fxs";
  for (const std::string& path : {cut, clean}) {
    auto w = TraceWriter::create(path, TraceHeader{}, 4096);  // several chunks
    ASSERT_TRUE(w.ok()) << w.message();
    for (uint64_t i = 0; i < 500; i++) {
      fxs_futex_rec r = wait_call(101 + i % 2, 0x7f0000001000 + (i % 4) * 4, 1000 + 10 * i, 1005 + 10 * i);
      ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    }
    if (path == clean) {
      ASSERT_TRUE(w->append_stop(7000).ok());
    }
    ASSERT_TRUE(w->close().ok());
  }
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

}  // namespace
}  // namespace fxs::ui
