// The in-memory model (replay/futex_model.h) and the report built from it
// (replay/report.h). Records are built in memory; every expected number is
// derived by hand in the test from the counting rules in docs/report-json.md.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "replay/futex_model.h"
#include "replay/report.h"
#include "replay/trace_writer.h"
#include "common/temp_dir.h"

namespace fxs {
namespace {

constexpr uint32_t kPid = 100;
constexpr uint64_t kA = 0x7f0000001000, kB = 0x7f0000002000, kC = 0x7f0000003000;

// One futex-family call. Defaults: pid 100, tid 101, no timestamps.
fxs_futex_rec call(uint8_t opi, uint64_t uaddr, int32_t ret) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.tgid = kPid;
  r.tid = 101;
  r.uaddr = uaddr;
  r.ret = ret;
  r.opi = opi;
  if (opi <= FXS_OP_FUTEX_LOCK_PI2) {
    r.syscall = FXS_SC_FUTEX;
    r.op = opi | FXS_FUTEX_PRIVATE_FLAG;
  } else {
    r.syscall = opi == FXS_OP_FUTEX2_WAITV  ? FXS_SC_FUTEX_WAITV
                : opi == FXS_OP_FUTEX2_WAIT ? FXS_SC_FUTEX_WAIT
                : opi == FXS_OP_FUTEX2_WAKE ? FXS_SC_FUTEX_WAKE
                                            : FXS_SC_FUTEX_REQUEUE;
    r.op = 0x82;
  }
  return r;
}

fxs_futex_rec timed(fxs_futex_rec r, uint64_t enter, uint64_t exit) {
  r.enter_ns = enter;
  r.exit_ns = exit;
  return r;
}

void add(FutexModel& m, const fxs_futex_rec& r) { m.add(&r.hdr); }

// futex_waitv naming `uaddrs`, returning `ret`.
void add_waitv(FutexModel& m, const std::vector<uint64_t>& uaddrs, int32_t ret,
               uint64_t enter = 0, uint64_t exit = 0) {
  fxs_futex_rec r = timed(call(FXS_OP_FUTEX2_WAITV, uaddrs.empty() ? 0 : uaddrs[0], ret), enter,
                          exit);
  r.val = uaddrs.size();
  r.nr_uaddrs = static_cast<uint8_t>(uaddrs.size());
  r.hdr.size = static_cast<uint16_t>(sizeof(r) + 8 * uaddrs.size());
  std::vector<uint64_t> buf(r.hdr.size / 8);
  std::memcpy(buf.data(), &r, sizeof(r));
  std::copy(uaddrs.begin(), uaddrs.end(), buf.begin() + sizeof(r) / 8);
  m.add(reinterpret_cast<const fxs_rec_hdr*>(buf.data()));
}

void add_task(FutexModel& m, uint32_t tgid, uint32_t tid, const char* comm, const char* pcomm,
              uint64_t ts = 0) {
  fxs_task_rec t{};
  t.hdr = {FXS_REC_TASK, sizeof(t), 0};
  t.ts_ns = ts;
  t.tgid = tgid;
  t.tid = tid;
  // A name may fill all 16 bytes, without a NUL.
  std::memcpy(t.comm, comm, std::min(std::strlen(comm), size_t{FXS_COMM_LEN}));
  std::memcpy(t.pcomm, pcomm, std::min(std::strlen(pcomm), size_t{FXS_COMM_LEN}));
  m.add(&t.hdr);
}

fxs_agg_rec agg(uint32_t tgid, uint64_t uaddr, uint64_t ts) {
  fxs_agg_rec a{};
  a.hdr = {FXS_REC_AGG, sizeof(a), 0};
  a.ts_ns = ts;
  a.key.tgid = tgid;
  a.key.uaddr = uaddr;
  return a;
}

const FutexStats* find(const std::vector<FutexStats>& v, uint64_t uaddr, uint32_t tgid = kPid) {
  for (const FutexStats& s : v)
    if (s.uaddr == uaddr && s.tgid == tgid) return &s;
  return nullptr;
}

// finish() and find one futex, failing the test if it is missing.
FutexStats get(FutexModel& m, uint64_t uaddr, uint32_t tgid = kPid) {
  std::vector<FutexStats> v = m.finish();
  const FutexStats* s = find(v, uaddr, tgid);
  EXPECT_NE(s, nullptr) << std::hex << uaddr;
  return s ? *s : FutexStats{};
}

uint64_t nonzero_ops(const FutexStats& s) {
  uint64_t n = 0;
  for (uint64_t o : s.ops) n += o != 0;
  return n;
}

// ---- wait-type calls ------------------------------------------------------

TEST(FutexModel, WaitOutcomes) {
  FutexModel m;
  for (int32_t ret : {0, -11, -11, -110, -4, -512, -513, -514, -516, -22, -14})
    add(m, call(FXS_OP_FUTEX_WAIT, kA, ret));
  FutexStats s = get(m, kA);
  EXPECT_EQ(s.ops[FXS_OP_FUTEX_WAIT], 11u);
  EXPECT_EQ(nonzero_ops(s), 1u);
  // queued: 0, -110, and the five interrupted codes = 7; EINVAL/EFAULT are not waits.
  EXPECT_EQ(s.waits, 7u);
  EXPECT_EQ(s.eagain, 2u);
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.interrupted, 5u);
  EXPECT_EQ(s.woken, 0u);
  EXPECT_EQ(s.requeued, 0u);
  EXPECT_EQ(m.events(), 11u);
  EXPECT_EQ(m.futex_records(), 11u);
}

TEST(FutexModel, EveryWaitTypeOpCountsWaits) {
  FutexModel m;
  const uint8_t waits[] = {FXS_OP_FUTEX_WAIT, FXS_OP_FUTEX_WAIT_BITSET, FXS_OP_FUTEX_WAIT_REQUEUE_PI,
                           FXS_OP_FUTEX_LOCK_PI, FXS_OP_FUTEX_LOCK_PI2, FXS_OP_FUTEX2_WAIT};
  for (uint8_t opi : waits) {
    add(m, call(opi, 0x1000 + opi * 64, 0));
    add(m, call(opi, 0x1000 + opi * 64, -110));
    add(m, call(opi, 0x1000 + opi * 64, -11));
  }
  // Not wait-type: these return 0 or errors without counting waits.
  const uint8_t others[] = {FXS_OP_FUTEX_TRYLOCK_PI, FXS_OP_FUTEX_UNLOCK_PI, FXS_OP_FUTEX_FD,
                            FXS_OP_UNKNOWN};
  for (uint8_t opi : others) {
    add(m, call(opi, 0x1000 + opi * 64, 0));
    add(m, call(opi, 0x1000 + opi * 64, -11));
    add(m, call(opi, 0x1000 + opi * 64, -4));
  }
  std::vector<FutexStats> v = m.finish();
  ASSERT_EQ(v.size(), std::size(waits) + std::size(others));
  for (uint8_t opi : waits) {
    const FutexStats* s = find(v, 0x1000 + opi * 64);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->ops[opi], 3u) << op_name(opi);
    EXPECT_EQ(s->waits, 2u) << op_name(opi);
    EXPECT_EQ(s->timeouts, 1u) << op_name(opi);
    EXPECT_EQ(s->eagain, 1u) << op_name(opi);
  }
  for (uint8_t opi : others) {
    const FutexStats* s = find(v, 0x1000 + opi * 64);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->ops[opi], 3u) << op_name(opi);
    EXPECT_EQ(s->waits + s->eagain + s->interrupted + s->woken, 0u) << op_name(opi);
  }
}

TEST(FutexModel, OutOfRangeOpIndexCountsAsUnknown) {
  FutexModel m;
  fxs_futex_rec r = call(FXS_OP_FUTEX_WAIT, kA, 0);
  r.opi = 200;
  add(m, r);
  FutexStats s = get(m, kA);
  EXPECT_EQ(s.ops[FXS_OP_UNKNOWN], 1u);
  EXPECT_EQ(s.waits, 0u);
}

// ---- wake and requeue -------------------------------------------------------

TEST(FutexModel, WakeTypeCountsWokenOnPrimaryOnly) {
  FutexModel m;
  add(m, call(FXS_OP_FUTEX_WAKE, kA, 3));
  add(m, call(FXS_OP_FUTEX_WAKE, kA, 0));
  add(m, call(FXS_OP_FUTEX_WAKE, kA, -22));
  add(m, call(FXS_OP_FUTEX_WAKE_BITSET, kA, 2));
  add(m, call(FXS_OP_FUTEX2_WAKE, kA, 1));
  fxs_futex_rec op = call(FXS_OP_FUTEX_WAKE_OP, kA, 5);  // 5 = woken on A + woken on B
  op.uaddr2 = kB;
  add(m, op);
  FutexStats a = get(m, kA), b = get(m, kB);
  EXPECT_EQ(a.woken, 3u + 2u + 1u + 5u);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX_WAKE], 3u);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX_WAKE_BITSET], 1u);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX2_WAKE], 1u);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX_WAKE_OP], 1u);
  EXPECT_EQ(a.waits, 0u);
  // The second address only counts the op.
  EXPECT_EQ(b.ops[FXS_OP_FUTEX_WAKE_OP], 1u);
  EXPECT_EQ(nonzero_ops(b), 1u);
  EXPECT_EQ(b.woken, 0u);
  EXPECT_EQ(m.events(), 6u);
}

TEST(FutexModel, RequeueSplitsWokenAndRequeued) {
  FutexModel m;
  // CMP_REQUEUE nr_wake 1: ret 5 = 1 woken + 4 requeued.
  fxs_futex_rec r = call(FXS_OP_FUTEX_CMP_REQUEUE, kA, 5);
  r.val = 1;
  r.val2 = 100;
  r.uaddr2 = kB;
  add(m, r);
  // REQUEUE nr_wake 10: ret 3 = 3 woken + 0 requeued.
  r = call(FXS_OP_FUTEX_REQUEUE, kA, 3);
  r.val = 10;
  r.uaddr2 = kB;
  add(m, r);
  // CMP_REQUEUE nr_wake 0: ret 2 = 0 woken + 2 requeued.
  r = call(FXS_OP_FUTEX_CMP_REQUEUE, kA, 2);
  r.val = 0;
  r.uaddr2 = kB;
  add(m, r);
  // Failures and zero returns change nothing but the op counts.
  r = call(FXS_OP_FUTEX_CMP_REQUEUE, kA, -11);
  r.val = 1;
  r.uaddr2 = kB;
  add(m, r);
  r = call(FXS_OP_FUTEX_CMP_REQUEUE, kA, 0);
  r.val = 1;
  r.uaddr2 = kB;
  add(m, r);
  FutexStats a = get(m, kA), b = get(m, kB);
  EXPECT_EQ(a.woken, 1u + 3u + 0u);
  EXPECT_EQ(a.requeued, 4u + 0u + 2u);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX_CMP_REQUEUE], 4u);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX_REQUEUE], 1u);
  EXPECT_EQ(b.ops[FXS_OP_FUTEX_CMP_REQUEUE], 4u);
  EXPECT_EQ(b.ops[FXS_OP_FUTEX_REQUEUE], 1u);
  EXPECT_EQ(b.woken + b.requeued + b.waits, 0u);
}

TEST(FutexModel, Futex2RequeueTakesNrWakeFromVal3) {
  FutexModel m;
  fxs_futex_rec r = call(FXS_OP_FUTEX2_REQUEUE, kA, 5);
  r.uaddr2 = kB;
  r.val = 7;   // waiters[0].val: not nr_wake
  r.val3 = 2;  // nr_wake
  r.val2 = 10; // nr_requeue
  add(m, r);
  FutexStats a = get(m, kA), b = get(m, kB);
  EXPECT_EQ(a.woken, 2u);
  EXPECT_EQ(a.requeued, 3u);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX2_REQUEUE], 1u);
  EXPECT_EQ(b.ops[FXS_OP_FUTEX2_REQUEUE], 1u);
  EXPECT_EQ(b.woken + b.requeued, 0u);
}

TEST(FutexModel, CmpRequeuePiSplits) {
  FutexModel m;
  fxs_futex_rec r = call(FXS_OP_FUTEX_CMP_REQUEUE_PI, kA, 3);
  r.val = 1;  // CMP_REQUEUE_PI always wakes at most 1
  r.uaddr2 = kB;
  add(m, r);
  FutexStats a = get(m, kA), b = get(m, kB);
  EXPECT_EQ(a.woken, 1u);
  EXPECT_EQ(a.requeued, 2u);
  EXPECT_EQ(b.ops[FXS_OP_FUTEX_CMP_REQUEUE_PI], 1u);
  EXPECT_EQ(b.woken + b.requeued, 0u);
  EXPECT_EQ(a.kind, FutexKind::kCondvar);
}

TEST(FutexModel, Uaddr2OnlyForOpsThatNameIt) {
  FutexModel m;
  // WAIT_REQUEUE_PI: the wait outcome on uaddr (the condvar), the op on both.
  fxs_futex_rec r = timed(call(FXS_OP_FUTEX_WAIT_REQUEUE_PI, kA, 0), 1000, 1500);
  r.uaddr2 = kB;
  add(m, r);
  // A stale uaddr2 on a command without a second address is ignored.
  r = call(FXS_OP_FUTEX_WAIT, kA, -11);
  r.uaddr2 = kC;
  add(m, r);
  // uaddr2 == 0 (NULL) is not a futex the call named.
  r = call(FXS_OP_FUTEX_CMP_REQUEUE, kA, 0);
  r.uaddr2 = 0;
  add(m, r);
  std::vector<FutexStats> v = m.finish();
  ASSERT_EQ(v.size(), 2u);
  const FutexStats* a = find(v, kA);
  const FutexStats* b = find(v, kB);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(find(v, kC), nullptr);
  EXPECT_EQ(find(v, 0), nullptr);
  EXPECT_EQ(a->ops[FXS_OP_FUTEX_WAIT_REQUEUE_PI], 1u);
  EXPECT_EQ(a->waits, 1u);
  EXPECT_EQ(a->eagain, 1u);
  EXPECT_EQ(a->wait_total_ns, 500u);
  EXPECT_EQ(b->ops[FXS_OP_FUTEX_WAIT_REQUEUE_PI], 1u);
  EXPECT_EQ(nonzero_ops(*b), 1u);
  EXPECT_EQ(b->waits, 0u);
  EXPECT_EQ(b->wait_total_ns, 0u);
  EXPECT_EQ(b->wait_samples, 0u);
}

TEST(FutexModel, RequeueToItselfCountsTwice) {
  // Like the kernel: uaddr and uaddr2 are applied separately, even if equal.
  FutexModel m;
  fxs_futex_rec r = call(FXS_OP_FUTEX_REQUEUE, kA, 1);
  r.val = 1;
  r.uaddr2 = kA;
  add(m, r);
  FutexStats a = get(m, kA);
  EXPECT_EQ(a.ops[FXS_OP_FUTEX_REQUEUE], 2u);
  EXPECT_EQ(a.woken, 1u);
}

// ---- futex_waitv --------------------------------------------------------------

TEST(FutexModel, WaitvCountsEveryEntry) {
  FutexModel m;
  add_waitv(m, {kA, kB, kC}, 1, 1000, 1300);  // woken by entry 1: every entry gets the wait
  add_waitv(m, {kA, kB}, -11);
  add_waitv(m, {kC}, -110, 2000, 2100);
  std::vector<FutexStats> v = m.finish();
  ASSERT_EQ(v.size(), 3u);
  const FutexStats *a = find(v, kA), *b = find(v, kB), *c = find(v, kC);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->ops[FXS_OP_FUTEX2_WAITV], 2u);
  EXPECT_EQ(b->ops[FXS_OP_FUTEX2_WAITV], 2u);
  EXPECT_EQ(c->ops[FXS_OP_FUTEX2_WAITV], 2u);
  EXPECT_EQ(a->waits, 1u);
  EXPECT_EQ(a->eagain, 1u);
  EXPECT_EQ(b->waits, 1u);
  EXPECT_EQ(b->eagain, 1u);
  EXPECT_EQ(c->waits, 2u);
  EXPECT_EQ(c->eagain, 0u);
  EXPECT_EQ(c->timeouts, 1u);
  EXPECT_EQ(a->wait_total_ns, 300u);
  EXPECT_EQ(b->wait_total_ns, 300u);
  EXPECT_EQ(c->wait_total_ns, 300u + 100u);
  EXPECT_EQ(c->wait_max_ns, 300u);
  EXPECT_EQ(c->wait_samples, 2u);
  // Events are records, not entries.
  EXPECT_EQ(m.events(), 3u);
}

TEST(FutexModel, WaitvIgnoresRecordUaddrAndSkipsShortRecords) {
  FutexModel m;
  // nr_uaddrs 0 (vector unreadable): the kernel counts nothing either.
  add_waitv(m, {}, 0);
  EXPECT_TRUE(m.finish().empty());
  EXPECT_EQ(m.events(), 1u);
  // nr_uaddrs says 3 but the record only carries 1 address: malformed.
  fxs_futex_rec r = call(FXS_OP_FUTEX2_WAITV, kA, 0);
  r.nr_uaddrs = 3;
  r.hdr.size = sizeof(r) + 8;
  std::vector<uint64_t> buf(r.hdr.size / 8);
  std::memcpy(buf.data(), &r, sizeof(r));
  buf.back() = kA;
  m.add(reinterpret_cast<const fxs_rec_hdr*>(buf.data()));
  EXPECT_TRUE(m.finish().empty());
  EXPECT_EQ(m.malformed_records(), 1u);
  EXPECT_EQ(m.events(), 1u);
  ASSERT_EQ(m.warnings().size(), 1u);
  EXPECT_NE(m.warnings()[0].find("1 malformed"), std::string::npos);
}

// ---- durations and percentiles ---------------------------------------------

TEST(FutexModel, DurationOnlyWhenEnterKnown) {
  FutexModel m;
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 0, 5000));     // began before tracing
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 1000, 1250));  // 250
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, -11), 2000, 9000));  // EAGAIN: no duration
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, -4), 3000, 3100));   // interrupted: 100
  FutexStats s = get(m, kA);
  EXPECT_EQ(s.waits, 3u);
  EXPECT_EQ(s.wait_samples, 2u);
  EXPECT_EQ(s.wait_total_ns, 350u);
  EXPECT_EQ(s.wait_max_ns, 250u);
  EXPECT_EQ(s.hist[6], 1u);  // 100 in [64, 128)
  EXPECT_EQ(s.hist[7], 1u);  // 250 in [128, 256)
  // Nearest rank of {100, 250}: p50 = ceil(1.0) = 1st, p99 = ceil(1.98) = 2nd.
  EXPECT_EQ(s.wait_p50_ns, 100u);
  EXPECT_EQ(s.wait_p99_ns, 250u);
  EXPECT_FALSE(s.percentiles_estimated);
  // Timestamps 0 are not part of the duration: 1000 .. 9000.
  EXPECT_EQ(m.duration_ns(), 8000u);
}

TEST(FutexModel, NearestRankPercentiles) {
  FutexModel m;
  // Seven waits, added out of order: sorted 1 2 3 5 7 8 9.
  for (uint64_t d : {5, 1, 9, 3, 7, 2, 8})
    add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 1000, 1000 + d));
  FutexStats s = get(m, kA);
  EXPECT_EQ(s.wait_p50_ns, 5u);  // rank ceil(3.5) = 4
  EXPECT_EQ(s.wait_p99_ns, 9u);  // rank ceil(6.93) = 7
  EXPECT_EQ(s.wait_total_ns, 35u);
  EXPECT_EQ(s.wait_max_ns, 9u);

  FutexModel m2;
  // 100 waits of 10, 20, ..., 1000 ns, in reverse.
  for (uint64_t i = 100; i >= 1; i--) add(m2, timed(call(FXS_OP_FUTEX_WAIT, kB, 0), 1, 1 + 10 * i));
  FutexStats t = get(m2, kB);
  EXPECT_EQ(t.wait_p50_ns, 500u);  // rank 50
  EXPECT_EQ(t.wait_p99_ns, 990u);  // rank 99
  EXPECT_EQ(t.wait_total_ns, 50500u);
  EXPECT_EQ(t.wait_samples, 100u);

  FutexModel m3;
  add(m3, timed(call(FXS_OP_FUTEX_WAIT, kC, 0), 1, 43));
  FutexStats u = get(m3, kC);
  EXPECT_EQ(u.wait_p50_ns, 42u);
  EXPECT_EQ(u.wait_p99_ns, 42u);
}

TEST(FutexModel, LongWaitsKeepExactPercentiles) {
  FutexModel m;
  const uint64_t t0 = 1'000'000'000'000;
  // 100, 5 s, 6 s, 200 (the seconds do not fit in 32 bits of ns).
  for (uint64_t d : {uint64_t{100}, uint64_t{5'000'000'000}, uint64_t{6'000'000'000}, uint64_t{200}})
    add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), t0, t0 + d));
  FutexStats s = get(m, kA);
  EXPECT_EQ(s.wait_p50_ns, 200u);             // rank 2 of 100, 200, 5e9, 6e9
  EXPECT_EQ(s.wait_p99_ns, 6'000'000'000u);   // rank 4
  EXPECT_EQ(s.wait_max_ns, 6'000'000'000u);
  EXPECT_EQ(s.wait_total_ns, 11'000'000'300u);
  EXPECT_EQ(s.hist[32], 2u);  // 5e9 and 6e9 in [2^32, 2^33)
  // p50 among {4e9+...}: three long ones and one short.
  FutexModel m2;
  for (uint64_t d : {uint64_t{7'000'000'000}, uint64_t{50}, uint64_t{5'000'000'000},
                     uint64_t{4'294'967'296}})
    add(m2, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), t0, t0 + d));
  FutexStats t = get(m2, kA);
  EXPECT_EQ(t.wait_p50_ns, 4'294'967'296u);  // rank 2 of 50, 2^32, 5e9, 7e9
}

// --memory-limit in the window: past the limit no duration is kept, every
// futex's (those before included) is in its log2 histogram, and p50/p99 come
// from it; the counts, total and max stay exact, and a warning says so.
TEST(FutexModel, ADurationLimitFoldsDurationsIntoHistograms) {
  FutexModel exact, limited;
  limited.set_duration_limit(50);
  // kA: 100 waits of 10..1000 ns; kB, after the fold: 3 waits of 5 us.
  for (FutexModel* m : {&exact, &limited}) {
    for (uint64_t i = 1; i <= 100; i++) add(*m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 1, 1 + 10 * i));
    for (int i = 0; i < 3; i++) add(*m, timed(call(FXS_OP_FUTEX_WAIT, kB, 0), 1, 5001));
  }
  EXPECT_FALSE(exact.durations_folded());
  EXPECT_TRUE(limited.durations_folded());
  for (uint64_t uaddr : {kA, kB}) {
    FutexStats e = get(exact, uaddr), l = get(limited, uaddr);
    EXPECT_FALSE(e.percentiles_estimated);
    EXPECT_TRUE(l.percentiles_estimated);
    EXPECT_EQ(l.waits, e.waits);
    EXPECT_EQ(l.wait_total_ns, e.wait_total_ns);
    EXPECT_EQ(l.wait_max_ns, e.wait_max_ns);
    EXPECT_EQ(l.wait_samples, e.wait_samples);
    EXPECT_EQ(l.hist, e.hist);
    EXPECT_EQ(l.wait_p50_ns, hist_percentile(e.hist, e.wait_max_ns, 50));
    EXPECT_EQ(l.wait_p99_ns, hist_percentile(e.hist, e.wait_max_ns, 99));
  }
  EXPECT_EQ(get(exact, kA).wait_p50_ns, 500u);
  EXPECT_EQ(get(limited, kA).wait_p50_ns, 511u) << "the top of [256, 512)";
  EXPECT_TRUE(exact.warnings().empty());
  ASSERT_EQ(limited.warnings().size(), 1u);
  EXPECT_NE(limited.warnings()[0].find("more than 50 wait durations"), std::string::npos) << limited.warnings()[0];
}

TEST(FutexModel, FinishAgainAfterMoreRecords) {
  FutexModel m;
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 10, 20));
  EXPECT_EQ(get(m, kA).wait_p99_ns, 10u);
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 10, 40));
  FutexStats s = get(m, kA);
  EXPECT_EQ(s.waits, 2u);
  EXPECT_EQ(s.wait_p50_ns, 10u);
  EXPECT_EQ(s.wait_p99_ns, 30u);
}

// ---- keys, threads, names ---------------------------------------------------

TEST(FutexModel, KeyIsPidAndAddress) {
  FutexModel m;
  fxs_futex_rec r = call(FXS_OP_FUTEX_WAKE, kA, 1);
  add(m, r);
  r.tgid = 200;
  add(m, r);
  add(m, r);
  std::vector<FutexStats> v = m.finish();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(find(v, kA, kPid)->ops[FXS_OP_FUTEX_WAKE], 1u);
  EXPECT_EQ(find(v, kA, 200)->ops[FXS_OP_FUTEX_WAKE], 2u);
}

TEST(FutexModel, ManyFutexesSurviveTableGrowth) {
  FutexModel m;
  // 50000 addresses x 3 processes, interleaved: exercises rehashing.
  for (int round = 0; round < 2; round++)
    for (uint64_t i = 0; i < 50000; i++)
      for (uint32_t pid = 1; pid <= 3; pid++) {
        fxs_futex_rec r = call(FXS_OP_FUTEX_WAKE, 0x10000 + i * 4, int32_t(pid));
        r.tgid = pid;
        r.tid = pid * 1000 + round;
        add(m, r);
      }
  std::vector<FutexStats> v = m.finish();
  ASSERT_EQ(v.size(), 150000u);
  for (const FutexStats& s : v) {
    ASSERT_EQ(s.ops[FXS_OP_FUTEX_WAKE], 2u);
    ASSERT_EQ(s.woken, 2u * s.tgid);
    ASSERT_EQ(s.threads, 2u);
  }
}

TEST(FutexModel, DistinctThreads) {
  FutexModel m;
  auto with_tid = [](fxs_futex_rec r, uint32_t tid) {
    r.tid = tid;
    return r;
  };
  for (uint32_t tid : {1, 2, 1, 1, 3, 2, 0})
    add(m, with_tid(call(FXS_OP_FUTEX_WAIT, kA, 0), tid));
  fxs_futex_rec rq = with_tid(call(FXS_OP_FUTEX_CMP_REQUEUE, kA, 0), 4);
  rq.uaddr2 = kB;  // the requeuer names B too
  add(m, rq);
  add_waitv(m, {kB, kC}, 0);  // tid 101
  std::vector<FutexStats> v = m.finish();
  EXPECT_EQ(find(v, kA)->threads, 5u);  // 0, 1, 2, 3, 4
  EXPECT_EQ(find(v, kB)->threads, 2u);  // 4, 101
  EXPECT_EQ(find(v, kC)->threads, 1u);  // 101
}

TEST(FutexModel, DistinctThreadsBeyond64PerProcess) {
  // The first 64 threads of a process take a fast path, later ones another.
  FutexModel m;
  for (int round = 0; round < 2; round++)
    for (uint32_t tid = 1000; tid < 1100; tid++) {
      fxs_futex_rec r = call(FXS_OP_FUTEX_WAKE, kA, 0);
      r.tid = tid;
      add(m, r);
      if (tid >= 1050) {
        r.uaddr = kB;
        add(m, r);
      }
      r.tgid = 7;  // same tids in another process (tid reuse): counted there separately
      r.uaddr = kA;
      if (tid % 2 == 0) add(m, r);
    }
  std::vector<FutexStats> v = m.finish();
  EXPECT_EQ(find(v, kA)->threads, 100u);
  EXPECT_EQ(find(v, kB)->threads, 50u);  // 1050..1099: all past the 64th
  EXPECT_EQ(find(v, kA, 7)->threads, 50u);
  EXPECT_EQ(find(v, kA)->ops[FXS_OP_FUTEX_WAKE], 200u);
}

TEST(FutexModel, AddRecordsWalksAChunk) {
  std::vector<uint8_t> chunk;
  auto put = [&chunk](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    chunk.insert(chunk.end(), b, b + n);
  };
  fxs_futex_rec w = timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 100, 400);
  put(&w, sizeof(w));
  fxs_task_rec t{};
  t.hdr = {FXS_REC_TASK, sizeof(t), 0};
  t.tgid = kPid;
  t.tid = 101;
  std::memcpy(t.pcomm, "srv", 4);
  put(&t, sizeof(t));
  fxs_futex_rec v = call(FXS_OP_FUTEX2_WAITV, kB, -11);
  v.nr_uaddrs = 2;
  v.hdr.size = sizeof(v) + 16;
  put(&v, sizeof(v));
  put(&kB, 8);
  put(&kC, 8);
  fxs_futex_rec k = call(FXS_OP_FUTEX_WAKE, kA, 1);
  put(&k, sizeof(k));
  // A record whose size runs past the end: the walk stops there.
  fxs_futex_rec cut = call(FXS_OP_FUTEX_WAKE, kA, 1);
  put(&cut, 40);

  FutexModel m;
  m.add_records(chunk.data(), chunk.size());
  EXPECT_EQ(m.events(), 3u);
  EXPECT_EQ(m.malformed_records(), 1u);
  EXPECT_EQ(m.process_name(kPid), "srv");
  std::vector<FutexStats> s = m.finish();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(find(s, kA)->waits, 1u);
  EXPECT_EQ(find(s, kA)->woken, 1u);
  EXPECT_EQ(find(s, kA)->wait_total_ns, 300u);
  EXPECT_EQ(find(s, kB)->eagain, 1u);
  EXPECT_EQ(find(s, kC)->eagain, 1u);
}

TEST(FutexModel, TaskNamesLatestWins) {
  FutexModel m;
  add_task(m, kPid, 101, "worker-1", "server", 500);
  add_task(m, kPid, 102, "0123456789abcdef", "server");  // 16 chars, no NUL
  add_task(m, kPid, 101, "renamed", "server2", 700);
  EXPECT_EQ(m.thread_name(101), "renamed");
  EXPECT_EQ(m.thread_name(102), "0123456789abcdef");
  EXPECT_EQ(m.process_name(kPid), "server2");
  EXPECT_EQ(m.process_name(999), "");
  EXPECT_EQ(m.thread_name(999), "");
  EXPECT_EQ(m.duration_ns(), 200u);  // task records carry timestamps too
  EXPECT_EQ(m.events(), 0u);
}

// ---- loss, stop, unknown and malformed records ----------------------------------

TEST(FutexModel, LatestLossCountersWin) {
  FutexModel m;
  EXPECT_FALSE(m.has_loss_record());
  EXPECT_EQ(m.lost(), 0u);
  fxs_loss_rec l{};
  l.hdr = {FXS_REC_LOSS, sizeof(l), 0};
  l.ts_ns = 5000;
  l.counters[FXS_CNT_RINGBUF_DROP] = 7;
  l.counters[FXS_CNT_MAP_FULL] = 1;
  m.add(&l.hdr);
  l.ts_ns = 6000;
  l.counters[FXS_CNT_RINGBUF_DROP] = 12;  // cumulative: 12, not 19
  l.counters[FXS_CNT_MAP_FULL] = 2;
  l.counters[FXS_CNT_ENTER_EVICTED] = 3;
  l.counters[FXS_CNT_FILTERED] = 4;
  l.counters[FXS_CNT_WAITV_READ] = 5;
  m.add(&l.hdr);
  EXPECT_TRUE(m.has_loss_record());
  EXPECT_EQ(m.lost(), 12u);
  EXPECT_EQ(m.counters()[FXS_CNT_MAP_FULL], 2u);
  EXPECT_EQ(m.counters()[FXS_CNT_ENTER_EVICTED], 3u);
  EXPECT_EQ(m.counters()[FXS_CNT_FILTERED], 4u);
  EXPECT_EQ(m.counters()[FXS_CNT_WAITV_READ], 5u);
  fxs_stop_rec s{};
  s.hdr = {FXS_REC_STOP, sizeof(s), 0};
  s.ts_ns = 9000;
  m.add(&s.hdr);
  EXPECT_EQ(m.duration_ns(), 4000u);
  EXPECT_EQ(m.first_ts_ns(), 5000u);
  EXPECT_EQ(m.last_ts_ns(), 9000u);
}

TEST(FutexModel, UnknownAndShortRecords) {
  FutexModel m;
  uint64_t buf[16] = {};
  auto* h = reinterpret_cast<fxs_rec_hdr*>(buf);
  *h = {99, 24, 0};  // a type from a newer futexscope
  m.add(h);
  *h = {FXS_REC_FUTEX, 40, 0};  // shorter than fxs_futex_rec
  m.add(h);
  *h = {FXS_REC_LOSS, 16, 0};
  m.add(h);
  *h = {FXS_REC_TASK, 8, 0};
  m.add(h);
  *h = {FXS_REC_AGG, 100, 0};
  m.add(h);
  *h = {FXS_REC_STOP, 8, 0};
  m.add(h);
  EXPECT_EQ(m.unknown_records(), 1u);
  EXPECT_EQ(m.malformed_records(), 5u);
  EXPECT_EQ(m.events(), 0u);
  EXPECT_FALSE(m.has_loss_record());
  EXPECT_FALSE(m.summary());
  EXPECT_TRUE(m.finish().empty());
  EXPECT_EQ(m.warnings().size(), 2u);
}

// ---- --summary aggregates -------------------------------------------------

TEST(FutexModel, SummaryLatestAggregateWins) {
  FutexModel m;
  fxs_agg_rec a = agg(kPid, kA, 1000);
  a.val.ops[FXS_OP_FUTEX_WAIT] = 5;
  a.val.waits = 4;
  m.add(&a.hdr);
  fxs_agg_rec b = agg(kPid, kB, 1000);
  b.val.ops[FXS_OP_FUTEX_CMP_REQUEUE] = 2;
  m.add(&b.hdr);
  // Later snapshot of A: cumulative, replaces the first one.
  a.ts_ns = 3000;
  a.val.ops[FXS_OP_FUTEX_WAIT] = 7;
  a.val.ops[FXS_OP_FUTEX_WAKE] = 6;
  a.val.waits = 6;
  a.val.eagain = 1;
  a.val.timeouts = 2;
  a.val.interrupted = 1;
  a.val.woken = 5;
  a.val.requeued = 0;
  a.val.wait_total_ns = 3 * 1500 + 1'500'000;
  a.val.wait_max_ns = 1'500'000;
  a.val.hist[10] = 3;  // [1024, 2048)
  a.val.hist[20] = 1;  // [1048576, 2097152)
  m.add(&a.hdr);
  EXPECT_TRUE(m.summary());
  EXPECT_EQ(m.futex_records(), 0u);
  EXPECT_EQ(m.events(), 7u + 6u + 2u);  // ops of the latest aggregates
  EXPECT_EQ(m.duration_ns(), 2000u);
  std::vector<FutexStats> v = m.finish();
  ASSERT_EQ(v.size(), 2u);
  const FutexStats* s = find(v, kA);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->ops[FXS_OP_FUTEX_WAIT], 7u);
  EXPECT_EQ(s->ops[FXS_OP_FUTEX_WAKE], 6u);
  EXPECT_EQ(s->waits, 6u);
  EXPECT_EQ(s->eagain, 1u);
  EXPECT_EQ(s->timeouts, 2u);
  EXPECT_EQ(s->interrupted, 1u);
  EXPECT_EQ(s->woken, 5u);
  EXPECT_EQ(s->wait_total_ns, 1'504'500u);
  EXPECT_EQ(s->wait_max_ns, 1'500'000u);
  EXPECT_EQ(s->wait_samples, 4u);
  EXPECT_EQ(s->threads, 0u);  // not known in --summary
  EXPECT_TRUE(s->percentiles_estimated);
  // p50: rank 2 falls in bucket 10 -> its upper bound 2047.
  EXPECT_EQ(s->wait_p50_ns, 2047u);
  // p99: rank 4 falls in bucket 20 -> 2097151, clamped to max 1500000.
  EXPECT_EQ(s->wait_p99_ns, 1'500'000u);
  EXPECT_EQ(s->kind, FutexKind::kMutex);  // WAIT/WAKE only, woken 5 <= 6 wakes
  EXPECT_EQ(find(v, kB)->kind, FutexKind::kCondvar);
}

TEST(FutexModel, SummaryAddsToPerEventCounts) {
  // A trace holding both (not written today): the two add up.
  FutexModel m;
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 100, 200));
  fxs_agg_rec a = agg(kPid, kA, 300);
  a.val.ops[FXS_OP_FUTEX_WAIT] = 2;
  a.val.waits = 2;
  a.val.wait_total_ns = 60;
  a.val.wait_max_ns = 40;
  a.val.hist[4] = 1;  // 20
  a.val.hist[5] = 1;  // 40
  m.add(&a.hdr);
  FutexStats s = get(m, kA);
  EXPECT_EQ(s.ops[FXS_OP_FUTEX_WAIT], 3u);
  EXPECT_EQ(s.waits, 3u);
  EXPECT_EQ(s.wait_total_ns, 160u);
  EXPECT_EQ(s.wait_max_ns, 100u);
  EXPECT_EQ(s.wait_samples, 3u);
  EXPECT_TRUE(s.percentiles_estimated);
  EXPECT_EQ(s.wait_p50_ns, 63u);   // rank 2 in bucket 5 [32, 64)
  EXPECT_EQ(s.wait_p99_ns, 100u);  // rank 3 in bucket 6, upper 127 clamped to max 100
  EXPECT_EQ(s.threads, 1u);
  EXPECT_EQ(m.events(), 1u + 2u);
}

TEST(FutexModel, HistPercentileEdges) {
  WaitHist::Dense h{};
  EXPECT_EQ(hist_percentile(WaitHist(h), 0, 50), 0u);
  h[0] = 1;  // a 0 or 1 ns wait
  EXPECT_EQ(hist_percentile(WaitHist(h), 1, 50), 1u);
  h[0] = 0;
  h[FXS_HIST_BUCKETS - 1] = 1;  // beyond 2^39: only max is known
  EXPECT_EQ(hist_percentile(WaitHist(h), uint64_t{1} << 45, 99), uint64_t{1} << 45);
}

// ---- kind heuristic and ranking -------------------------------------------

TEST(FutexModel, KindHeuristic) {
  auto kind_of = [](std::initializer_list<std::pair<unsigned, uint64_t>> ops, uint64_t woken) {
    FutexCounts c;
    for (auto [i, n] : ops) c.ops[i] = n;
    c.woken = woken;
    return classify(c);
  };
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_LOCK_PI, 1}, {FXS_OP_FUTEX_UNLOCK_PI, 1}}, 0), FutexKind::kPiMutex);
  // The PI mutex of a PI condvar sees the requeue too: PI wins.
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_CMP_REQUEUE_PI, 1}, {FXS_OP_FUTEX_UNLOCK_PI, 1}}, 0),
            FutexKind::kPiMutex);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAIT_REQUEUE_PI, 1}}, 0), FutexKind::kCondvar);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_CMP_REQUEUE, 1}, {FXS_OP_FUTEX_WAIT, 3}}, 0), FutexKind::kCondvar);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX2_REQUEUE, 1}}, 0), FutexKind::kCondvar);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAIT_BITSET, 4}, {FXS_OP_FUTEX_WAKE, 4}}, 4), FutexKind::kCondvar);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAKE_BITSET, 1}}, 0), FutexKind::kCondvar);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAIT, 10}, {FXS_OP_FUTEX_WAKE, 8}}, 8), FutexKind::kMutex);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX2_WAIT, 2}, {FXS_OP_FUTEX2_WAKE, 2}}, 0), FutexKind::kMutex);
  // A broadcast (woken > wakes), waits without wakes, or other ops: other.
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAIT, 10}, {FXS_OP_FUTEX_WAKE, 1}}, 10), FutexKind::kOther);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAIT, 10}}, 0), FutexKind::kOther);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAKE, 10}}, 3), FutexKind::kOther);
  EXPECT_EQ(kind_of({{FXS_OP_FUTEX_WAIT, 1}, {FXS_OP_FUTEX_WAKE, 1}, {FXS_OP_FUTEX2_WAITV, 1}}, 1),
            FutexKind::kOther);
  EXPECT_EQ(kind_of({}, 0), FutexKind::kOther);
  EXPECT_STREQ(kind_name(FutexKind::kPiMutex), "pi-mutex");
  EXPECT_STREQ(kind_name(FutexKind::kMutex), "mutex");
  EXPECT_STREQ(kind_name(FutexKind::kCondvar), "condvar");
  EXPECT_STREQ(kind_name(FutexKind::kOther), "other");
}

TEST(FutexModel, RankByWaitTimeThenOps) {
  FutexModel m;
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 10, 20));    // A: 10 ns, 1 op
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kB, 0), 10, 110));   // B: 100 ns, 1 op
  add(m, call(FXS_OP_FUTEX_WAKE, kC, 0));                   // C: 0 ns, 2 ops
  add(m, call(FXS_OP_FUTEX_WAKE, kC, 0));
  add(m, call(FXS_OP_FUTEX_WAKE, 0x10, 0));                 // D: 0 ns, 1 op
  fxs_futex_rec e = call(FXS_OP_FUTEX_WAKE, 0x10, 0);       // same uaddr, pid 50: before D
  e.tgid = 50;
  add(m, e);
  std::vector<FutexStats> v = m.finish();
  FutexModel::rank(v);
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].uaddr, kB);
  EXPECT_EQ(v[1].uaddr, kA);
  EXPECT_EQ(v[2].uaddr, kC);
  EXPECT_EQ(v[3].tgid, 50u);
  EXPECT_EQ(v[4].tgid, kPid);
  EXPECT_EQ(v[4].uaddr, 0x10u);
}

// rank() sorts keys and then moves each stats once, cycle by cycle: every
// stats must arrive whole at its place, for any permutation.
TEST(FutexModel, RankMovesEveryFutexWholeToItsPlace) {
  std::mt19937 rng(11);
  for (size_t n : {0u, 1u, 2u, 7u, 1000u}) {
    std::vector<FutexStats> v(n);
    for (size_t i = 0; i < n; i++) {
      FutexStats& f = v[i];
      f.wait_total_ns = rng() % 4;  // many ties: the order falls through to ops, tgid, uaddr
      f.ops[0] = rng() % 3;
      f.tgid = static_cast<uint32_t>(rng() % 5);
      f.uaddr = 0x1000 + 8 * i;
      f.waits = f.uaddr * 3 + f.tgid;  // travels with its futex
      f.hist.add(7, f.uaddr);
    }
    std::vector<FutexStats> want = v;
    std::sort(want.begin(), want.end(), [](const FutexStats& x, const FutexStats& y) {
      if (x.wait_total_ns != y.wait_total_ns) return x.wait_total_ns > y.wait_total_ns;
      if (x.total_ops() != y.total_ops()) return x.total_ops() > y.total_ops();
      if (x.tgid != y.tgid) return x.tgid < y.tgid;
      return x.uaddr < y.uaddr;
    });
    FutexModel::rank(v);
    ASSERT_EQ(v.size(), n);
    for (size_t i = 0; i < n; i++) {
      EXPECT_EQ(v[i].uaddr, want[i].uaddr) << "n " << n << " place " << i;
      EXPECT_EQ(v[i].waits, v[i].uaddr * 3 + v[i].tgid) << "n " << n << " place " << i;
      EXPECT_EQ(v[i].hist[7], v[i].uaddr);
    }
  }
}

// ---- the report built from the model ----------------------------------------

TEST(Report, FormatNs) {
  EXPECT_EQ(format_ns(0), "0ns");
  EXPECT_EQ(format_ns(999), "999ns");
  EXPECT_EQ(format_ns(1000), "1.00us");
  EXPECT_EQ(format_ns(1500), "1.50us");
  EXPECT_EQ(format_ns(12'340), "12.3us");
  EXPECT_EQ(format_ns(999'400), "999us");
  EXPECT_EQ(format_ns(999'700), "1.00ms");
  EXPECT_EQ(format_ns(250'000'000), "250ms");
  EXPECT_EQ(format_ns(2'000'000'000), "2.00s");
  EXPECT_EQ(format_ns(3'600'000'000'000), "3600s");
  EXPECT_EQ(format_uaddr(0x7FFFABCD0010), "0x7fffabcd0010");
  EXPECT_EQ(format_uaddr(0), "0x0");
}

TEST(Report, TopDefaults) {
  ReportOptions o;
  EXPECT_EQ(o.effective_top(), 20u);
  o.format = ReportOptions::Format::kJson;
  EXPECT_EQ(o.effective_top(), 0u);
  o.top = 3;
  EXPECT_EQ(o.effective_top(), 3u);
  o.format = ReportOptions::Format::kText;
  o.top = 0;
  EXPECT_EQ(o.effective_top(), 0u);
}

// A small model: A waited on (mutex-like), B requeued to, pid named.
ReportData sample_report(uint64_t lost) {
  FutexModel m;
  add_task(m, kPid, 101, "worker", "server", 1000);
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 1000, 4000));  // 3000
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, -110), 2000, 3000));  // 1000
  add(m, timed(call(FXS_OP_FUTEX_WAIT, kA, -11), 5000, 5010));
  add(m, timed(call(FXS_OP_FUTEX_WAKE, kA, 1), 6000, 6100));
  fxs_futex_rec r = timed(call(FXS_OP_FUTEX_CMP_REQUEUE, kC, 3), 7000, 7100);
  r.val = 1;
  r.uaddr2 = kB;
  add(m, r);
  fxs_loss_rec l{};
  l.hdr = {FXS_REC_LOSS, sizeof(l), 0};
  l.ts_ns = 8000;
  l.counters[FXS_CNT_RINGBUF_DROP] = lost;
  l.counters[FXS_CNT_FILTERED] = 9;
  m.add(&l.hdr);
  TraceHeader h;
  h.kernel_release = "6.18.0-test";
  h.hostname = "box";
  return build_report(h, m, {"chunk 3 at offset 4096: checksum mismatch, skipped"});
}

TEST(Report, JsonKeysAndValues) {
  ReportData d = sample_report(0);
  nlohmann::json j = report_json(d, 0);
  EXPECT_EQ(j["events"], 5);
  EXPECT_EQ(j["lost"], 0);
  EXPECT_EQ(j["duration_ns"], 7000);  // 1000 .. 8000
  EXPECT_EQ(j["summary"], false);
  EXPECT_EQ(j["kernel"], "6.18.0-test");
  EXPECT_EQ(j["hostname"], "box");
  EXPECT_EQ(j["counters"]["ringbuf_drop"], 0);
  EXPECT_EQ(j["counters"]["filtered"], 9);
  EXPECT_EQ(j["counters"]["map_full"], 0);
  EXPECT_EQ(j["counters"]["enter_evicted"], 0);
  EXPECT_EQ(j["counters"]["waitv_read"], 0);
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_FALSE(j.contains("buckets"));
  ASSERT_EQ(j["futexes"].size(), 3u);
  const nlohmann::json& a = j["futexes"][0];  // the only one with wait time
  EXPECT_EQ(a["pid"], kPid);
  EXPECT_EQ(a["uaddr"], "0x7f0000001000");
  EXPECT_EQ(a["kind"], "mutex");
  EXPECT_EQ(a["comm"], "server");
  EXPECT_EQ(a["threads"], 1);
  EXPECT_EQ(a["ops"], (nlohmann::json{{"FUTEX_WAIT", 3}, {"FUTEX_WAKE", 1}}));
  EXPECT_EQ(a["waits"], 2);
  EXPECT_EQ(a["eagain"], 1);
  EXPECT_EQ(a["timeouts"], 1);
  EXPECT_EQ(a["interrupted"], 0);
  EXPECT_EQ(a["woken"], 1);
  EXPECT_EQ(a["requeued"], 0);
  EXPECT_EQ(a["wait_ns"], (nlohmann::json{{"total", 4000}, {"max", 3000}, {"p50", 1000}, {"p99", 3000}}));
  // C (2 calls... 1 op) and B (1 op): equal wait time and ops, so by uaddr.
  EXPECT_EQ(j["futexes"][1]["uaddr"], "0x7f0000002000");
  EXPECT_EQ(j["futexes"][1]["ops"], (nlohmann::json{{"FUTEX_CMP_REQUEUE", 1}}));
  EXPECT_EQ(j["futexes"][1]["woken"], 0);
  const nlohmann::json& c = j["futexes"][2];
  EXPECT_EQ(c["uaddr"], "0x7f0000003000");
  EXPECT_EQ(c["woken"], 1);
  EXPECT_EQ(c["requeued"], 2);
  EXPECT_EQ(c["kind"], "condvar");

  EXPECT_EQ(report_json(d, 1)["futexes"].size(), 1u);
  EXPECT_EQ(report_json(d, 10)["futexes"].size(), 3u);
}

TEST(Report, TextShowsLossLoudlyAndHistogram) {
  std::ostringstream quiet, loud;
  write_text_report(sample_report(0), 20, quiet);
  write_text_report(sample_report(42), 1, loud);
  EXPECT_EQ(quiet.str().find("EVENTS LOST"), std::string::npos) << quiet.str();
  EXPECT_NE(loud.str().find("42 EVENTS LOST"), std::string::npos) << loud.str();
  EXPECT_NE(quiet.str().find("kernel 6.18.0-test"), std::string::npos);
  EXPECT_NE(quiet.str().find("pid 100 (server)  uaddr 0x7f0000001000  kind mutex"),
            std::string::npos) << quiet.str();
  EXPECT_NE(quiet.str().find("FUTEX_WAIT 3  FUTEX_WAKE 1"), std::string::npos);
  EXPECT_NE(quiet.str().find("total 4.00us  max 3.00us  p50 1.00us  p99 3.00us"), std::string::npos)
      << quiet.str();
  // 1000 ns in [512ns, 1.02us), 3000 ns in [2.05us, 4.10us): equal bars.
  EXPECT_NE(quiet.str().find("[512ns, 1.02us)"), std::string::npos) << quiet.str();
  EXPECT_NE(quiet.str().find("[2.05us, 4.10us)"), std::string::npos) << quiet.str();
  EXPECT_NE(quiet.str().find(std::string(40, '#')), std::string::npos);
  EXPECT_NE(loud.str().find(", top 1, by total wait time"), std::string::npos) << loud.str();
  EXPECT_EQ(loud.str().find("#2 "), std::string::npos);
}

TEST(Report, MissingFileIsAnErrorInEveryFormat) {
  std::ostringstream out, warn;
  ReportOptions o;
  o.format = ReportOptions::Format::kFolded;
  Status st = write_report("/nonexistent.fxs", o, out, warn);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent.fxs"), std::string::npos) << st.message();
  o.format = ReportOptions::Format::kJson;
  st = write_report("/nonexistent/t.fxs", o, out, warn);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/t.fxs"), std::string::npos) << st.message();
  EXPECT_TRUE(out.str().empty());
}

TEST(Report, ReadsATraceFile) {
  test::TempDir dir;
  std::string path = dir.path("t.fxs");
  {
    TraceHeader h;
    h.kernel_release = "6.18.0-file";
    h.hostname = "filehost";
    auto w = TraceWriter::create(path, h, 4096);  // small chunks: several of them
    ASSERT_TRUE(w.ok()) << w.message();
    for (uint64_t i = 0; i < 1000; i++) {
      fxs_futex_rec r = timed(call(FXS_OP_FUTEX_WAIT, kA + (i % 3) * 4, 0), 1000 + i, 1100 + i);
      ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    }
    fxs_futex_rec r = call(FXS_OP_FUTEX_WAKE, kA, 2);
    ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    ASSERT_TRUE(w->append_stop(2000).ok());  // as the recorder ends every recording
    ASSERT_TRUE(w->close().ok());
  }
  std::ostringstream out, warn;
  ReportOptions o;
  o.format = ReportOptions::Format::kJson;
  Status st = write_report(path, o, out, warn);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(warn.str(), "");
  nlohmann::json j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["events"], 1001);
  EXPECT_EQ(j["kernel"], "6.18.0-file");
  ASSERT_EQ(j["futexes"].size(), 3u);
  // 1000 waits of 100 ns over 3 addresses: 334, 333, 333.
  EXPECT_EQ(j["futexes"][0]["uaddr"], "0x7f0000001000");
  EXPECT_EQ(j["futexes"][0]["waits"], 334);
  EXPECT_EQ(j["futexes"][0]["woken"], 2);
  EXPECT_EQ(j["futexes"][0]["wait_ns"]["total"], 33400);
  EXPECT_EQ(j["futexes"][1]["waits"], 333);
  EXPECT_EQ(j["duration_ns"], 1099);  // 1000 .. 2099

  // Text, default top; and a damaged copy: a warning line on the warnings stream.
  std::ostringstream text;
  o.format = ReportOptions::Format::kText;
  ASSERT_TRUE(write_report(path, o, text, warn).ok());
  EXPECT_NE(text.str().find("futexes: 3"), std::string::npos) << text.str();
  std::string damaged = dir.path("d.fxs");
  {
    FILE* in = std::fopen(path.c_str(), "rb");
    ASSERT_NE(in, nullptr);
    std::vector<char> bytes(1 << 20);
    size_t n = std::fread(bytes.data(), 1, bytes.size(), in);
    std::fclose(in);
    FILE* o2 = std::fopen(damaged.c_str(), "wb");
    ASSERT_NE(o2, nullptr);
    std::fwrite(bytes.data(), 1, n - 10, o2);  // truncated tail
    std::fclose(o2);
  }
  std::ostringstream out2, warn2;
  o.format = ReportOptions::Format::kJson;
  ASSERT_TRUE(write_report(damaged, o, out2, warn2).ok());
  EXPECT_EQ(warn2.str().rfind("futexscope: warning: ", 0), 0u) << warn2.str();
  nlohmann::json j2 = nlohmann::json::parse(out2.str());
  EXPECT_LT(j2["events"].get<uint64_t>(), 1001u);
  EXPECT_GE(j2["warnings"].size(), 1u);
}

// `record --min-wait` that left out most waits: the report says so in a
// warning (stderr and JSON "warnings"), not only as "filtered N" in the lost line.
TEST(Report, WarnsWhenMinWaitFilteredMostWaits) {
  test::TempDir dir;
  auto report_of = [&](uint64_t filtered, std::string& text_warn) {
    const std::string path = dir.path("f" + std::to_string(filtered) + ".fxs");
    TraceHeader h;
    h.min_wait_ns = 100000;
    auto w = TraceWriter::create(path, h, 4096);
    EXPECT_TRUE(w.ok()) << w.message();
    for (uint64_t i = 0; i < 10; i++) {  // 10 waits recorded (the long ones)
      fxs_futex_rec r = timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 1000 + i * 1000000, 200000 + i * 1000000);
      EXPECT_TRUE(w->append(&r, sizeof(r)).ok());
    }
    fxs_loss_rec l{};
    l.hdr = {FXS_REC_LOSS, sizeof(l), 0};
    l.ts_ns = 20000000;
    l.counters[FXS_CNT_FILTERED] = filtered;
    EXPECT_TRUE(w->append(&l, sizeof(l)).ok());
    EXPECT_TRUE(w->append_stop(20000001).ok());
    EXPECT_TRUE(w->close().ok());
    ReportOptions o;
    std::ostringstream text, warn;
    EXPECT_TRUE(write_report(path, o, text, warn).ok());
    text_warn = warn.str();
    o.format = ReportOptions::Format::kJson;
    std::ostringstream out, warn2;
    EXPECT_TRUE(write_report(path, o, out, warn2).ok());
    return nlohmann::json::parse(out.str());
  };
  std::string warn;
  nlohmann::json j = report_of(90, warn);
  const std::string expected =
      "--min-wait 100us left out 90 of 100 waits (90%): the counts, wait times and wakers below are of the "
      "10 waits of 100us or longer only";
  ASSERT_EQ(j["warnings"].size(), 1u) << j["warnings"].dump();
  EXPECT_EQ(j["warnings"][0], expected);
  EXPECT_EQ(j["counters"]["filtered"], 90);
  EXPECT_EQ(warn, "futexscope: warning: " + expected + "\n");
  // Fewer filtered than recorded: the lost line's count is enough.
  j = report_of(10, warn);
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();
  EXPECT_EQ(warn, "");
}

// A recording cut short between two chunks (recorder killed, disk full)
// reads without any damage; only the missing stop record tells, and the
// report must say so rather than look complete.
TEST(Report, WarnsWhenTheStopRecordIsMissing) {
  test::TempDir dir;
  const std::string cut = dir.path("cut.fxs"), clean = dir.path("clean.fxs");
  for (const std::string& path : {cut, clean}) {
    auto w = TraceWriter::create(path, TraceHeader{}, 4096);
    ASSERT_TRUE(w.ok()) << w.message();
    fxs_futex_rec r = timed(call(FXS_OP_FUTEX_WAIT, kA, 0), 1000, 1100);
    ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    if (path == clean) {
      ASSERT_TRUE(w->append_stop(1200).ok());
    }
    ASSERT_TRUE(w->close().ok());
  }
  ReportOptions o;
  o.format = ReportOptions::Format::kJson;
  std::ostringstream out, warn;
  ASSERT_TRUE(write_report(cut, o, out, warn).ok());
  nlohmann::json j = nlohmann::json::parse(out.str());
  ASSERT_EQ(j["warnings"].size(), 1u) << j["warnings"].dump();
  EXPECT_EQ(j["warnings"][0], kNoStopRecordWarning);
  EXPECT_EQ(warn.str(), std::string("futexscope: warning: ") + kNoStopRecordWarning + "\n");
  EXPECT_EQ(j["events"], 1);  // what was recorded is all still there

  std::ostringstream out2, warn2;
  ASSERT_TRUE(write_report(clean, o, out2, warn2).ok());
  EXPECT_EQ(warn2.str(), "");
  EXPECT_TRUE(nlohmann::json::parse(out2.str())["warnings"].empty());
}

}  // namespace
}  // namespace fxs
