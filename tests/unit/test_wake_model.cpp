// WakeModel: what ended each wait. A wait that timed out or was interrupted
// ended so even when no wake record names it (the timer or signal came
// before the waiter slept): the VM tests' 6.1 kernel showed it for
// futex_waitv, where the report said 1 of 2 timeouts.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "common/wake_record.h"
#include "replay/futex_ops.h"
#include "replay/wake_model.h"

namespace fxs {
namespace {

constexpr uint32_t kPid = 50;
constexpr uint64_t kA = 0x1000, kB = 0x2000;

fxs_futex_rec wait_rec(uint32_t tid, uint8_t opi, uint64_t uaddr, int32_t ret, uint64_t enter, uint64_t exit) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.tgid = kPid;
  r.tid = tid;
  r.uaddr = uaddr;
  r.ret = ret;
  r.opi = opi;
  r.syscall = opi == FXS_OP_FUTEX2_WAITV ? FXS_SC_FUTEX_WAITV : FXS_SC_FUTEX;
  r.enter_ns = enter;
  r.exit_ns = exit;
  return r;
}

// futex_waitv on `uaddrs`, returning `ret`.
void add_waitv(WakeModel& m, uint32_t tid, const std::vector<uint64_t>& uaddrs, int32_t ret, uint64_t enter,
               uint64_t exit) {
  fxs_futex_rec r = wait_rec(tid, FXS_OP_FUTEX2_WAITV, uaddrs[0], ret, enter, exit);
  r.nr_uaddrs = uint8_t(uaddrs.size());
  r.hdr.size = uint16_t(sizeof(r) + 8 * uaddrs.size());
  std::vector<uint64_t> buf(r.hdr.size / 8);
  std::memcpy(buf.data(), &r, sizeof(r));
  std::memcpy(buf.data() + sizeof(r) / 8, uaddrs.data(), 8 * uaddrs.size());
  m.add(reinterpret_cast<const fxs_rec_hdr*>(buf.data()));
}

// The timer's sched_waking of a futex_waitv waiter: no waker call, no address.
void add_timer_wake(WakeModel& m, uint32_t tid, uint64_t wait_enter, uint64_t ts) {
  fxs_wake_rec w =
      test::wake_record({.tgid = kPid, .wakee = tid, .waker_opi = FXS_OP_NONE, .wait_enter = wait_enter, .ts = ts});
  w.waker_tgid = 0;  // no thread woke it
  m.add(&w.hdr);
}

TEST(WakeModel, TimeoutsAndSignalsCountWithoutAWakeRecord) {
  WakeModel m;
  // Two futex_waitv timeouts on {A, B}: one woken by its timer, one whose
  // timer fired before it slept (no wake record).
  add_waitv(m, 7, {kA, kB}, kRetETIMEDOUT, 1000, 2000);
  add_timer_wake(m, 7, 1000, 1990);
  add_waitv(m, 7, {kA, kB}, kRetETIMEDOUT, 3000, 3100);
  // A FUTEX_WAIT on A interrupted by a signal, no wake record.
  fxs_futex_rec r = wait_rec(8, FXS_OP_FUTEX_WAIT, kA, -4 /* EINTR */, 5000, 5100);
  m.add(&r.hdr);
  m.finish();
  for (uint64_t uaddr : {kA, kB}) {
    const FutexWakes* w = m.find(kPid, uaddr);
    ASSERT_NE(w, nullptr) << uaddr;
    EXPECT_EQ(w->by_timeout, 2u) << "both timeouts of the waitv, on " << uaddr;
  }
  EXPECT_EQ(m.find(kPid, kA)->by_signal, 1u);
  EXPECT_EQ(m.find(kPid, kB)->by_signal, 0u);
}

// A wake call (FUTEX_WAKE unless said) by `waker` at `ts` that woke `wakee`'s
// wait (FUTEX_WAIT unless said) entered at `wait_enter`, on `uaddr`.
void add_futex_wake(WakeModel& m, uint32_t waker, uint32_t wakee, uint64_t uaddr, uint64_t wait_enter, uint64_t ts,
                    uint8_t waker_opi = FXS_OP_FUTEX_WAKE, uint8_t wakee_opi = FXS_OP_FUTEX_WAIT) {
  fxs_wake_rec w = test::wake_record({.tgid = kPid, .waker = waker, .wakee = wakee, .waker_opi = waker_opi,
                                      .wakee_opi = wakee_opi, .waker_uaddr = uaddr, .wakee_uaddr = uaddr,
                                      .wait_enter = wait_enter, .ts = ts});
  m.add(&w.hdr);
}

// FUTEX_UNLOCK_PI hands the lock to the waiter it wakes: that wait was
// ended by its unlocker (a waker edge, contended time), not by "other".
TEST(WakeModel, UnlockPiIsTheWakerOfTheLockPiWaitItHandsTheLockTo) {
  WakeModel m;
  fxs_futex_rec wait = wait_rec(2, FXS_OP_FUTEX_LOCK_PI, kA, 0, 1000, 5000);
  m.add(&wait.hdr);
  add_futex_wake(m, 1, 2, kA, 1000, 4000, FXS_OP_FUTEX_UNLOCK_PI, FXS_OP_FUTEX_LOCK_PI);
  m.finish();
  const FutexWakes* f = m.find(kPid, kA);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->by_pi_handoff, 1u);
  EXPECT_EQ(f->by_futex_wake, 0u);
  EXPECT_EQ(f->by_other, 0u);
  ASSERT_EQ(f->wakers.size(), 1u);
  EXPECT_EQ(f->wakers[0].waker_tid, 1u);
  EXPECT_EQ(f->wakers[0].waiter_tid, 2u);
  EXPECT_EQ(f->contended_wait_ns, 4000u);
}

void add_exit(WakeModel& m, uint32_t tid, uint64_t ts) {
  fxs_thread_exit_rec e{};
  e.hdr = {FXS_REC_THREAD_EXIT, sizeof(e), 0};
  e.ts_ns = ts;
  e.tgid = kPid;
  e.tid = tid;
  m.add(&e.hdr);
}

// A word whose every wait was woken by a thread that exited right after
// (Python's Thread.join waits on such a lock) is a join by another name:
// not contention. A lock that some threads last release as they end stays
// contention, all of it.
TEST(WakeModel, AWaitReleasedByAThreadAsItExitsIsNotContention) {
  WakeModel m;
  // A: thread 1 waits 1 s; thread 2 wakes it and exits 1 ms later.
  fxs_futex_rec join = wait_rec(1, FXS_OP_FUTEX_WAIT, kA, 0, 1'000'000, 1'001'000'000);
  m.add(&join.hdr);
  add_futex_wake(m, 2, 1, kA, 1'000'000, 1'000'900'000);
  add_exit(m, 2, 1'001'900'000);
  // B: two waits of 1 ms; the first woken by thread 3, which exits 1 ms
  // later, the second by thread 4, which lives on (its exit 10 s later is
  // no release at exit).
  fxs_futex_rec b1 = wait_rec(5, FXS_OP_FUTEX_WAIT, kB, 0, 2'000'000'000, 2'001'000'000);
  fxs_futex_rec b2 = wait_rec(6, FXS_OP_FUTEX_WAIT, kB, 0, 3'000'000'000, 3'001'000'000);
  m.add(&b1.hdr);
  m.add(&b2.hdr);
  add_futex_wake(m, 3, 5, kB, 2'000'000'000, 2'000'990'000);
  add_exit(m, 3, 2'001'990'000);
  add_futex_wake(m, 4, 6, kB, 3'000'000'000, 3'000'990'000);
  add_exit(m, 4, 13'000'000'000);
  m.finish();
  const FutexWakes* a = m.find(kPid, kA);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->by_futex_wake, 1u);
  EXPECT_EQ(a->released_at_exit, 1u);
  EXPECT_TRUE(a->join_like());
  EXPECT_EQ(a->contended_wait_ns, 0u);
  ASSERT_EQ(a->wakers.size(), 1u);  // still its waker's edge
  const FutexWakes* b = m.find(kPid, kB);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->by_futex_wake, 2u);
  EXPECT_EQ(b->released_at_exit, 1u);
  EXPECT_FALSE(b->join_like());
  EXPECT_EQ(b->contended_wait_ns, 2'000'000u);
}

}  // namespace
}  // namespace fxs
