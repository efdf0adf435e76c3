// replay/rseq_model.h: aborts per critical section / thread / CPU with causes,
// per-thread counts from cumulative snapshots, symbols, and the JSON object.
// Records are built in memory; expected numbers are derived by hand.
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "replay/rseq_model.h"
#include "replay/rseq_report.h"

namespace fxs {
namespace {

constexpr uint32_t kPid = 700;
constexpr uint64_t kCsA = 0x55550000a000, kCsB = 0x55550000b000;

fxs_rseq_abort_rec abort_rec(uint32_t tid, uint64_t start_ip, uint8_t cause, uint16_t cpu,
                             uint32_t tgid = kPid) {
  fxs_rseq_abort_rec r{};
  r.hdr = {FXS_REC_RSEQ_ABORT, sizeof(r), 0};
  r.ts_ns = 1000;
  r.tgid = tgid;
  r.tid = tid;
  r.start_ip = start_ip;
  r.post_commit_offset = 21;
  r.abort_ip = start_ip + 0x100;
  r.regs_ip = start_ip + 4;
  r.cpu = cpu;
  r.cause = cause;
  return r;
}

fxs_rseq_thread_rec thread_rec(uint32_t tid, uint64_t first_ns, uint64_t updates, uint64_t aborts,
                               bool exited = false) {
  fxs_rseq_thread_rec r{};
  r.hdr = {FXS_REC_RSEQ_THREAD, sizeof(r), 0};
  r.ts_ns = 2000;
  r.tgid = kPid;
  r.tid = tid;
  r.c.first_ns = first_ns;
  r.c.updates = updates;
  r.c.aborts = aborts;
  r.c.preempted = updates;
  r.c.registrations = 1;
  r.exited = exited;
  return r;
}

template <typename T>
void add(RseqModel& m, const T& r) {
  m.add(&r.hdr);
}

TEST(RseqModel, AbortsBySectionThreadAndCpuWithCauses) {
  RseqModel m;
  add(m, abort_rec(701, kCsA, FXS_RSEQ_CAUSE_PREEMPTED, 0));
  add(m, abort_rec(701, kCsA, FXS_RSEQ_CAUSE_PREEMPTED, 1));
  add(m, abort_rec(702, kCsA, FXS_RSEQ_CAUSE_SIGNAL, 1));
  add(m, abort_rec(702, kCsB, FXS_RSEQ_CAUSE_MIGRATED, 1));
  add(m, abort_rec(702, kCsB, 200 /* out of range: unknown */, 1));
  add(m, abort_rec(702, kCsA, FXS_RSEQ_CAUSE_BLOCKED, 0));
  RseqReport r = m.finish();
  EXPECT_TRUE(r.captured);
  EXPECT_EQ(r.aborts, 6u);
  ASSERT_EQ(r.by_cs.size(), 2u);
  EXPECT_EQ(r.by_cs[0].start_ip, kCsA);  // most aborts first
  EXPECT_EQ(r.by_cs[0].aborts, 4u);
  EXPECT_EQ(r.by_cs[0].threads, 2u);
  EXPECT_EQ(r.by_cs[0].causes[FXS_RSEQ_CAUSE_PREEMPTED], 2u);
  EXPECT_EQ(r.by_cs[0].causes[FXS_RSEQ_CAUSE_SIGNAL], 1u);
  EXPECT_EQ(r.by_cs[0].causes[FXS_RSEQ_CAUSE_BLOCKED], 1u);
  EXPECT_EQ(r.by_cs[1].causes[FXS_RSEQ_CAUSE_MIGRATED], 1u);
  EXPECT_EQ(r.by_cs[1].causes[FXS_RSEQ_CAUSE_UNKNOWN], 1u);
  EXPECT_EQ(r.by_cs[1].post_commit_offset, 21u);
  EXPECT_EQ(r.causes[FXS_RSEQ_CAUSE_PREEMPTED], 2u);
  ASSERT_EQ(r.per_cpu.size(), 2u);
  EXPECT_EQ(r.per_cpu[0].cpu, 0u);
  EXPECT_EQ(r.per_cpu[0].aborts, 2u);
  EXPECT_EQ(r.per_cpu[1].aborts, 4u);
  ASSERT_EQ(r.by_pid.size(), 1u);
  EXPECT_EQ(r.by_pid[0].aborts, 6u);
  ASSERT_EQ(r.threads.size(), 2u);
  EXPECT_EQ(r.threads[0].abort_records, 2u);
  EXPECT_EQ(r.threads[1].abort_records, 4u);
}

// Snapshots of one thread life: each counter's largest value wins, in any order;
// a reused tid (a new first_ns) is a second life, added to the first.
TEST(RseqModel, ThreadCountsFromCumulativeSnapshots) {
  RseqModel m;
  add(m, thread_rec(701, 10, 50, 5, true));  // the exit record may be drained first
  add(m, thread_rec(701, 10, 40, 4));
  add(m, thread_rec(701, 10, 20, 2));
  add(m, thread_rec(701, 900, 7, 1));  // tid reused later in the recording
  add(m, thread_rec(702, 20, 3, 0));
  RseqReport r = m.finish();
  EXPECT_EQ(r.updates, 50u + 7u + 3u);
  EXPECT_EQ(r.aborts_counted, 5u + 1u);
  EXPECT_EQ(r.aborts, 0u);  // no abort records
  EXPECT_EQ(r.preempted, 60u);
  ASSERT_EQ(r.threads.size(), 2u);
  EXPECT_EQ(r.threads[0].counts.updates, 57u);
  EXPECT_EQ(r.threads[0].counts.registrations, 2u);
  EXPECT_EQ(r.by_pid[0].updates, 60u);
  EXPECT_EQ(r.by_pid[0].threads, 2u);
}

TEST(RseqModel, SymbolsNamesRegistrationsAndCounters) {
  RseqModel m;
  fxs_task_rec t{};
  t.hdr = {FXS_REC_TASK, sizeof(t), 0};
  t.tgid = kPid;
  t.tid = 701;
  std::strcpy(t.comm, "worker");
  std::strcpy(t.pcomm, "app");
  m.add(&t.hdr);  // names are read (the futex model reads them too)

  // A symbol record: fixed part + "fxs_cs" NUL-padded to a multiple of 8.
  std::vector<uint8_t> buf(sizeof(fxs_rseq_sym_rec) + 8, 0);
  fxs_rseq_sym_rec s{};
  s.hdr = {FXS_REC_RSEQ_SYM, uint16_t(buf.size()), 0};
  s.tgid = kPid;
  s.start_ip = kCsA;
  s.offset = 0x1c;
  std::memcpy(buf.data(), &s, sizeof(s));
  std::memcpy(buf.data() + sizeof(s), "fxs_cs", 6);
  m.add(reinterpret_cast<const fxs_rec_hdr*>(buf.data()));
  add(m, abort_rec(701, kCsA, FXS_RSEQ_CAUSE_PREEMPTED, 0));

  fxs_rseq_reg_rec reg{};
  reg.hdr = {FXS_REC_RSEQ_REG, sizeof(reg), 0};
  reg.tgid = kPid;
  reg.tid = 701;
  add(m, reg);          // registered
  reg.flags = 1;
  add(m, reg);          // unregistered
  reg.ret = -22;
  add(m, reg);          // failed

  fxs_rseq_stats_rec st{};
  st.hdr = {FXS_REC_RSEQ_STATS, sizeof(st), 0};
  st.counters[FXS_RSEQ_CNT_RINGBUF_DROP] = 3;
  add(m, st);
  fxs_rec_hdr truncated = {FXS_REC_RSEQ_ABORT, sizeof(fxs_rec_hdr), 0};
  m.add(&truncated);
  fxs_rec_hdr futex = {FXS_REC_FUTEX, sizeof(fxs_rec_hdr), 0};
  m.add(&futex);  // not the model's: ignored

  RseqReport r = m.finish();
  ASSERT_EQ(r.by_cs.size(), 1u);
  EXPECT_EQ(r.by_cs[0].symbol, "fxs_cs+0x1c");
  EXPECT_EQ(r.by_cs[0].comm, "app");
  EXPECT_EQ(r.threads[0].comm, "worker");
  EXPECT_EQ(r.registrations, 1u);
  EXPECT_EQ(r.unregistrations, 1u);
  EXPECT_EQ(r.failed_registrations, 1u);
  EXPECT_EQ(r.counters[FXS_RSEQ_CNT_RINGBUF_DROP], 3u);
  ASSERT_EQ(r.warnings.size(), 2u);  // records lost, one malformed
  EXPECT_NE(r.warnings[0].find("3 rseq records lost"), std::string::npos);

  nlohmann::json j = rseq_json(r);
  EXPECT_EQ(j["aborts"], 1);
  EXPECT_EQ(j["by_cs"][0]["pid"], kPid);
  EXPECT_EQ(j["by_cs"][0]["start_ip"], "0x55550000a000");
  EXPECT_EQ(j["by_cs"][0]["symbol"], "fxs_cs+0x1c");
  EXPECT_EQ(j["by_cs"][0]["causes"]["preempted"], 1);
  EXPECT_EQ(j["by_cs"][0]["causes"]["unknown"], 0);
  EXPECT_EQ(j["counters"]["ringbuf_drop"], 3);
  std::ostringstream text;
  write_rseq_text(r, 20, text);
  EXPECT_NE(text.str().find("<fxs_cs+0x1c>"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("LOST"), std::string::npos) << text.str();
}

TEST(RseqModel, EmptyTraceIsNotCaptured) {
  RseqModel m;
  RseqReport r = m.finish();
  EXPECT_FALSE(r.captured);
  nlohmann::json j = rseq_json(r);
  EXPECT_EQ(j["updates"], 0);
  EXPECT_EQ(j["aborts"], 0);
  EXPECT_TRUE(j["by_cs"].is_array());
  EXPECT_TRUE(j["by_cs"].empty());
  std::ostringstream text;
  write_rseq_text(r, 20, text);
  EXPECT_NE(text.str().find("rseq: not captured"), std::string::npos);
}

}  // namespace
}  // namespace fxs
