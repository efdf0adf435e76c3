// replay/rseq_timeline.h: abort times per section and cause, counted over time
// ranges with binary searches. Aborts arrive out of order across a batch, as
// records of several CPUs do; the counts are checked against a brute force.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "replay/rseq_timeline.h"

namespace fxs {
namespace {

struct Abort {
  uint64_t ts;
  uint32_t tgid;
  uint64_t start_ip;
  uint8_t cause;
};

fxs_rseq_abort_rec rec(const Abort& a) {
  fxs_rseq_abort_rec r{};
  r.hdr = {FXS_REC_RSEQ_ABORT, sizeof(r), 0};
  r.ts_ns = a.ts;
  r.tgid = a.tgid;
  r.tid = a.tgid + 1;
  r.start_ip = a.start_ip;
  r.cause = a.cause;
  return r;
}

TEST(RseqAbortTimes, CountsPerSectionAndCauseMatchABruteForce) {
  std::mt19937_64 rng(42);
  std::vector<Abort> all;
  RseqAbortTimes t;
  const uint64_t kIps[] = {0x1000, 0x2000, 0x3000};
  uint64_t ts = 1'000'000;
  for (int batch = 0; batch < 20; batch++) {
    std::vector<Abort> b;
    for (int i = 0; i < 500; i++) {
      ts += rng() % 1000;
      // Causes 0..4 plus an out-of-range one (counted as unknown).
      uint8_t cause = uint8_t(rng() % 6);
      b.push_back({ts, uint32_t(100 + rng() % 2), kIps[rng() % 3], cause});
    }
    // Within a batch, neighbours swap: records of two CPUs interleave late.
    for (size_t i = 0; i + 1 < b.size(); i += 3) std::swap(b[i], b[i + 1]);
    for (const Abort& a : b) {
      auto r = rec(a);
      t.add(&r.hdr);
      all.push_back(a);
    }
    t.finish_batch();
  }
  fxs_rec_hdr other{FXS_REC_FUTEX, 8, 0};
  t.add(&other);  // not the model's: ignored
  EXPECT_EQ(t.total(), all.size());
  EXPECT_EQ(t.sections(), 6u);
  EXPECT_EQ(t.section(100, 0x4000), SIZE_MAX);

  for (int q = 0; q < 200; q++) {
    uint64_t a = 1'000'000 + rng() % (ts - 1'000'000), b = a + rng() % 300000;
    uint32_t tgid = uint32_t(100 + rng() % 2);
    uint64_t ip = kIps[rng() % 3];
    size_t s = q % 4 == 0 ? RseqAbortTimes::kAll : t.section(tgid, ip);
    for (unsigned c = 0; c < FXS_RSEQ_NR_CAUSES; c++) {
      uint64_t want = 0;
      for (const Abort& x : all) {
        unsigned xc = x.cause < FXS_RSEQ_NR_CAUSES ? x.cause : 0;
        bool in_section = s == RseqAbortTimes::kAll || (x.tgid == tgid && x.start_ip == ip);
        if (in_section && xc == c && x.ts >= a && x.ts < b) want++;
      }
      EXPECT_EQ(t.count(s, c, a, b), want) << "query " << q << " cause " << c;
    }
  }
  EXPECT_EQ(t.count(RseqAbortTimes::kAll, 0, UINT64_MAX), all.size());
  EXPECT_EQ(t.count(RseqAbortTimes::kAll, 500, 400), 0u);
  EXPECT_EQ(t.first_ns(), all.front().ts < all[1].ts ? all.front().ts : all[1].ts);
  EXPECT_EQ(t.last_ns(), ts);
}

// Late records that reach back past earlier batches (a CPU whose ring was
// drained late): after every batch the times must be exactly what a full
// sort of everything so far gives. Every count over [0, t) and [t, t + 1)
// at each time seen is a binary search that only answers right on a sorted
// vector, so the counts compare the order itself, vector by vector.
TEST(RseqAbortTimes, BatchesWithLateRecordsEqualAFullSort) {
  std::mt19937_64 rng(7);
  RseqAbortTimes t;
  const uint64_t kIps[] = {0x1000, 0x2000};
  std::vector<Abort> all;
  uint64_t ts = 10'000'000;
  for (int batch = 0; batch < 12; batch++) {
    std::vector<Abort> b;
    for (int i = 0; i < 300; i++) {
      ts += 1 + rng() % 500;
      b.push_back({ts, 100, kIps[rng() % 2], uint8_t(rng() % FXS_RSEQ_NR_CAUSES)});
    }
    // A handful from far back: before this batch, some before several earlier batches.
    for (int i = 0; i < 1 + batch % 4; i++)
      b.push_back({10'000'000 + rng() % (ts - 10'000'000), 100, kIps[rng() % 2], uint8_t(rng() % 2)});
    // Equal times too, and the batch shuffled as a whole.
    b.push_back(b[rng() % b.size()]);
    std::shuffle(b.begin(), b.end(), rng);
    for (const Abort& a : b) {
      auto r = rec(a);
      t.add(&r.hdr);
      all.push_back(a);
    }
    t.finish_batch();

    for (size_t k = 0; k < 3; k++) {
      const bool every = k == 2;
      const size_t s = every ? RseqAbortTimes::kAll : t.section(100, kIps[k]);
      ASSERT_TRUE(every || s != SIZE_MAX);
      for (unsigned c = 0; c < FXS_RSEQ_NR_CAUSES; c++) {
        std::vector<uint64_t> want;
        for (const Abort& a : all)
          if ((every || a.start_ip == kIps[k]) && a.cause == c) want.push_back(a.ts);
        std::sort(want.begin(), want.end());
        for (size_t i = 0; i < want.size(); i++) {
          uint64_t x = want[i];
          uint64_t before = uint64_t(std::lower_bound(want.begin(), want.end(), x) - want.begin());
          uint64_t equal = uint64_t(std::upper_bound(want.begin(), want.end(), x) - want.begin()) - before;
          ASSERT_EQ(t.count(s, c, 0, x), before) << "batch " << batch << " section " << k << " cause " << c;
          ASSERT_EQ(t.count(s, c, x, x + 1), equal) << "batch " << batch << " section " << k << " cause " << c;
        }
        ASSERT_EQ(t.count(s, c, 0, UINT64_MAX), want.size());
      }
    }
  }
  EXPECT_EQ(t.total(), all.size());
}

}  // namespace
}  // namespace fxs
