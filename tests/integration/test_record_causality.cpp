// Causality beyond who-woke-whom, recorded with the real BPF programs on the
// samples: the latency split of every wait that slept (FXS_REC_WAIT_SPLIT),
// checked record by record against its wait's own FXS_REC_FUTEX, and counted
// against the waits the sample saw itself sleep in (its nvcsw went up).
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "replay/trace_reader.h"
#include "run_command.h"

using nlohmann::json;
using fxs::test::find_futex;
using fxs::test::run_command;
using fxs::test::truth_from;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

struct Recorded {
  json truth, report;
  std::map<std::pair<uint32_t, uint64_t>, fxs_wait_split_rec> splits;  // (tid, wait enter) -> last sleep
  std::map<std::pair<uint32_t, uint64_t>, fxs_futex_rec> waits;        // (tid, enter) -> the wait
};

Recorded record(const std::vector<std::string>& cmd) {
  Recorded out;
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  std::vector<std::string> argv = {kFutexscope, "record", "-q", "-o", trace, "--"};
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  auto r = run_command(argv);
  EXPECT_EQ(r.status, 0) << r.err;
  out.truth = truth_from(r.out);
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << rep.err;
  out.report = rep.status == 0 ? json::parse(rep.out) : json();
  auto reader = fxs::TraceReader::open(trace);
  EXPECT_TRUE(reader.ok()) << (reader.ok() ? std::string() : reader.message());
  if (!reader.ok()) return out;
  fxs::Status st = reader->for_each_record([&](const fxs_rec_hdr* h) {
    if (h->type == FXS_REC_WAIT_SPLIT && h->size >= sizeof(fxs_wait_split_rec)) {
      fxs_wait_split_rec s;
      std::memcpy(&s, h, sizeof(s));
      auto [it, fresh] = out.splits.try_emplace({s.tid, s.wait_enter_ns}, s);
      if (!fresh && s.sleeps > it->second.sleeps) it->second = s;
    } else if (h->type == FXS_REC_FUTEX && h->size >= sizeof(fxs_futex_rec)) {
      fxs_futex_rec f;
      std::memcpy(&f, h, sizeof(f));
      if (f.enter_ns) out.waits[{f.tid, f.enter_ns}] = f;
    }
  });
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

// As many waits that slept as the sample saw sleep (its nvcsw went up),
// exactly. On this VM the kernel now and then runs a thread again without any
// sched_switch event for it (ftrace misses the same switch-ins); such a wait
// has no split record, and the report finds it from its sleeping switch-out
// and counts it as incomplete (`no_switch_in`). Every other wait is complete.
void check_splits(const Recorded& rec) {
  ASSERT_FALSE(rec.truth.is_null());
  ASSERT_EQ(rec.report["lost"].get<long>(), 0) << "events were dropped";
  ASSERT_FALSE(rec.splits.empty()) << "no FXS_REC_WAIT_SPLIT in the trace";

  // Record by record: each split belongs to a wait of the trace, and its five
  // moments come in order: switch-out, waking, wakeup, switch-in, exit.
  size_t checked = 0;
  for (const auto& [key, s] : rec.splits) {
    auto w = rec.waits.find(key);
    ASSERT_NE(w, rec.waits.end()) << "split of tid " << s.tid << " names no wait of the trace";
    const fxs_futex_rec& f = w->second;
    EXPECT_EQ(s.uaddr, f.opi == FXS_OP_FUTEX2_WAITV ? 0 : f.uaddr) << "tid " << s.tid;
    EXPECT_EQ(s.opi, f.opi);
    EXPECT_LE(f.enter_ns, s.sleep_ns) << "t0 before the call began, tid " << s.tid;
    EXPECT_NE(s.waking_ns, 0u) << "no sched_waking for a sleep of tid " << s.tid;
    EXPECT_NE(s.wakeup_ns, 0u) << "no sched_wakeup for a sleep of tid " << s.tid;
    EXPECT_LE(s.sleep_ns, s.waking_ns) << "t0 > t1, tid " << s.tid;
    EXPECT_LE(s.waking_ns, s.wakeup_ns) << "t1 > t2, tid " << s.tid;
    EXPECT_LE(s.wakeup_ns, s.run_ns) << "t2 > t3, tid " << s.tid;
    EXPECT_LE(s.run_ns, f.exit_ns) << "t3 > t4, tid " << s.tid;
    EXPECT_GE(s.sleeps, 1u);
    checked++;
    if (::testing::Test::HasFailure()) break;  // one broken record says enough
  }
  EXPECT_GT(checked, 100u);

  // Per futex: as many splits as the sample saw waits sleep (ping-pong words).
  long pid = rec.truth["pid"].get<long>();
  int words = 0;
  for (const auto& t : rec.truth["futexes"]) {
    if (!t.contains("slept")) continue;
    words++;
    const json* f = find_futex(rec.report, pid, t["uaddr"]);
    ASSERT_NE(f, nullptr) << t["uaddr"];
    const json& split = (*f)["latency_split_ns"];
    EXPECT_EQ(split["samples"], t["slept"]) << "waits that slept on " << t["uaddr"];
    EXPECT_EQ(split["incomplete"], split["no_switch_in"]) << "a hook other than the switch-in missed, "
                                                          << t["uaddr"];
    EXPECT_EQ(split["disordered"].get<long>(), 0) << t["uaddr"];
    if (t["slept"].get<long>() > 0) {
      // Each phase is positive, and no percentile above its max.
      for (const char* phase : {"waiting", "wake_to_run", "runqueue", "exit"}) {
        EXPECT_GT(split[phase]["max"].get<long>(), 0) << phase << " of " << t["uaddr"];
        EXPECT_LE(split[phase]["p99"].get<long>(), split[phase]["max"].get<long>()) << phase;
        EXPECT_LE(split[phase]["p50"].get<long>(), split[phase]["p99"].get<long>()) << phase;
      }
    }
  }
  EXPECT_EQ(words, 2) << "the condvar sample's ping-pong words should say how many waits slept";
}

class LatencySplit : public ::testing::TestWithParam<const char*> {};

TEST_P(LatencySplit, EveryWaitThatSleptHasAnOrderedSplit) {
  REQUIRE_ROOT();
  setenv("FXS_BPF_VARIANT", GetParam(), 1);
  Recorded rec = record({kSamples + "/fxs-sample-condvar"});
  unsetenv("FXS_BPF_VARIANT");
  check_splits(rec);
}

INSTANTIATE_TEST_SUITE_P(Variants, LatencySplit, ::testing::Values("tp_btf", "raw_tracepoint"));

}  // namespace

namespace {

// Futile wakeups: every woken wait of the sample, and those after which its
// thread went straight back to waiting, exactly as the sample counted them.
class FutileWakeups : public ::testing::TestWithParam<const char*> {};

TEST_P(FutileWakeups, EqualTheSamplesOwnCount) {
  REQUIRE_ROOT();
  Recorded rec = record({kSamples + "/" + GetParam()});
  ASSERT_FALSE(rec.truth.is_null());
  ASSERT_EQ(rec.report["lost"].get<long>(), 0) << "events were dropped";
  long pid = rec.truth["pid"].get<long>();
  int words = 0;
  long futile = 0;
  for (const auto& t : rec.truth["futexes"]) {
    if (!t.contains("futile_wakeups")) continue;
    words++;
    futile += t["futile_wakeups"]["futile"].get<long>();
    const json* f = find_futex(rec.report, pid, t["uaddr"]);
    ASSERT_NE(f, nullptr) << t["uaddr"];
    EXPECT_EQ((*f)["futile_wakeups"], t["futile_wakeups"]) << "futile wakeups of " << t["uaddr"];
  }
  EXPECT_GT(words, 0) << GetParam() << " should say which of its wakeups were futile";
  if (std::string(GetParam()) == "fxs-sample-mutex") {
    EXPECT_GT(futile, 0) << "a contended mutex with 4 threads should see some futile wakeups";
  }
}

INSTANTIATE_TEST_SUITE_P(Samples, FutileWakeups, ::testing::Values("fxs-sample-mutex", "fxs-sample-condvar"),
                         [](const auto& info) { return std::string(info.param).substr(11); });

}  // namespace

namespace {

// `kind` of the words whose kind the sample states (a mutex, condvar-style
// turn words, a requeue source), per-event trace: values and wake counts.
class Kinds : public ::testing::TestWithParam<const char*> {};

TEST_P(Kinds, OfTheSamplesWordsAreWhatTheSampleSays) {
  REQUIRE_ROOT();
  Recorded rec = record({kSamples + "/" + GetParam()});
  ASSERT_FALSE(rec.truth.is_null());
  long pid = rec.truth["pid"].get<long>();
  int words = 0;
  for (const auto& t : rec.truth["futexes"]) {
    if (!t.contains("kind")) continue;
    words++;
    const json* f = find_futex(rec.report, pid, t["uaddr"]);
    ASSERT_NE(f, nullptr) << t["uaddr"];
    EXPECT_EQ((*f)["kind"], t["kind"]) << "kind of " << t["uaddr"] << ", ops " << (*f)["ops"].dump();
  }
  EXPECT_GT(words, 0) << GetParam() << " states no kind";
}

INSTANTIATE_TEST_SUITE_P(Samples, Kinds, ::testing::Values("fxs-sample-mutex", "fxs-sample-condvar"),
                         [](const auto& info) { return std::string(info.param).substr(11); });

}  // namespace

namespace {

// The lock-holder view of the contended mutex: each holder's sleeps split
// into on-CPU, runnable, blocked and unknown time that add up, and every
// holder is a thread that woke waiters of this mutex.
TEST(Holders, OfTheContendedMutexAddUpAndAreItsWakers) {
  REQUIRE_ROOT();
  Recorded rec = record({kSamples + "/fxs-sample-mutex"});
  ASSERT_FALSE(rec.truth.is_null());
  long pid = rec.truth["pid"].get<long>();
  const json& t = rec.truth["futexes"][0];
  const json* f = find_futex(rec.report, pid, t["uaddr"]);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ((*f)["kind"], "mutex");
  const json& holders = (*f)["holders"];
  ASSERT_FALSE(holders.empty()) << "no holders for a mutex 4 threads fought over";
  std::set<long> wakers;
  for (const auto& e : (*f)["wakers"]) wakers.insert(e["waker_tid"].get<long>());
  long waits = 0, known = 0, total = 0;
  for (const auto& h : holders) {
    const long parts = h["on_cpu_ns"].get<long>() + h["runnable_ns"].get<long>() + h["blocked_ns"].get<long>() +
                       h["unknown_ns"].get<long>();
    EXPECT_EQ(parts, h["wait_ns"].get<long>()) << h.dump();
    EXPECT_TRUE(wakers.count(h["holder_tid"].get<long>())) << "holder " << h["holder_tid"] << " woke nobody";
    waits += h["waits"].get<long>();
    known += parts - h["unknown_ns"].get<long>();
    total += parts;
  }
  EXPECT_GT(waits, 0);
  EXPECT_LE(waits, (*f)["latency_split_ns"]["samples"].get<long>()) << "more holder sleeps than sleeps";
  EXPECT_GT(known, total / 2) << "the holders' context switches were mostly not found";
}

}  // namespace

namespace {

// Kernel stacks of the waits that slept, symbolized from /proc/kallsyms: with
// --stack-min-wait 0 every sleep of the ping-pong words has one, and it names
// the kernel's futex wait path.
TEST(KernelStacks, OfEveryWaitThatSleptNameTheFutexWaitPath) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string trace = dir.path("t.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "--stack-min-wait", "0", "-o", trace, "--",
                        kSamples + "/fxs-sample-condvar"});
  ASSERT_EQ(r.status, 0) << r.err;
  json truth = truth_from(r.out);
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  json report = json::parse(rep.out);
  long pid = truth["pid"].get<long>();
  int words = 0;
  for (const auto& t : truth["futexes"]) {
    if (!t.contains("slept") || t["slept"].get<long>() == 0) continue;
    words++;
    const json* f = find_futex(report, pid, t["uaddr"]);
    ASSERT_NE(f, nullptr);
    const json& ks = (*f)["kernel_stacks"];
    ASSERT_FALSE(ks.empty()) << "no kernel stack for " << t["uaddr"];
    long waits = 0;
    for (const auto& k : ks) {
      waits += k["waits"].get<long>();
      ASSERT_FALSE(k["frames"].empty());
      std::string all;
      for (const auto& fr : k["frames"]) all += fr.get<std::string>() + ";";
      EXPECT_NE(all.find("futex_wait"), std::string::npos) << all;
      EXPECT_NE(all.find("do_syscall_64"), std::string::npos) << all;
    }
    // Every sleep with a split record has its kernel stack (one stack, or a few);
    // the sleeps whose switch-in never came have no record to carry one.
    const json& split = (*f)["latency_split_ns"];
    EXPECT_EQ(waits, split["samples"].get<long>() - split["no_switch_in"].get<long>()) << t["uaddr"];
  }
  EXPECT_EQ(words, 2);
}

}  // namespace
