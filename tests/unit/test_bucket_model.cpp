// BucketModel: hash buckets from computed indices and contended lock
// addresses, on hand-made records (the real kernel is checked by
// tests/integration/test_record_buckets.cpp).
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <string>
#include <nlohmann/json.hpp>

#include "replay/bucket_model.h"
#include "replay/bucket_report.h"
#include "replay/futex_model.h"

namespace fxs {
namespace {

constexpr uint64_t kBase = 0xffff888100998000ull;   // global bucket array (64-aligned)
constexpr uint64_t kPhash = 0xffff888104560000ull;  // a private table

fxs_hash_global_rec global_shape() {
  fxs_hash_global_rec g{};
  g.hdr = {FXS_REC_HASH_GLOBAL, sizeof(g), 0};
  g.hash_mask = 511;
  g.hash_shift = 9;
  g.nr_node_ids = 1;
  g.bucket_size = 64;
  g.lock_offset = 4;
  g.numa_hash = 1;
  return g;
}

fxs_contention_rec spin(uint32_t tgid, uint64_t uaddr, uint8_t table, uint32_t index, uint64_t lock,
                        uint64_t spin_ns = 1000) {
  fxs_contention_rec c{};
  c.hdr = {FXS_REC_CONTENTION, sizeof(c), 0};
  c.tgid = tgid;
  c.tid = tgid;
  c.uaddr = uaddr;
  c.lock = lock;
  c.spin_ns = spin_ns;
  c.flags = 1;
  c.opi = FXS_OP_FUTEX_WAIT;
  c.bucket_where = FXS_BUCKET_WHERE(table, 0);
  c.bucket_index = index;
  return c;
}

fxs_futex_rec op(uint32_t tgid, uint64_t uaddr, uint8_t table, uint32_t index) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
  r.tgid = tgid;
  r.tid = tgid;
  r.uaddr = uaddr;
  r.opi = FXS_OP_FUTEX_WAKE;
  r.bucket_where = FXS_BUCKET_WHERE(table, 0);
  r.bucket_index = index;
  return r;
}


uint64_t global_lock(uint32_t index) { return kBase + 64ull * index + 4; }

// The futex records' buckets reach the bucket model through the futex model.
struct Models {
  BucketModel buckets;
  FutexModel futexes;
  // True for the bucket model's records.
  template <class R>
  bool feed(const R& r) {
    auto* h = reinterpret_cast<const fxs_rec_hdr*>(&r);
    ::fxs::feed(buckets, h);
    ::fxs::feed(futexes, h);
    return BucketModel::kReads.has(h->type);
  }
  BucketReport finish() { return buckets.finish(futexes.finish()); }
};

TEST(BucketModel, CalibratesTheGlobalTableFromTwoBucketsAndChecksEachSpin) {
  Models m;
  EXPECT_TRUE(m.feed(global_shape()));
  EXPECT_TRUE(m.feed(spin(5, 0x1000, FXS_BUCKET_GLOBAL, 10, global_lock(10))));
  EXPECT_TRUE(m.feed(spin(5, 0x2000, FXS_BUCKET_GLOBAL, 20, global_lock(20))));
  EXPECT_TRUE(m.feed(spin(5, 0x2000, FXS_BUCKET_GLOBAL, 20, global_lock(20))));
  // A wrong computation: the lock says bucket 20, the computation said 21.
  EXPECT_TRUE(m.feed(spin(5, 0x2000, FXS_BUCKET_GLOBAL, 21, global_lock(20))));
  // Another lock taken inside the calls (a runqueue lock), seen often but with one index only:
  // it agrees with itself and must not become the table's base.
  const uint64_t rq_lock = 0xffff88813bc00000ull + 4;
  for (int i = 0; i < 5; i++) EXPECT_TRUE(m.feed(spin(5, 0x1000, FXS_BUCKET_GLOBAL, 10, rq_lock)));
  EXPECT_FALSE(m.feed(op(5, 0x1000, FXS_BUCKET_GLOBAL, 10)));

  BucketReport r = m.finish();
  const BucketVerification& v = r.verification;
  ASSERT_EQ(v.global_base.size(), 1u);
  EXPECT_EQ(v.global_base.at(0), kBase);
  EXPECT_EQ(v.contentions, 9u);
  EXPECT_EQ(v.other_locks, 5u);
  EXPECT_EQ(v.bucket_locks, 4u);
  EXPECT_EQ(v.compared, 4u);
  EXPECT_EQ(v.matched, 3u);
  ASSERT_FALSE(r.buckets.empty());
  EXPECT_EQ(r.buckets[0].id.index, 20u);  // most spin time
  EXPECT_EQ(r.buckets[0].contended, 3u);
  // Its spins over time: three of 1000 ns, all at ts 0.
  EXPECT_EQ(r.buckets[0].spin_between(0, 1), 3000u);
  EXPECT_EQ(r.buckets[0].spin_between(1, 100), 0u);
  const FutexBucket* f = r.find(5, 0x1000);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->bucket.table, FXS_BUCKET_GLOBAL);
  EXPECT_EQ(f->bucket.index, 10u);
  EXPECT_EQ(f->contended, 1u);  // only spins on its bucket lock, not the runqueue lock
}

TEST(BucketModel, OneBucketCannotCalibrateTheGlobalTable) {
  Models m;
  m.feed(global_shape());
  for (int i = 0; i < 10; i++) m.feed(spin(5, 0x1000, FXS_BUCKET_GLOBAL, 10, global_lock(10)));
  BucketReport r = m.finish();
  EXPECT_TRUE(r.verification.global_base.empty());
  EXPECT_EQ(r.verification.other_locks, 10u);
  EXPECT_EQ(r.verification.compared, 0u);
}

TEST(BucketModel, PrivateTableCollisionsGetAdvice) {
  Models m;
  m.feed(global_shape());
  fxs_hash_rec h{};
  h.hdr = {FXS_REC_HASH, sizeof(h), 0};
  h.tgid = 7;
  h.tid = 7;
  h.mm = 0xffff888100001000ull;
  h.phash = kPhash;
  h.hash_mask = 15;
  h.queues_offset = 64;
  h.bucket_size = 64;
  EXPECT_TRUE(m.feed(h));
  // Two futexes share private bucket 3; a third is alone in bucket 9.
  m.feed(op(7, 0xa000, FXS_BUCKET_PRIVATE, 3));
  m.feed(op(7, 0xb000, FXS_BUCKET_PRIVATE, 3));
  m.feed(op(7, 0xc000, FXS_BUCKET_PRIVATE, 9));
  const uint64_t lock3 = kPhash + 64 + 3 * 64 + 4;
  m.feed(spin(7, 0xa000, FXS_BUCKET_PRIVATE, 3, lock3, 20000));

  BucketReport r = m.finish();
  EXPECT_EQ(r.verification.compared, 1u);
  EXPECT_EQ(r.verification.matched, 1u);
  ASSERT_EQ(r.buckets.size(), 1u);  // bucket 9 was neither shared nor fought over
  EXPECT_EQ(r.buckets[0].id.table, FXS_BUCKET_PRIVATE);
  EXPECT_EQ(r.buckets[0].id.tgid, 7u);
  EXPECT_EQ(r.buckets[0].futexes.size(), 2u);
  EXPECT_EQ(r.buckets[0].spin_ns, 20000u);
  ASSERT_EQ(r.processes.size(), 1u);
  EXPECT_EQ(r.processes[0].slots, 16u);
  EXPECT_EQ(r.processes[0].collision_spin_ns, 20000u);
  EXPECT_EQ(r.processes[0].suggested_slots, 32u);
}

TEST(BucketModel, SharedFutexLearnsItsBucketFromASpin) {
  Models m;
  m.feed(global_shape());
  m.feed(op(5, 0x3000, FXS_BUCKET_SHARED, 0));
  // Calibration from two private-key futexes, then a spin by the shared one.
  m.feed(spin(5, 0x1000, FXS_BUCKET_GLOBAL, 10, global_lock(10)));
  m.feed(spin(5, 0x2000, FXS_BUCKET_GLOBAL, 20, global_lock(20)));
  fxs_contention_rec c = spin(5, 0x3000, FXS_BUCKET_SHARED, 0, global_lock(77));
  m.feed(c);
  BucketReport r = m.finish();
  const FutexBucket* f = r.find(5, 0x3000);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->bucket.table, FXS_BUCKET_GLOBAL);
  EXPECT_EQ(f->bucket.index, 77u);
  EXPECT_TRUE(f->from_lock);
  EXPECT_EQ(futex_bucket_json(*f)["source"], "lock address");
  EXPECT_EQ(r.verification.compared, 2u);  // the shared one had nothing computed to compare
}

// `report --top 5` on a system-wide trace printed a hash-table line for every
// process: --top holds there too, the costliest processes first.
TEST(BucketReport, TextHonoursTopForProcesses) {
  BucketReport r;
  r.available = true;
  for (uint32_t tgid = 100; tgid < 130; tgid++) r.processes.push_back({tgid, 0, 0, 0, 0});
  r.processes[25].slots = 16;
  r.processes[25].collision_spin_ns = 50000;
  auto pid_lines = [&](size_t top, std::string& first) {
    std::ostringstream out;
    write_buckets_text(r, top, out);
    std::istringstream lines(out.str());
    std::string line;
    size_t n = 0;
    while (std::getline(lines, line))
      if (line.rfind("  pid ", 0) == 0 && n++ == 0) first = line;
    return std::make_pair(n, out.str());
  };
  std::string first;
  auto [n5, text5] = pid_lines(5, first);
  EXPECT_EQ(n5, 5u) << text5;
  EXPECT_EQ(first.rfind("  pid 125: 16 private slots", 0), 0u) << text5;
  EXPECT_NE(text5.find("  ... 25 more processes\n"), std::string::npos) << text5;
  auto [all, text_all] = pid_lines(0, first);
  EXPECT_EQ(all, 30u) << text_all;
  EXPECT_EQ(text_all.find("more processes"), std::string::npos) << text_all;
}

// A trace with no lock contention at all (a VM guest's spinlocks are not
// traced) says that its zero is no proof; one spin anywhere removes the note.
TEST(BucketReport, TextWarnsWhenTheKernelReportedNoContention) {
  auto text = [](const BucketReport& r) {
    std::ostringstream out;
    write_buckets_text(r, 0, out);
    return out.str();
  };
  Models m;
  m.feed(global_shape());
  m.feed(op(5, 0x1000, FXS_BUCKET_GLOBAL, 10));
  EXPECT_NE(text(m.finish()).find(kNoLockContentionNote), std::string::npos);
  Models spun;
  spun.feed(global_shape());
  spun.feed(spin(5, 0x1000, FXS_BUCKET_GLOBAL, 10, global_lock(10)));
  EXPECT_EQ(text(spun.finish()).find(kNoLockContentionNote), std::string::npos);
}

}  // namespace
}  // namespace fxs
