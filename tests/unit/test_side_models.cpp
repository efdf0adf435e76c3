// ui/side_models.h without a window: one chunk of records of every kind the
// window's side models take, as the loader hands it over. Checks the routing
// (a futex record's stack is found without copying the record; rseq aborts
// and UMCG records extend the time the window shows) against the fixture.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ui/side_models.h"

namespace fxs::ui {
namespace {

template <typename T>
void put(std::vector<uint8_t>& chunk, const T& rec) {
  const auto* p = reinterpret_cast<const uint8_t*>(&rec);
  chunk.insert(chunk.end(), p, p + sizeof(T));
}

fxs_futex_rec wait_rec(uint64_t enter, uint64_t exit, int32_t stack) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.tgid = 10;
  r.tid = 11;
  r.uaddr = 0x1000;
  r.opi = FXS_OP_FUTEX_WAIT;
  r.ustack_id = stack;
  return r;
}

TEST(SideModels, RoutesStacksRseqAndUmcgAndExtendsTheTraceExtent) {
  std::vector<uint8_t> chunk;
  put(chunk, wait_rec(1000, 5000, 3));   // 4000 ns with stack 3
  put(chunk, wait_rec(6000, 7000, -1));  // no stack
  put(chunk, wait_rec(8000, 9500, 3));   // 1500 ns more
  {
    const char names[] = "inner+0x1\0outer+0x2\0";
    fxs_stack_rec s{};
    size_t total = (sizeof s + 2 * 8 + sizeof names - 1 + 7) & ~size_t(7);
    s.hdr = {FXS_REC_STACK, uint16_t(total), 0};
    s.tgid = 10;
    s.stack_id = 3;
    s.nframes = 2;
    std::vector<uint8_t> b(total, 0);
    std::memcpy(b.data(), &s, sizeof s);
    std::memcpy(b.data() + sizeof s + 16, names, sizeof names - 1);
    chunk.insert(chunk.end(), b.begin(), b.end());
  }
  fxs_rseq_abort_rec a{};
  a.hdr = {FXS_REC_RSEQ_ABORT, sizeof(a), 0};
  a.ts_ns = 500;  // before the first futex call
  a.tgid = 10;
  a.tid = 12;
  a.start_ip = 0x4000;
  a.cause = FXS_RSEQ_CAUSE_SIGNAL;
  put(chunk, a);
  fxs_umcg_rec u{};
  u.hdr = {FXS_REC_UMCG, sizeof(u), 0};
  u.ts_ns = 20000;  // after the last
  u.tgid = 10;
  u.tid = 13;
  u.state = FXS_UMCG_TASK_RUNNING;
  u.task_read = 1;
  put(chunk, u);

  SideModels side;
  EXPECT_GT(side.first_ns(), side.last_ns()) << "nothing yet";
  side.add_records(chunk.data(), chunk.size());
  // Views read the published reports.
  EXPECT_FALSE(side.rseq().captured);
  side.prepare();
  EXPECT_FALSE(side.rseq().captured) << "built, not yet published";
  EXPECT_TRUE(side.umcg()->lanes.empty());
  side.publish();
  EXPECT_EQ(side.generation(), 1u);

  auto top = side.stacks().top_stacks(10, 0x1000, 5);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].waits, 2u);
  EXPECT_EQ(top[0].wait_ns, 5500u);
  EXPECT_EQ(top[0].frames, (std::vector<std::string>{"inner+0x1", "outer+0x2"}));

  EXPECT_TRUE(side.rseq().captured);
  EXPECT_EQ(side.rseq().aborts, 1u);
  EXPECT_EQ(side.rseq_times().count(RseqAbortTimes::kAll, FXS_RSEQ_CAUSE_SIGNAL, 0, 1000), 1u);
  auto lanes = side.umcg();
  ASSERT_EQ(lanes->lanes.size(), 1u);
  EXPECT_EQ(lanes->lanes[0].tid, 13u);
  // A view keeps drawing the lanes it took while newer ones are published.
  side.prepare(/*final=*/true);
  side.publish();
  EXPECT_TRUE(side.rseq().captured) << "a publish keeps the last report";
  EXPECT_EQ(side.umcg(), lanes) << "nothing new: the same lanes";
  side.add_records(chunk.data(), chunk.size());
  side.prepare(/*final=*/true);
  side.publish();
  EXPECT_NE(side.umcg(), lanes) << "new UMCG records: new lanes";
  EXPECT_EQ(lanes->lanes.size(), 1u) << "the old ones are untouched";
  EXPECT_EQ(side.rseq().aborts, 2u);

  EXPECT_EQ(side.first_ns(), 500u);
  EXPECT_EQ(side.last_ns(), 20000u);
  TimelineModel tl;
  tl.add_records(chunk.data(), chunk.size());
  TraceExtent e = trace_extent(tl, side);
  EXPECT_EQ(e.first_ns, 500u);
  EXPECT_EQ(e.last_ns, 20000u);
  TraceExtent only_calls = trace_extent(tl, SideModels{});
  EXPECT_EQ(only_calls.first_ns, 1000u);
  EXPECT_EQ(only_calls.last_ns, 9500u);
  TraceExtent none = trace_extent(TimelineModel{}, SideModels{});
  EXPECT_EQ(none.first_ns, 0u);
  EXPECT_EQ(none.last_ns, 0u);
}

// A sampled stack (FXS_REC_STACK_WEIGHT) stands for the waits it was sampled
// from: they add to its waits and time, to the futex's coverage, and are
// counted as sampled; a weight naming no stack is ignored.
TEST(SideModels, ASampledStackStandsForTheWaitsOfItsWeight) {
  std::vector<uint8_t> chunk;
  put(chunk, wait_rec(1000, 1200, 3));  // the sampled wait itself: 200 ns
  fxs_stack_weight_rec w{};
  w.hdr = {FXS_REC_STACK_WEIGHT, sizeof(w), 0};
  w.tgid = 10;
  w.tid = 11;
  w.uaddr = 0x1000;
  w.ustack_id = 3;
  w.waits = 15;
  w.wait_ns = 2700;
  put(chunk, w);
  w.ustack_id = -1;  // no stack: nothing to weigh
  put(chunk, w);
  put(chunk, wait_rec(2000, 2100, -1));  // the thread's tail after its last sample: no stack stands for it
  SideModels side;
  side.add_records(chunk.data(), chunk.size());
  auto top = side.stacks().top_stacks(10, 0x1000, 5);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].waits, 16u);
  EXPECT_EQ(top[0].wait_ns, 2900u);
  const StackWait c = side.stacks().coverage(10, 0x1000);
  EXPECT_EQ(c.waits, 16u);
  EXPECT_EQ(c.wait_ns, 2900u);
  EXPECT_EQ(side.stacks().sampled_waits(10, 0x1000), 15u);
  EXPECT_TRUE(side.stacks().sampled());
}

}  // namespace
}  // namespace fxs::ui
