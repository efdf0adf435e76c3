// The timeline's wake arrows (ui/wake_arrows.h): exact from the wake
// attributions, or the pairing rule by time, found by the woken wait's lane
// and call index.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "replay/timeline_model.h"
#include "ui/wake_arrows.h"

namespace fxs::ui {
namespace {

constexpr uint64_t kA = 0x7f0000001000;

void add(TimelineModel& m, uint32_t tid, uint8_t opi, uint64_t enter, uint64_t exit, int32_t ret,
         uint64_t uaddr = kA) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.tgid = 40;
  r.tid = tid;
  r.uaddr = uaddr;
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.ret = ret;
  r.opi = opi;
  m.add_records(reinterpret_cast<const uint8_t*>(&r), sizeof r);
}

// A herd, exactly: one FUTEX_WAKE (tid 42) woke tids 41, 43 and 44; tid 45's
// call woke 46, whose wait returned first. By time there would be two arrows,
// the first of them to tid 46; from the attributions, four, each right, and
// the selection's partner comes from them in both directions.
TEST(WakeArrows, FromTheAttributionsAHerdHasAnArrowPerWaiter) {
  TimelineModel tl;
  add(tl, 46, FXS_OP_FUTEX_WAIT, 100, 2100, 0);
  add(tl, 41, FXS_OP_FUTEX_WAIT, 110, 3000, 0);
  add(tl, 43, FXS_OP_FUTEX_WAIT, 120, 3100, 0);
  add(tl, 44, FXS_OP_FUTEX_WAIT, 130, 3200, 0);
  add(tl, 42, FXS_OP_FUTEX_WAKE, 2000, 2500, 3);
  add(tl, 45, FXS_OP_FUTEX_WAKE, 2030, 2060, 1);
  auto attributed = std::make_shared<std::vector<WakeAttribution>>(std::vector<WakeAttribution>{
      {40, 42, 40, 41, 2010, 110}, {40, 42, 40, 43, 2020, 120}, {40, 42, 40, 44, 2000, 130},
      {40, 45, 40, 46, 2040, 100}, {40, 45, 40, 99, 2040, 100} /* a thread the timeline lacks */});
  uint64_t unplaced = 0;
  EXPECT_EQ(exact_wake_flows(tl, *attributed, &unplaced).size(), 4u);
  EXPECT_EQ(unplaced, 1u);
  WakeArrows built;
  built.start(tl, attributed);
  EXPECT_TRUE(built.exact());
  for (int i = 0; i < 5000 && !built.ready(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(built.ready());
  EXPECT_EQ(built.size(), 4u);
  const ArrowIndex& arrows = *built.index();
  auto waker_of = [&](uint32_t tid) {
    const size_t lane = tl.find_lane(40, tid);
    auto in = arrows.into(lane, 0, tl.lanes()[lane].calls.size());
    EXPECT_EQ(in.size(), 1u) << "tid " << tid;
    return in.empty() ? 0u : tl.lanes()[in[0].wake_lane].tid;
  };
  EXPECT_EQ(waker_of(41), 42u);
  EXPECT_EQ(waker_of(43), 42u);
  EXPECT_EQ(waker_of(44), 42u);
  EXPECT_EQ(waker_of(46), 45u);
  size_t wait_lane = SIZE_MAX, wait_call = SIZE_MAX;
  ASSERT_TRUE(arrows.out_of(tl.find_lane(40, 45), 0, wait_lane, wait_call));
  EXPECT_EQ(tl.lanes()[wait_lane].tid, 46u);
  EXPECT_EQ(wait_call, 0u);
  EXPECT_FALSE(arrows.out_of(tl.find_lane(40, 41), 0, wait_lane, wait_call)) << "a wait wakes nobody";
  // By time: one arrow per wake call.
  EXPECT_EQ(pair_wakes(tl).size(), 2u);
}

TEST(WakeArrows, EveryWokenWaitFindsItsWakeByLaneAndCall) {
  TimelineModel tl;
  // Lane 0 (tid 41): waits woken by tid 42's wakes; the third wait timed out.
  add(tl, 41, FXS_OP_FUTEX_WAIT, 1000, 1800, 0);
  add(tl, 42, FXS_OP_FUTEX_WAKE, 1600, 1620, 1);
  add(tl, 41, FXS_OP_FUTEX_WAIT, 2000, 2800, 0);
  add(tl, 42, FXS_OP_FUTEX_WAKE, 2500, 2510, 1);
  add(tl, 41, FXS_OP_FUTEX_WAIT, 3000, 3500, -110);  // ETIMEDOUT: nobody woke it
  add(tl, 42, FXS_OP_FUTEX_WAKE, 4000, 4010, 0);     // woke nobody: no arrow
  WakeArrows built;
  EXPECT_EQ(built.index(), nullptr);  // not built yet
  built.start(tl);
  for (int i = 0; i < 5000 && !built.ready(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(built.ready());
  EXPECT_EQ(built.size(), 2u);
  const ArrowIndex& arrows = *built.index();
  auto all = arrows.into(0, 0, 3);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].wait_call, 0u);
  EXPECT_EQ(all[0].wake_lane, 1u);
  EXPECT_EQ(all[0].wake_call, 0u);
  EXPECT_EQ(all[1].wait_call, 1u);
  EXPECT_EQ(all[1].wake_call, 1u);
  // Only the calls asked for; none into the waker's lane.
  auto second = arrows.into(0, 1, 2);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].wait_call, 1u);
  EXPECT_TRUE(arrows.into(0, 2, 3).empty());
  EXPECT_TRUE(arrows.into(1, 0, 3).empty());
  EXPECT_TRUE(arrows.into(7, 0, 3).empty());  // no such lane
}

// Ping-pong on three futexes: on each, a wait is woken 100-400 us before it
// returns, and the next wake on that futex comes after it returned (so a
// wait's wake is within 1 ms before its exit, and wakes do not queue up).
TimelineModel ping_pong_on_three_futexes() {
  TimelineModel tl;
  std::mt19937 rng(3);
  for (uint64_t k = 0; k < 3000; k++) {
    const uint64_t fx = k % 3, t = 1'000'000 + k * 700'000 + rng() % 50'000;
    const uint32_t waiter = uint32_t(10 + fx * 2 + k % 2), waker = uint32_t(11 + fx * 2 - k % 2);
    const uint64_t lat = 100'000 + rng() % 300'000;
    const bool woken = rng() % 8 != 0;  // some time out; their wake woke nobody
    add(tl, waiter, FXS_OP_FUTEX_WAIT, t, t + 500'000, woken ? 0 : -110, kA + fx * 4);
    add(tl, waker, FXS_OP_FUTEX_WAKE, t + 500'000 - lat, t + 500'000 - lat + 5'000, woken ? 1 : 0, kA + fx * 4);
  }
  return tl;
}

using Flow = std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>;  // wait lane, wait call, wake lane, wake call

// A live view pairs only the calls around what it shows; away from the start
// of that range, the arrows are those of the whole trace.
TEST(WakeArrows, PairingATimeRangeGivesTheWholeTracesArrowsPastItsStart) {
  TimelineModel tl = ping_pong_on_three_futexes();
  std::vector<WakeFlow> all = pair_wakes(tl);
  ASSERT_GT(all.size(), 2000u);
  for (uint64_t from : {0ull, 7'777'777ull, 300'000'000ull, 1'500'000'000ull}) {
    const uint64_t to = from + 400'000'000;
    std::vector<WakeFlow> part;
    ASSERT_TRUE(pair_wakes_between(tl, from, to, SIZE_MAX, part));
    // Compared: waits returning from 1 ms after `from` until `to`.
    auto shown = [&](const WakeFlow& f) {
      uint64_t exit = tl.lanes()[f.wait_lane].calls[f.wait_call].exit_ns();
      return exit >= from + 1'000'000 && exit < to;
    };
    std::vector<Flow> want, got;
    for (const WakeFlow& f : all)
      if (shown(f)) want.emplace_back(f.wait_lane, f.wait_call, f.wake_lane, f.wake_call);
    for (const WakeFlow& f : part)
      if (shown(f)) got.emplace_back(f.wait_lane, f.wait_call, f.wake_lane, f.wake_call);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_GT(want.size(), 400u) << "from " << from;
    EXPECT_EQ(got, want) << "from " << from;
  }
  std::vector<WakeFlow> part;
  EXPECT_FALSE(pair_wakes_between(tl, 0, UINT64_MAX, 1000, part)) << "6000 calls, at most 1000 asked";
  EXPECT_TRUE(part.empty());
}

// Live: the arrows follow the view and the growing data.
TEST(WakeArrows, LiveArrowsArePairedAgainWhenTheViewOrTheDataChanges) {
  TimelineModel tl;
  add(tl, 41, FXS_OP_FUTEX_WAIT, 1000, 1800, 0);
  add(tl, 42, FXS_OP_FUTEX_WAKE, 1600, 1620, 1);
  LiveWakeArrows live;
  const ArrowIndex* a = live.update(tl, 0, 3000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->size(), 1u);
  EXPECT_EQ(a->into(0, 0, 1).size(), 1u);
  add(tl, 41, FXS_OP_FUTEX_WAIT, 2000, 2800, 0);
  add(tl, 42, FXS_OP_FUTEX_WAKE, 2500, 2510, 1);
  a = live.update(tl, 0, 3000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->size(), 2u) << "new calls came in";
  a = live.update(tl, 100'000, 110'000);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->size(), 0u) << "nothing around that range";
  for (uint64_t k = 0; k < LiveWakeArrows::kMaxCalls; k++) add(tl, 43, FXS_OP_FUTEX_WAKE, 3000 + k, 3000 + k, 0);
  EXPECT_EQ(live.update(tl, 0, 3000 + LiveWakeArrows::kMaxCalls), nullptr) << "too many calls around the view";
}

}  // namespace
}  // namespace fxs::ui
