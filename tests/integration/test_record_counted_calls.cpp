// EAGAIN waits counted in the kernel (bpf/counted_calls.bpf.h): a workload
// whose every call is a FUTEX_WAIT that fails with EAGAIN (fxs-sample-buckets)
// is recorded by default, where those calls are counted per thread and word,
// and with --each-call, one record per call. Both reports must match the
// workload's own counts per word exactly, and the default trace must store
// far fewer records than the calls it holds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "replay/trace_reader.h"
#include "run_command.h"

using nlohmann::json;
using fxs::test::find_futex;
using fxs::test::run_command;
using fxs::test::TempDir;
using fxs::test::truth_from;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

// Records as stored in the chunks, before a reader expands counted calls.
uint64_t stored_records(const std::string& trace) {
  auto r = fxs::TraceReader::open(trace);
  EXPECT_TRUE(r.ok()) << r.message();
  if (!r.ok()) return 0;
  uint64_t n = 0;
  fxs::StoredChunk chunk;
  while (r->next_stored_chunk(chunk) == fxs::TraceReader::Next::kChunk) n += chunk.header.record_count;
  return n;
}

struct Recorded {
  uint64_t stored = 0, events = 0;
};

Recorded record_and_check(const std::vector<std::string>& extra, int words = 3) {
  TempDir dir;
  const std::string trace = dir.path("t.fxs");
  std::vector<std::string> cmd = {kFutexscope, "record", "-q", "-o", trace};
  cmd.insert(cmd.end(), extra.begin(), extra.end());
  cmd.insert(cmd.end(), {"--", kSamples + "/fxs-sample-buckets", "--threads", "2", "--words", std::to_string(words),
                         "--calls", "100000"});
  auto r = run_command(cmd);
  EXPECT_EQ(r.status, 0) << r.err;
  const json truth = truth_from(r.out);
  EXPECT_FALSE(truth.is_null()) << "sample printed no FXS_TRUTH line: " << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << rep.err;
  if (truth.is_null() || rep.status != 0) return {};
  const json report = json::parse(rep.out);
  EXPECT_EQ(report["lost"], 0);
  const long pid = truth["pid"];
  uint64_t calls = 0;
  for (const json& word : truth["futexes"]) {
    const std::string uaddr = word["uaddr"];
    const json* f = find_futex(report, pid, uaddr);
    EXPECT_NE(f, nullptr) << "the futex word " << uaddr << " is not in the report";
    if (!f) continue;
    EXPECT_EQ((*f)["ops"], word["ops"]) << uaddr;
    EXPECT_EQ((*f)["eagain"], word["eagain"]) << uaddr;
    calls += word["eagain"].get<uint64_t>();
  }
  EXPECT_GE(calls, 2u * 100000u);
  return {stored_records(trace), report["events"].get<uint64_t>()};
}

TEST(RecordCountedCalls, EagainWaitsCountedInTheKernelKeepEveryCount) {
  REQUIRE_ROOT();
  const Recorded counted = record_and_check({});
  const Recorded each = record_and_check({"--each-call"});
  // 200,000 EAGAIN waits on 3 words: counted per thread and word every 20 ms.
  EXPECT_LT(counted.stored * 10, counted.events) << counted.stored << " records stored for " << counted.events
                                                 << " events";
  EXPECT_GE(each.stored, each.events) << "--each-call stores one record per call";
}

// A map too small for the thread x word entries: the calls that find it full
// get records of their own, and every count stays exact.
TEST(RecordCountedCalls, AFullMapLosesNoCall) {
  REQUIRE_ROOT();
  setenv("FXS_COUNTED_ENTRIES", "8", 1);
  const Recorded full = record_and_check({}, 32);  // 64 entries wanted
  unsetenv("FXS_COUNTED_ENTRIES");
  EXPECT_GT(full.stored, full.events / 2) << "most calls should have found the map full";
}

}  // namespace
