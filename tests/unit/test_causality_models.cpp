// SplitModel and FutileModel on hand-made records: pairing, ordering checks,
// percentiles, and the futile-wakeup rule.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include <climits>

#include "replay/futile_model.h"
#include "replay/holder_model.h"
#include "replay/kind_model.h"
#include "replay/split_model.h"

namespace {

fxs_futex_rec call(uint32_t tid, uint64_t enter, uint64_t exit, uint8_t opi, int32_t ret, uint64_t uaddr) {
  fxs_futex_rec r;
  std::memset(&r, 0, sizeof(r));
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.tgid = 100;
  r.tid = tid;
  r.uaddr = uaddr;
  r.opi = opi;
  r.ret = ret;
  return r;
}

fxs_wait_split_rec split(uint32_t tid, uint64_t wait_enter, uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3,
                         uint16_t sleeps = 1) {
  fxs_wait_split_rec s;
  std::memset(&s, 0, sizeof(s));
  s.hdr = {FXS_REC_WAIT_SPLIT, sizeof(s), 0};
  s.wait_enter_ns = wait_enter;
  s.sleep_ns = t0;
  s.waking_ns = t1;
  s.wakeup_ns = t2;
  s.run_ns = t3;
  s.tgid = 100;
  s.tid = tid;
  s.sleeps = sleeps;
  return s;
}

template <class M, class R>
void add(M& m, const R& r) {
  m.add(&r.hdr);
}

TEST(SplitModel, PairsEachSleepWithItsWaitAndSplitsTheTime) {
  fxs::SplitModel m;
  constexpr uint64_t kA = 0x1000;
  // Split records first: they come from other CPUs' rings, in any order.
  add(m, split(7, 100, 110, 150, 160, 200));
  add(m, call(7, 100, 230, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, call(8, 300, 700, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, split(8, 300, 310, 400, 420, 500, 1));
  add(m, split(8, 300, 310, 600, 640, 690, 2));  // a second sleep: this one wins
  add(m, split(9, 900, 910, 0, 950, 960));      // no waking seen
  add(m, call(9, 900, 970, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, split(10, 1000, 1010, 1005, 1020, 1030));  // waking before switch-out: disordered
  add(m, call(10, 1000, 1040, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, split(11, 2000, 2010, 2020, 2030, 2040));  // its wait is not in the trace
  m.finish();
  const fxs::WaitSplit* s = m.find(100, kA);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->samples, 4u);
  EXPECT_EQ(s->incomplete, 1u);
  EXPECT_EQ(s->disordered, 1u);
  EXPECT_EQ(s->multi_sleep, 1u);
  EXPECT_EQ(m.unpaired(), 1u);
  // Two ordered waits: waiting {40, 290}, wake_to_run {50, 90}, runqueue {40, 50}, exit {30, 10}.
  EXPECT_EQ(s->waiting.p50, 40u);
  EXPECT_EQ(s->waiting.max, 290u);
  EXPECT_EQ(s->wake_to_run.p50, 50u);
  EXPECT_EQ(s->wake_to_run.p99, 90u);
  EXPECT_EQ(s->runqueue.max, 50u);
  EXPECT_EQ(s->exit.p50, 10u);
  EXPECT_EQ(s->exit.max, 30u);
}

TEST(FutileModel, AWokenWaitFollowedByAWaitOnTheSameFutexIsFutile) {
  fxs::FutileModel m;
  constexpr uint64_t kA = 0x1000, kB = 0x2000;
  // tid 1: woken, waits again on A (futile), woken, then wakes A (it got the lock).
  add(m, call(1, 10, 20, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, call(1, 30, 40, FXS_OP_FUTEX_WAIT, -11, kA));  // EAGAIN still counts as going back
  add(m, call(1, 50, 60, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, call(1, 70, 80, FXS_OP_FUTEX_WAKE, 1, kA));
  // tid 2: woken on A, next call is on B: not futile; woken on B, then nothing.
  add(m, call(2, 15, 25, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, call(2, 35, 45, FXS_OP_FUTEX_WAIT, 0, kB));
  // tid 3: timed out on A, then waits again: not a wakeup at all. Out of order on purpose.
  add(m, call(3, 300, 310, FXS_OP_FUTEX_WAIT, 0, kA));
  add(m, call(3, 100, 200, FXS_OP_FUTEX_WAIT, -110, kA));
  m.finish();
  const fxs::FutileWakes* a = m.find(100, kA);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->woken_waits, 4u);
  EXPECT_EQ(a->futile, 1u);
  const fxs::FutileWakes* b = m.find(100, kB);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->woken_waits, 1u);
  EXPECT_EQ(b->futile, 0u);
}

// Thousands of calls of two threads on two words, every few swapped with a
// neighbour up to 40 calls away (a migrated thread's later call arriving
// first), count exactly what sorting each thread's calls and walking them counts.
TEST(FutileModel, ThousandsOfCallsArrivingSlightlyOutOfOrderCountAsIfSorted) {
  constexpr uint64_t kA = 0x1000, kB = 0x2000;
  std::vector<fxs_futex_rec> calls;
  uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  for (uint32_t tid : {1u, 2u})
    for (uint64_t i = 0; i < 5000; i++) {
      const uint64_t uaddr = rnd() % 3 ? kA : kB;
      const int32_t ret = rnd() % 2 ? 0 : -11;
      const uint8_t op = rnd() % 5 ? FXS_OP_FUTEX_WAIT : FXS_OP_FUTEX_WAKE;
      calls.push_back(call(tid, 1000 + i * 10, 1005 + i * 10, op, ret, uaddr));
    }
  // Brute force, in time order per thread.
  std::map<uint64_t, fxs::FutileWakes> want;
  for (size_t i = 0; i < calls.size(); i++) {
    const fxs_futex_rec& c = calls[i];
    if (c.opi == FXS_OP_FUTEX_WAKE || c.ret != 0) continue;
    want[c.uaddr].woken_waits++;
    if (i + 1 < calls.size() && calls[i + 1].tid == c.tid && calls[i + 1].opi == FXS_OP_FUTEX_WAIT &&
        calls[i + 1].uaddr == c.uaddr)
      want[c.uaddr].futile++;
  }
  std::vector<fxs_futex_rec> arrival = calls;
  for (size_t i = 0; i + 40 < arrival.size(); i += 7) std::swap(arrival[i], arrival[i + 1 + rnd() % 40]);
  fxs::FutileModel m;
  for (const auto& c : arrival) add(m, c);
  m.finish();
  for (uint64_t uaddr : {kA, kB}) {
    const fxs::FutileWakes* f = m.find(100, uaddr);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->woken_waits, want[uaddr].woken_waits) << uaddr;
    EXPECT_EQ(f->futile, want[uaddr].futile) << uaddr;
    EXPECT_GT(f->futile, 100u) << "the sequence has futile wakeups to count";
  }

}

}  // namespace

namespace {

fxs::FutexCounts ops(std::initializer_list<std::pair<unsigned, uint64_t>> list) {
  fxs::FutexCounts c;
  for (auto [op, n] : list) c.ops[op] = n;
  return c;
}

TEST(KindModel, GlibcEntryPointNearestTheWaitDecides) {
  fxs::FutexKind k;
  ASSERT_TRUE(fxs::kind_from_frames({"__GI___lll_lock_wait+0x2b", "[libstdc++.so.6.0.30+0xd44a3]"}, &k));
  EXPECT_EQ(k, fxs::FutexKind::kMutex);
  // A condvar wait re-taking its mutex waits on the mutex word.
  ASSERT_TRUE(fxs::kind_from_frames({"__lll_lock_wait+0x2b", "__pthread_mutex_cond_lock+0x10",
                                     "___pthread_cond_wait+0x1f0"}, &k));
  EXPECT_EQ(k, fxs::FutexKind::kMutex);
  ASSERT_TRUE(fxs::kind_from_frames({"__futex_abstimed_wait_common+0xc6", "___pthread_cond_wait@@GLIBC_2.3.2+0x1f0"}, &k));
  EXPECT_EQ(k, fxs::FutexKind::kCondvar);
  ASSERT_TRUE(fxs::kind_from_frames({"__futex_abstimed_wait_common+0xc6", "__pthread_rwlock_rdlock_full64+0x90"}, &k));
  EXPECT_EQ(k, fxs::FutexKind::kRwlock);
  ASSERT_TRUE(fxs::kind_from_frames({"futex_wait+0x10", "pthread_barrier_wait+0x60", "main+0x20"}, &k));
  EXPECT_EQ(k, fxs::FutexKind::kBarrier);
  ASSERT_TRUE(fxs::kind_from_frames({"__futex_abstimed_wait_common+0xc6", "__new_sem_wait_slow64+0x80"}, &k));
  EXPECT_EQ(k, fxs::FutexKind::kOther);
  ASSERT_TRUE(fxs::kind_from_frames({"__futex_abstimed_wait_common+0xc6", "__pthread_clockjoin_ex+0x133",
                                     "std::thread::join()+0x17"}, &k));
  EXPECT_EQ(k, fxs::FutexKind::kJoin);
  EXPECT_FALSE(fxs::kind_from_frames({"__futex_abstimed_wait_common+0xc6", "main+0x10", "0x7f00"}, &k));
}

TEST(KindModel, ValuesBitsetsAndWakeCountsRefineTheOpCounts) {
  fxs::KindModel m;
  fxs::FutexModel futexes;  // assigns the futex indexes
  auto rec = [&](uint32_t tid, uint64_t uaddr, uint8_t opi, uint64_t val, uint32_t val3 = 0) {
    fxs_futex_rec r = call(tid, 10, 20, opi, 0, uaddr);
    r.val = val;
    r.val3 = val3;
    m.add(&r.hdr, futexes.add(&r.hdr));
  };
  // A lock word: waits expect 2, wakes release one.
  for (int i = 0; i < 5; i++) rec(1, 0x100, FXS_OP_FUTEX_WAIT, 2);
  for (int i = 0; i < 5; i++) rec(2, 0x100, FXS_OP_FUTEX_WAKE, 1);
  // A sequence word (glibc condvar): MATCH_ANY bitset waits on moving values, signal and broadcast.
  for (uint64_t v = 0; v < 8; v += 2) rec(1, 0x200, FXS_OP_FUTEX_WAIT_BITSET, v, 0xffffffffu);
  rec(2, 0x200, FXS_OP_FUTEX_WAKE, 1);
  rec(2, 0x200, FXS_OP_FUTEX_WAKE, INT_MAX);
  // A barrier: moving values, every wake releases all.
  for (uint64_t v = 1; v < 5; v++) rec(1, 0x300, FXS_OP_FUTEX_WAIT, v);
  rec(2, 0x300, FXS_OP_FUTEX_WAKE, INT_MAX);
  // One MATCH_ANY bitset wait expecting 1234, no thread of which is in the trace: not known as a join.
  rec(1, 0x400, FXS_OP_FUTEX_WAIT_BITSET, 1234, 0xffffffffu);
  // pthread_join of thread 3 (which made calls): the wait expects its tid, only the kernel wakes the word.
  rec(1, 0x600, FXS_OP_FUTEX_WAIT_BITSET, 3, 0xffffffffu);
  rec(3, 0x700, FXS_OP_FUTEX_WAKE, 1);
  // A semaphore-like word: waits expect 0, wakes release one.
  for (int i = 0; i < 3; i++) rec(1, 0x500, FXS_OP_FUTEX_WAIT, 0);
  rec(2, 0x500, FXS_OP_FUTEX_WAKE, 1);

  auto kind = [&](uint64_t uaddr, const fxs::FutexCounts& c) {
    fxs::FutexStats s;
    static_cast<fxs::FutexCounts&>(s) = c;
    s.tgid = 100;
    s.uaddr = uaddr;
    s.kind = fxs::classify(c);
    return m.kind(s, futexes.index_of(s.tgid, uaddr), nullptr);
  };
  EXPECT_EQ(kind(0x100, ops({{FXS_OP_FUTEX_WAIT, 5}, {FXS_OP_FUTEX_WAKE, 5}})), fxs::FutexKind::kMutex);
  EXPECT_EQ(kind(0x200, ops({{FXS_OP_FUTEX_WAIT_BITSET, 4}, {FXS_OP_FUTEX_WAKE, 2}})), fxs::FutexKind::kCondvar);
  EXPECT_EQ(kind(0x300, ops({{FXS_OP_FUTEX_WAIT, 4}, {FXS_OP_FUTEX_WAKE, 1}})), fxs::FutexKind::kBarrier);
  EXPECT_EQ(kind(0x400, ops({{FXS_OP_FUTEX_WAIT_BITSET, 1}})), fxs::FutexKind::kOther);
  EXPECT_EQ(kind(0x500, ops({{FXS_OP_FUTEX_WAIT, 3}, {FXS_OP_FUTEX_WAKE, 1}})), fxs::FutexKind::kOther);
  EXPECT_EQ(kind(0x600, ops({{FXS_OP_FUTEX_WAIT_BITSET, 1}})), fxs::FutexKind::kJoin);
  // No call recorded (a --summary trace): the op counts decide.
  EXPECT_EQ(kind(0x999, ops({{FXS_OP_FUTEX_WAIT, 5}, {FXS_OP_FUTEX_WAKE, 5}})), fxs::FutexKind::kMutex);
  // PI operations always win.
  fxs::KindEvidence e;
  e.stack_votes[size_t(fxs::FutexKind::kCondvar)] = 3;
  EXPECT_EQ(fxs::refine_kind(ops({{FXS_OP_FUTEX_LOCK_PI, 1}}), e), fxs::FutexKind::kPiMutex);
  // Stacks beat values.
  e.values = {2};
  e.plain_waits = 1;
  e.wake_one = 1;
  EXPECT_EQ(fxs::refine_kind(ops({{FXS_OP_FUTEX_WAIT, 1}, {FXS_OP_FUTEX_WAKE, 1}}), e), fxs::FutexKind::kCondvar);
}

}  // namespace

namespace {

// A waiter sleeps from 100 to 200; the thread that woke it was on a CPU from
// 90 to 120, runnable (preempted) to 130, running to 140, blocked to 170,
// woken at 170, running again from 180.
TEST(HolderModel, ChargesTheHoldersStatesOverTheSleep) {
  fxs::HolderModel m;
  constexpr uint64_t kA = 0x1000;
  fxs_wait_split_rec s = split(7, 50, 100, 200, 210, 220);
  s.uaddr = kA;
  m.add(&s.hdr);
  fxs_wake_rec w;
  std::memset(&w, 0, sizeof(w));
  w.hdr = {FXS_REC_WAKE, sizeof(w), 0};
  w.ts_ns = 200;
  w.waker_tgid = w.wakee_tgid = 100;
  w.waker_tid = 8;
  w.wakee_tid = 7;
  w.waker_uaddr = w.wakee_uaddr = kA;
  w.wait_enter_ns = 50;
  w.waker_opi = FXS_OP_FUTEX_WAKE;
  w.wakee_opi = FXS_OP_FUTEX_WAIT;
  m.add(&w.hdr);
  auto sw = [&](uint64_t ts, uint32_t prev, uint32_t next, uint32_t state, uint8_t flags) {
    fxs_switch_rec r;
    std::memset(&r, 0, sizeof(r));
    r.hdr = {FXS_REC_SWITCH, sizeof(r), 0};
    r.ts_ns = ts;
    r.prev_tid = prev;
    r.next_tid = next;
    r.prev_state = state;
    r.flags = flags;
    m.add(&r.hdr);
  };
  sw(90, 0, 8, 0, FXS_SWITCH_NEXT_TRACED);
  sw(120, 8, 9, 0, FXS_SWITCH_PREV_TRACED | FXS_SWITCH_PREEMPT);
  sw(130, 9, 8, 0, FXS_SWITCH_NEXT_TRACED);
  sw(140, 8, 0, 1, FXS_SWITCH_PREV_TRACED);
  fxs_wakeup_rec u;
  std::memset(&u, 0, sizeof(u));
  u.hdr = {FXS_REC_WAKEUP, sizeof(u), 0};
  u.ts_ns = 170;
  u.tid = 8;
  m.add(&u.hdr);
  sw(180, 0, 8, 0, FXS_SWITCH_NEXT_TRACED);
  m.finish();
  const std::vector<fxs::HolderTime>* v = m.find(100, kA);
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->size(), 1u);
  const fxs::HolderTime& h = (*v)[0];
  EXPECT_EQ(h.holder_tid, 8u);
  EXPECT_EQ(h.waits, 1u);
  EXPECT_EQ(h.wait_ns, 100u);
  EXPECT_EQ(h.on_cpu_ns, 20u + 10u + 20u);  // 100-120, 130-140, 180-200
  EXPECT_EQ(h.runnable_ns, 10u + 10u);      // 120-130, 170-180
  EXPECT_EQ(h.blocked_ns, 30u);             // 140-170
  EXPECT_EQ(h.unknown_ns, 0u);
}

}  // namespace

namespace {

// A wait with a sleeping switch-out between its enter and exit but no split
// record (its switch-in never came) still counts as a wait that slept.
TEST(SplitModel, AWaitWhoseSwitchInNeverCameCountsFromItsSwitchOut) {
  fxs::SplitModel m;
  constexpr uint64_t kA = 0x1000;
  auto sw = [&](uint64_t ts, uint32_t prev, uint32_t state, uint8_t flags) {
    fxs_switch_rec r;
    std::memset(&r, 0, sizeof(r));
    r.hdr = {FXS_REC_SWITCH, sizeof(r), 0};
    r.ts_ns = ts;
    r.prev_tid = prev;
    r.prev_state = state;
    r.flags = flags;
    m.add(&r.hdr);
  };
  add(m, call(7, 100, 300, FXS_OP_FUTEX_WAIT, 0, kA));
  sw(150, 7, 1, FXS_SWITCH_PREV_TRACED);                       // slept inside: counted
  add(m, call(7, 400, 500, FXS_OP_FUTEX_WAIT, 0, kA));
  sw(450, 7, 0, FXS_SWITCH_PREV_TRACED | FXS_SWITCH_PREEMPT);  // preempted: not a sleep
  add(m, call(7, 600, 700, FXS_OP_FUTEX_WAIT, -11, kA));
  sw(750, 7, 1, FXS_SWITCH_PREV_TRACED);                       // after it: not its sleep
  m.finish();
  const fxs::WaitSplit* s = m.find(100, kA);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->samples, 1u);
  EXPECT_EQ(s->incomplete, 1u);
  EXPECT_EQ(s->no_switch_in, 1u);
}

}  // namespace
