// The per-call timeline model (replay/timeline_model.h): lanes, ordering,
// duration packing, binary searches and folding. Records are built in memory.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "replay/timeline_model.h"

namespace fxs {
namespace {

constexpr uint32_t kPid = 200;
constexpr uint64_t kA = 0x7f0000001000, kB = 0x7f0000002000;

fxs_futex_rec call(uint32_t tid, uint8_t opi, uint64_t uaddr, uint64_t enter, uint64_t exit,
                   int32_t ret = 0) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.tgid = kPid;
  r.tid = tid;
  r.uaddr = uaddr;
  r.enter_ns = enter;
  r.exit_ns = exit;
  r.ret = ret;
  r.opi = opi;
  r.op = opi | FXS_FUTEX_PRIVATE_FLAG;
  return r;
}

// Serialises records back to back, as a decompressed chunk holds them.
struct Chunk {
  std::vector<uint8_t> bytes;
  template <typename T>
  Chunk& add(const T& rec) {
    const auto* p = reinterpret_cast<const uint8_t*>(&rec);
    bytes.insert(bytes.end(), p, p + sizeof rec);
    return *this;
  }
  void into(TimelineModel& m) const { m.add_records(bytes.data(), bytes.size()); }
};

TEST(TimelineModel, DurationPackingIsExactBelowOneSecondAndNeverShorter) {
  for (uint64_t ns : {0ull, 1ull, 999ull, 123456789ull, (1ull << 30) - 1}) EXPECT_EQ(unpack_duration(pack_duration(ns)), ns);
  for (uint64_t ns : {(1ull << 30), 5000000001ull, 3600ull * 1000000000ull, 86400ull * 20 * 1000000000ull}) {
    uint64_t back = unpack_duration(pack_duration(ns));
    EXPECT_GE(back, ns);
    EXPECT_LE(back - ns, ns / 1000) << ns;  // within 0.1%
  }
}

TEST(TimelineModel, OneLanePerThreadCallsSortedEvenWhenRecordsArriveLate) {
  TimelineModel m;
  Chunk c;
  c.add(call(1, FXS_OP_FUTEX_WAIT, kA, 100, 200))
      .add(call(2, FXS_OP_FUTEX_WAKE, kA, 150, 160, 1))
      .add(call(1, FXS_OP_FUTEX_WAIT, kA, 500, 600))
      .add(call(1, FXS_OP_FUTEX_WAIT, kB, 300, 400))   // late: another CPU's ring drained later
      .add(call(1, FXS_OP_FUTEX_WAIT, kB, 250, 260));  // later still
  c.into(m);
  // A second batch with a call that belongs before the first batch's tail.
  Chunk c2;
  c2.add(call(1, FXS_OP_FUTEX_WAKE, kB, 450, 460, 0)).add(call(1, FXS_OP_FUTEX_WAIT, kA, 700, 800));
  c2.into(m);

  ASSERT_EQ(m.lanes().size(), 2u);
  EXPECT_EQ(m.calls(), 7u);
  const auto& l1 = m.lanes()[0];
  EXPECT_EQ(l1.tid, 1u);
  std::vector<uint64_t> enters;
  for (const auto& x : l1.calls) enters.push_back(x.enter_ns);
  EXPECT_EQ(enters, (std::vector<uint64_t>{100, 250, 300, 450, 500, 700}));
  EXPECT_EQ(m.futexes().size(), 2u);
  EXPECT_EQ(m.futexes()[l1.calls[1].futex].uaddr, kB);
  EXPECT_EQ(m.first_ns(), 100u);
  EXPECT_EQ(m.last_ns(), 800u);
  // Waits that queued: 100 + 10 + 100 + 100 + 100 ns.
  EXPECT_EQ(l1.wait_ns, 410u);
  EXPECT_TRUE(l1.calls[0].flags & kCallQueued);
  EXPECT_FALSE(l1.calls[3].flags & kCallQueued);  // a wake
  EXPECT_EQ(m.longest_wait().lane, 0u);
  EXPECT_EQ(m.longest_wait().dur_ns, 100u);
  EXPECT_EQ(m.longest_wait().enter_ns, 100u);  // the first of the equally long waits
}

TEST(TimelineModel, EagainIsNotQueuedAndLostEnterTimeIsFlagged) {
  TimelineModel m;
  Chunk c;
  c.add(call(1, FXS_OP_FUTEX_WAIT, kA, 100, 5000, -11)).add(call(1, FXS_OP_FUTEX_WAIT, kA, 0, 9000));
  c.into(m);
  const auto& l = m.lanes()[0];
  ASSERT_EQ(l.calls.size(), 2u);
  EXPECT_FALSE(l.calls[0].flags & kCallQueued);
  EXPECT_EQ(l.calls[1].enter_ns, 9000u);
  EXPECT_EQ(l.calls[1].dur_ns(), 0u);
  EXPECT_TRUE(l.calls[1].flags & kCallEnterLost);
  EXPECT_EQ(l.wait_ns, 0u);
}

// A lane counts its calls that woke someone (the window's quiet threads have none).
TEST(TimelineModel, WakingCallsAreThoseThatWokeSomeone) {
  TimelineModel m;
  Chunk c;
  c.add(call(1, FXS_OP_FUTEX_WAKE, kA, 100, 200, 1))
      .add(call(1, FXS_OP_FUTEX_WAKE, kA, 300, 400, 0))         // woke nobody
      .add(call(1, FXS_OP_FUTEX_CMP_REQUEUE, kA, 500, 600, 3))  // woke or requeued
      .add(call(1, FXS_OP_FUTEX_WAIT, kA, 700, 800, -11))
      .add(call(2, FXS_OP_FUTEX_WAKE, kB, 100, 200, -14));       // failed
  c.into(m);
  ASSERT_EQ(m.lanes().size(), 2u);
  EXPECT_EQ(m.lanes()[0].waking_calls, 2u);
  EXPECT_EQ(m.lanes()[1].waking_calls, 0u);
}

TEST(TimelineModel, NamesAndLossCounter) {
  TimelineModel m;
  fxs_task_rec t{};
  t.hdr = {FXS_REC_TASK, sizeof(t), 0};
  t.tgid = kPid;
  t.tid = 7;
  std::strcpy(t.comm, "worker-7");
  std::strcpy(t.pcomm, "server");
  fxs_loss_rec loss{};
  loss.hdr = {FXS_REC_LOSS, sizeof(loss), 0};
  loss.counters[FXS_CNT_RINGBUF_DROP] = 42;
  Chunk c;
  c.add(t).add(loss);
  c.into(m);
  EXPECT_EQ(m.thread_name(7), "worker-7");
  EXPECT_EQ(m.process_name(kPid), "server");
  EXPECT_EQ(m.thread_name(8), "");
  EXPECT_EQ(m.lost(), 42u);
}

TEST(TimelineModel, MisalignedRecordsAreRead) {
  // A 12-byte record of an unknown type shifts the next one off 8-byte alignment.
  TimelineModel m;
  std::vector<uint8_t> bytes(12 + sizeof(fxs_futex_rec));
  fxs_rec_hdr odd{99, 12, 0};
  std::memcpy(bytes.data(), &odd, sizeof odd);
  auto r = call(3, FXS_OP_FUTEX_WAIT, kA, 10, 20);
  std::memcpy(bytes.data() + 12, &r, sizeof r);
  std::vector<uint8_t> shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  m.add_records(shifted.data() + 1, bytes.size());
  ASSERT_EQ(m.lanes().size(), 1u);
  EXPECT_EQ(m.lanes()[0].calls[0].exit_ns(), 20u);
}

TEST(TimelineModel, FirstAbiRecordsAndWaitvVectorsLoad) {
  // An ABI 1 record was 88 bytes; later ABIs append fields. Both load.
  TimelineModel m;
  std::vector<uint8_t> bytes(88);
  auto r = call(4, FXS_OP_FUTEX_WAIT, kA, 10, 30);
  std::memcpy(bytes.data(), &r, 88);
  fxs_rec_hdr h{FXS_REC_FUTEX, 88, 0};
  std::memcpy(bytes.data(), &h, sizeof h);
  // futex_waitv woken by entry 1: drawn on that entry's address, which is
  // read from the vector at the record's end.
  auto w = call(4, FXS_OP_FUTEX2_WAITV, kA, 40, 90, 1);
  w.nr_uaddrs = 2;
  std::vector<uint8_t> wv(sizeof w + 16);
  w.hdr.size = uint16_t(wv.size());
  std::memcpy(wv.data(), &w, sizeof w);
  uint64_t uaddrs[2] = {kA, kB};
  std::memcpy(wv.data() + sizeof w, uaddrs, 16);
  bytes.insert(bytes.end(), wv.begin(), wv.end());
  m.add_records(bytes.data(), bytes.size());
  EXPECT_EQ(m.malformed(), 0u);
  ASSERT_EQ(m.calls(), 2u);
  const auto& calls = m.lanes()[0].calls;
  EXPECT_EQ(calls[0].dur_ns(), 20u);
  EXPECT_EQ(m.futexes()[calls[1].futex].uaddr, kB);
  EXPECT_EQ(calls[1].nr_uaddrs, 2u);
  // Too short to hold the fields the timeline reads: counted, skipped.
  fxs_rec_hdr tiny{FXS_REC_FUTEX, 40, 0};
  std::vector<uint8_t> t(40);
  std::memcpy(t.data(), &tiny, sizeof tiny);
  m.add_records(t.data(), t.size());
  EXPECT_EQ(m.malformed(), 1u);
  EXPECT_EQ(m.calls(), 2u);
}

TEST(TimelineModel, ManyFutexesKeepTheirIndexes) {
  // Enough distinct addresses to grow the lookup table several times.
  TimelineModel m;
  Chunk c;
  for (uint64_t i = 0; i < 5000; i++) c.add(call(1, FXS_OP_FUTEX_WAIT, 0x10000 + i * 64, 100 + i * 10, 105 + i * 10, -11));
  for (uint64_t i = 0; i < 5000; i++) c.add(call(1, FXS_OP_FUTEX_WAIT, 0x10000 + i * 64, 60000 + i * 10, 60005 + i * 10, -11));
  c.into(m);
  ASSERT_EQ(m.futexes().size(), 5000u);
  const auto& calls = m.lanes()[0].calls;
  for (size_t i = 0; i < 5000; i++) {
    EXPECT_EQ(calls[i].futex, calls[i + 5000].futex);
    EXPECT_EQ(m.futexes()[calls[i].futex].uaddr, 0x10000 + i * 64);
  }
}

// A lane with calls [10k*i, 10k*i + len) for i < n.
TimelineLane lane_of(size_t n, uint64_t len, uint64_t period = 10000) {
  TimelineLane l;
  for (size_t i = 0; i < n; i++) {
    TimelineCall c{};
    c.enter_ns = 1000000 + period * i;
    c.dur = pack_duration(len);
    c.futex = uint32_t(i % 3);
    c.flags = kCallQueued;
    l.calls.push_back(c);
  }
  return l;
}

TEST(TimelineModel, BinarySearchesFindTheVisibleRange) {
  TimelineLane l = lane_of(100, 5000);  // [1e6 + 1e4 i, +5000)
  EXPECT_EQ(TimelineModel::first_ending_at_or_after(l, 0), 0u);
  EXPECT_EQ(TimelineModel::first_ending_at_or_after(l, 1000000 + 5000), 0u);  // ends exactly there
  EXPECT_EQ(TimelineModel::first_ending_at_or_after(l, 1000000 + 5001), 1u);
  EXPECT_EQ(TimelineModel::first_entering_at_or_after(l, 1000000 + 20000), 2u);
  EXPECT_EQ(TimelineModel::first_entering_at_or_after(l, 1000000 + 20001), 3u);
  EXPECT_EQ(TimelineModel::first_entering_at_or_after(l, UINT64_MAX), 100u);
  EXPECT_EQ(TimelineModel::call_at(l, 1000000 + 30000 + 2500), 3u);
  EXPECT_EQ(TimelineModel::call_at(l, 1000000 + 30000 + 7000), SIZE_MAX);  // in a gap
}

TEST(TimelineModel, WideCallsAreItemsOfTheirOwnInTheVisibleRangeOnly) {
  TimelineLane l = lane_of(100, 5000);
  std::vector<TimelineItem> out;
  // Calls 10..19 overlap [1.1e6, 1.2e6); call 9 ends at 1.095e6: not visible.
  TimelineModel::fold(l, 1100000, 1200000, 1000, out);
  ASSERT_EQ(out.size(), 10u);
  for (size_t i = 0; i < out.size(); i++) {
    EXPECT_EQ(out[i].first, 10 + i);
    EXPECT_EQ(out[i].count, 1u);
    EXPECT_EQ(out[i].t1 - out[i].t0, 5000u);
  }
  // A call straddling the left edge is included.
  out.clear();
  TimelineModel::fold(l, 1102000, 1120000, 1000, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].first, 10u);
}

TEST(TimelineModel, NarrowCallsFoldIntoBoundedItems) {
  TimelineLane l = lane_of(100000, 5000);  // 1 s of calls every 10 us
  std::vector<TimelineItem> out;
  // The whole second at 1 ms per minimum width: 1000 folds of ~100 calls, not 100000 items.
  TimelineModel::fold(l, 0, UINT64_MAX, 1000000, out);
  EXPECT_GE(out.size(), 900u);
  EXPECT_LE(out.size(), 1001u);
  uint64_t total = 0;
  for (size_t i = 0; i < out.size(); i++) {
    total += out[i].count;
    EXPECT_GE(out[i].t1 - out[i].t0, 1000000u);
    if (i > 0) {
      EXPECT_EQ(out[i].first, out[i - 1].first + out[i - 1].count);  // contiguous, no call twice
    }
    EXPECT_GE(out[i].longest, out[i].first);
    EXPECT_LT(out[i].longest, out[i].first + out[i].count);
  }
  EXPECT_EQ(total, 100000u);  // every call is in exactly one item
}

TEST(TimelineModel, AWideCallEndsAFold) {
  TimelineLane l = lane_of(10, 100);  // narrow calls every 10 us
  l.calls[5].dur = pack_duration(9000);  // call 5 is wide at min 5000
  std::vector<TimelineItem> out;
  TimelineModel::fold(l, 0, UINT64_MAX, 5000, out);
  bool found = false;
  for (const auto& it : out) {
    if (it.first <= 5 && 5 < it.first + it.count) {
      EXPECT_EQ(it.first, 5u);
      EXPECT_EQ(it.count, 1u);
      EXPECT_EQ(it.t1 - it.t0, 9000u);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(TimelineModel, AnIsolatedNarrowCallIsWidenedNotMerged) {
  TimelineLane l = lane_of(3, 10, 1000000);  // 10 ns calls 1 ms apart
  std::vector<TimelineItem> out;
  TimelineModel::fold(l, 0, UINT64_MAX, 3000, out);
  ASSERT_EQ(out.size(), 3u);
  for (const auto& it : out) {
    EXPECT_EQ(it.count, 1u);
    EXPECT_EQ(it.t1 - it.t0, 3000u);  // drawn at the minimum width
  }
}

// The window's lane order: who waited longest on top, never-waiting
// threads (here a waker that appeared first) at the bottom in arrival order.
TEST(TimelineModel, LanesByWaitPutTheWaitersFirst) {
  TimelineModel m;
  Chunk()
      .add(call(1, FXS_OP_FUTEX_WAKE, kA, 100, 110, 0))        // lane 0: only wakes
      .add(call(2, FXS_OP_FUTEX_WAIT, kA, 100, 400))           // lane 1: waited 300
      .add(call(3, FXS_OP_FUTEX_WAIT, kB, 100, 2100))          // lane 2: waited 2000
      .add(call(4, FXS_OP_FUTEX_WAIT, kB, 100, 200, -11))      // lane 3: EAGAIN only
      .into(m);
  ASSERT_EQ(m.lanes().size(), 4u);
  EXPECT_EQ(m.lanes_by_wait(), (std::vector<uint32_t>{2, 1, 0, 3}));
}

}  // namespace
}  // namespace fxs
