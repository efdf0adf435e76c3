// replay/umcg_lanes.h on a trace in the recorded format: FXS_REC_UMCG records
// are written with TraceWriter to a file, read back with TraceReader and fed
// to the lane builder, as the UI's loader does. No kernel produces UMCG
// records (never merged), so the fixture is the ground truth: two servers in
// one process, three workers, every umcg_wait(next_tid) of a server with its
// return (one without), and the spans each worker ran in.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "replay/trace_reader.h"
#include "replay/trace_writer.h"
#include "replay/umcg_lanes.h"

namespace fxs {
namespace {

constexpr uint32_t kPid = 600, kS1 = 601, kW1 = 602, kW2 = 603, kS2 = 604, kW3 = 605;
constexpr uint32_t NONE = FXS_UMCG_TASK_NONE, RUNNING = FXS_UMCG_TASK_RUNNING,
                   RUNNABLE = FXS_UMCG_TASK_RUNNABLE, BLOCKED = FXS_UMCG_TASK_BLOCKED;
constexpr uint8_t CTL = FXS_UMCG_SC_CTL, WAIT = FXS_UMCG_SC_WAIT;
constexpr uint32_t REG = FXS_UMCG_CTL_REGISTER, WORKER = FXS_UMCG_CTL_WORKER;

struct Obs {
  uint64_t ts;
  uint32_t tid;
  uint8_t sc, phase;
  uint32_t state;
  uint32_t flags = 0;
  uint32_t next_tid = 0;
  uint32_t server_tid = 0;
};

// Registration order puts the second server's worker (W3, tid 605) after
// S2 in tid order, and S2 after S1's workers: the lanes must group them.
std::vector<Obs> fixture() {
  return {
      {100, kS1, CTL, 0, NONE, REG},
      {101, kS1, CTL, 1, RUNNING, REG},
      {102, kS2, CTL, 0, NONE, REG},
      {103, kS2, CTL, 1, RUNNING, REG},
      {110, kW1, CTL, 0, NONE, REG | WORKER},
      {111, kW1, CTL, 1, RUNNABLE, REG | WORKER, 0, kS1},
      {112, kW2, CTL, 0, NONE, REG | WORKER},
      {113, kW2, CTL, 1, RUNNABLE, REG | WORKER, 0, kS1},
      {114, kW3, CTL, 0, NONE, REG | WORKER},
      {115, kW3, CTL, 1, RUNNABLE, REG | WORKER, 0, kS2},
      // S1 runs W1 [200, 300): W1 blocks, S1's umcg_wait returns.
      {200, kS1, WAIT, 0, RUNNING, 0, kW1},
      {205, kW1, WAIT, 1, RUNNING, 0, 0, kS1},
      {290, kW1, WAIT, 0, BLOCKED, 0, 0, kS1},
      {300, kS1, WAIT, 1, RUNNING},
      // S2 runs W3 [210, 400).
      {210, kS2, WAIT, 0, RUNNING, 0, kW3},
      {215, kW3, WAIT, 1, RUNNING, 0, 0, kS2},
      {395, kW3, WAIT, 0, RUNNABLE, 0, 0, kS2},
      {400, kS2, WAIT, 1, RUNNING},
      // S1 runs W2 [310, 500).
      {310, kS1, WAIT, 0, RUNNING, 0, kW2},
      {320, kW2, WAIT, 1, RUNNING, 0, 0, kS1},
      {480, kW2, WAIT, 0, RUNNABLE, 0, 0, kS1},
      {500, kS1, WAIT, 1, RUNNING},
      // W1 was woken meanwhile; S1 runs it again, but that umcg_wait's exit
      // is missing: the span ends at S1's next record (its unregistration).
      {350, kW1, WAIT, 1, RUNNABLE, 0, 0, kS1},
      {510, kS1, WAIT, 0, RUNNING, 0, kW1},
      {520, kW1, WAIT, 1, RUNNING, 0, 0, kS1},
      {600, kS1, CTL, 0, RUNNING, 2 /* UNREGISTER */},
      {601, kS1, CTL, 1, NONE, 2},
  };
}

class UmcgLanesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fxs-umcg-lanes-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/lanes.fxs";
    TraceHeader h;
    h.kernel_release = "umcg-test";
    auto w = TraceWriter::create(path_, h, 256);
    ASSERT_TRUE(w.ok()) << w.message();
    for (const Obs& o : fixture()) {
      fxs_umcg_rec r{};
      r.hdr = {FXS_REC_UMCG, sizeof(r), 0};
      r.ts_ns = o.ts;
      r.tgid = kPid;
      r.tid = o.tid;
      r.flags = o.flags;
      r.state = o.state;
      r.next_tid = o.next_tid;
      r.server_tid = o.server_tid;
      r.syscall = o.sc;
      r.phase = o.phase;
      r.task_read = 1;
      ASSERT_TRUE(w->append(&r, sizeof(r)).ok());
    }
    fxs_stop_rec stop{};
    stop.hdr = {FXS_REC_STOP, sizeof(stop), 0};
    stop.ts_ns = 700;
    ASSERT_TRUE(w->append(&stop, sizeof(stop)).ok());
    ASSERT_TRUE(w->close().ok());
    auto rd = TraceReader::open(path_);
    ASSERT_TRUE(rd.ok()) << rd.message();
    size_t others = 0;
    ASSERT_TRUE(rd->for_each_record([&](const fxs_rec_hdr* h) {
                    builder_.add(h);
                    if (!UmcgLaneBuilder::kReads.has(h->type)) others++;
                  }).ok());
    EXPECT_EQ(others, 1u);
    set_ = builder_.finish();
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  const UmcgLane& lane(uint32_t tid) const {
    for (const auto& l : set_.lanes)
      if (l.tid == tid) return l;
    ADD_FAILURE() << "no lane " << tid;
    static UmcgLane none;
    return none;
  }

  std::string dir_, path_;
  UmcgLaneBuilder builder_;
  UmcgLaneSet set_;
};

TEST_F(UmcgLanesTest, ServersComeFirstEachFollowedByItsWorkers) {
  std::vector<uint32_t> order;
  for (const auto& l : set_.lanes) order.push_back(l.tid);
  EXPECT_EQ(order, (std::vector<uint32_t>{kS1, kW1, kW2, kS2, kW3}));
  EXPECT_EQ(lane(kS1).role, UmcgRole::kServer);
  EXPECT_EQ(lane(kW3).role, UmcgRole::kWorker);
  EXPECT_EQ(lane(kW3).server, kS2);
  EXPECT_EQ(set_.first_ns, 100u);
  EXPECT_EQ(set_.last_ns, 601u);
  EXPECT_EQ(set_.report.records, fixture().size());
}

TEST_F(UmcgLanesTest, ServingSpansAreTheUmcgWaitsThatNamedAWorker) {
  const auto& s1 = lane(kS1).serving;
  ASSERT_EQ(s1.size(), 3u);
  EXPECT_EQ(s1[0].t0, 200u);
  EXPECT_EQ(s1[0].t1, 300u);
  EXPECT_EQ(s1[0].peer, kW1);
  EXPECT_EQ(s1[1].t0, 310u);
  EXPECT_EQ(s1[1].t1, 500u);
  EXPECT_EQ(s1[1].peer, kW2);
  // No exit for the last one: it ends at S1's next record.
  EXPECT_EQ(s1[2].t0, 510u);
  EXPECT_EQ(s1[2].t1, 600u);
  EXPECT_EQ(s1[2].peer, kW1);
  EXPECT_EQ(lane(kS1).serving_ns, 100u + 190u + 90u);
  ASSERT_EQ(lane(kS2).serving.size(), 1u);
  EXPECT_EQ(lane(kS2).serving[0].peer, kW3);
  EXPECT_TRUE(lane(kW1).serving.empty());  // workers serve nobody
}

TEST_F(UmcgLanesTest, WorkerSpansFollowTheStateAndNameTheServerThatRanThem) {
  struct Want {
    uint64_t t0, t1;
    uint32_t state, peer;
  };
  auto check = [&](uint32_t tid, const std::vector<Want>& want) {
    const auto& sp = lane(tid).spans;
    ASSERT_EQ(sp.size(), want.size()) << "worker " << tid;
    for (size_t i = 0; i < want.size(); i++) {
      EXPECT_EQ(sp[i].t0, want[i].t0) << tid << " span " << i;
      EXPECT_EQ(sp[i].t1, want[i].t1) << tid << " span " << i;
      EXPECT_EQ(sp[i].state, want[i].state) << tid << " span " << i;
      EXPECT_EQ(sp[i].peer, want[i].peer) << tid << " span " << i;
    }
  };
  check(kW1, {{110, 111, NONE, 0},
              {111, 205, RUNNABLE, 0},
              {205, 290, RUNNING, kS1},
              {290, 350, BLOCKED, 0},
              {350, 520, RUNNABLE, 0},
              {520, 520, RUNNING, kS1}});  // last observation: the lane ends there
  check(kW2, {{112, 113, NONE, 0}, {113, 320, RUNNABLE, 0}, {320, 480, RUNNING, kS1}, {480, 480, RUNNABLE, 0}});
  check(kW3, {{114, 115, NONE, 0}, {115, 215, RUNNABLE, 0}, {215, 395, RUNNING, kS2}, {395, 395, RUNNABLE, 0}});
  // A server's own lane: its state, no peer.
  check(kS1, {{100, 101, NONE, 0}, {101, 601, RUNNING, 0}, {601, 601, NONE, 0}});
}

// fold() against a brute force over many short and some long spans.
TEST(UmcgLaneFold, EverySpanInRangeIsInExactlyOneItemAndShortOnesFold) {
  std::vector<UmcgSpan> spans;
  uint64_t t = 1000;
  for (uint32_t i = 0; i < 20000; i++) {
    uint64_t len = i % 500 == 0 ? 50000 : 3 + (i * 7919u) % 40;  // a long one now and then
    spans.push_back({t, t + len, i % 3 + 1, i});
    t += len;
  }
  for (uint64_t min_ns : {1ull, 10ull, 100ull, 5000ull}) {
    for (auto [t0, t1] : {std::pair<uint64_t, uint64_t>{0, t + 10}, {200000, 300000}, {spans[777].t0 + 1, spans[900].t1}}) {
      std::vector<UmcgLaneItem> items;
      UmcgLaneBuilder::fold(spans, t0, t1, min_ns, items);
      size_t expect_first = SIZE_MAX, expect_n = 0;
      for (size_t i = 0; i < spans.size(); i++)
        if (spans[i].t1 > t0 && spans[i].t0 < t1) {
          if (expect_first == SIZE_MAX) expect_first = i;
          expect_n++;
        }
      ASSERT_FALSE(items.empty());
      size_t next = expect_first, n = 0;
      for (const auto& it : items) {
        EXPECT_EQ(it.first, next) << "min_ns " << min_ns;
        next = it.first + it.count;
        n += it.count;
        if (it.count == 1) {
          EXPECT_EQ(it.t0, spans[it.first].t0);
          // A short span alone is drawn min_ns wide.
          EXPECT_EQ(it.t1, std::max(spans[it.first].t1, spans[it.first].t0 + min_ns));
          EXPECT_EQ(it.state, spans[it.first].state);
        } else {
          EXPECT_GE(it.t1 - it.t0, min_ns);
          for (uint32_t k = it.first; k < it.first + it.count; k++)
            EXPECT_LT(spans[k].t1 - spans[k].t0, min_ns) << "a long span was folded";
        }
      }
      // Every span in range is covered; a fold that starts in range may
      // take spans just past its end (within min_ns), nothing else.
      EXPECT_GE(n, expect_n) << "min_ns " << min_ns;
      EXPECT_LT(items.back().t0, t1);
      EXPECT_LE(spans[next - 1].t0, std::max(t1, items.back().t0 + min_ns)) << "min_ns " << min_ns;
      // Folding bounds the items by the pixels: about two per min_ns of range.
      if (min_ns >= 100) {
        EXPECT_LE(items.size(), 2 * (std::min(t1, t) - std::max(t0, uint64_t(1000))) / min_ns + 60)
            << "min_ns " << min_ns;
      }
    }
  }
}

}  // namespace
}  // namespace fxs
