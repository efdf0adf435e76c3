// The timeline's wake arrows (ui/wake_arrows.h): the export's pairing rule,
// found by the woken wait's lane and call index.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "replay/timeline_model.h"
#include "ui/wake_arrows.h"

namespace fxs::ui {
namespace {

constexpr uint64_t kA = 0x7f0000001000;

void add(TimelineModel& m, uint32_t tid, uint8_t opi, uint64_t enter, uint64_t exit, int32_t ret) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.tgid = 40;
  r.tid = tid;
  r.uaddr = kA;
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.ret = ret;
  r.opi = opi;
  m.add_records(reinterpret_cast<const uint8_t*>(&r), sizeof r);
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
  WakeArrows arrows;
  EXPECT_TRUE(arrows.into(0, 0, 10).empty());  // not built yet
  arrows.start(tl);
  for (int i = 0; i < 5000 && !arrows.ready(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(arrows.ready());
  EXPECT_EQ(arrows.size(), 2u);
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

}  // namespace
}  // namespace fxs::ui
