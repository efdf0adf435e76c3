// The JSON writer against nlohmann::json: the report's futex lines are
// written with the one and read with the other (by users' scripts, and by
// these tests), so each value and whole futex objects must read back equal,
// and the text must be what nlohmann would write (sorted keys, its number
// and escape formats).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "replay/bucket_report.h"
#include "replay/json_writer.h"
#include "replay/numa_report.h"
#include "replay/report.h"

namespace {

using fxs::JsonWriter;
using nlohmann::json;

std::string written(double v) {
  std::string s;
  JsonWriter(s).value(v);
  return s;
}

TEST(JsonWriter, DoublesAsNlohmannWritesThem) {
  for (double v : {0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 1.0 / 3, 2.0 / 3, 0.5002993115833583, 1e-4, 1.5e-4, 1e-5, 9.99e-5,
                   123456789012345.0, 1234567890123456.0, 1e15, 1e16, 1e21, 1.7976931348623157e308, 5e-324,
                   2.2250738585072014e-308, 1e100, -2.5e-7, 42.0, 100.0})
    EXPECT_EQ(written(v), json(v).dump()) << v;
  EXPECT_EQ(written(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(written(std::nan("")), "null");
}

TEST(JsonWriter, RandomDoublesReadBackExactly) {
  // Shortest digits that read back as the value: nlohmann's Grisu2 may pick
  // a longer string in rare cases, so the bytes may differ, never the value.
  std::mt19937_64 rng(7);
  size_t same_text = 0, n = 20000;
  for (size_t i = 0; i < n; i++) {
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (!std::isfinite(v)) continue;
    const std::string s = written(v);
    EXPECT_EQ(json::parse(s).get<double>(), v) << s;
    same_text += s == json(v).dump();
  }
  EXPECT_GT(same_text, n * 99 / 100);
}

TEST(JsonWriter, StringsEscapedAsNlohmannEscapesThem) {
  std::string all;
  for (int c = 1; c < 128; c++) all += char(c);
  all += "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92";  // é € and a 4-byte character, left as they are
  for (const std::string& v : {all, std::string(), std::string("\"quoted\" \\ back"), std::string("a\0b", 3)}) {
    std::string s;
    JsonWriter(s).value(v);
    EXPECT_EQ(s, json(v).dump());
  }
}

TEST(JsonWriter, NestingAndIntegersAsNlohmannWritesThem) {
  std::string s;
  JsonWriter w(s);
  w.begin_object();
  w.key("a").begin_array().end_array();
  w.key("b").begin_object().end_object();
  w.key("c").begin_array().value(uint64_t{UINT64_MAX}).value(int64_t{INT64_MIN}).value(0).value(-1).end_array();
  w.key("d").begin_array().begin_object().field("x", true).key("y").null().end_object().begin_array().end_array().end_array();
  w.field("e", "text").field("f", false);
  w.end_object();
  EXPECT_EQ(s, json::parse(s).dump());
  EXPECT_EQ(json::parse(s)["c"][0].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(json::parse(s)["c"][1].get<int64_t>(), INT64_MIN);
}

// Every field of a futex set, each list with entries: the object must come
// out with its keys sorted and read back to the same values.
fxs::ReportData::Futex full_futex() {
  fxs::ReportData::Futex f;
  fxs::FutexStats& s = f.stats;
  s.tgid = 42;
  s.uaddr = 0x7f0000001000;
  for (unsigned i = 0; i < fxs::kNumOps; i++) s.ops[i] = i + 1;
  s.waits = 9, s.eagain = 8, s.timeouts = 7, s.interrupted = 6, s.woken = 5, s.requeued = 4;
  s.wait_total_ns = UINT64_MAX, s.wait_max_ns = 3, s.wait_p50_ns = 2, s.wait_p99_ns = 1, s.threads = 3;
  s.kind = fxs::FutexKind::kMutex;
  f.comm = "tab\there \"q\" \x01";
  f.name = "g_lock";
  f.wakes.contended_wait_ns = 11;
  f.wakes.empty_wakes = 12;
  f.wakes.herd_sizes = {{1, 5}, {2, 6}, {10, 7}};  // keys sort as text: "1", "10", "2"
  f.wakes.wakers = {{100, 101, 3}, {102, 103, 4}};
  f.wakes.by_futex_wake = 1, f.wakes.by_timeout = 2, f.wakes.by_signal = 3, f.wakes.by_thread_exit = 4;
  f.wakes.by_pi_handoff = 5, f.wakes.by_other = 6;
  f.wakes.latency_samples = 7, f.wakes.latency_p50_ns = 8, f.wakes.latency_p99_ns = 9, f.wakes.latency_max_ns = 10;
  f.stacks = {{{"main", "worker"}, 20, 2}, {{}, 1, 1}};
  f.waker_stacks = {{{"unlock", "main"}, 3, 2}};
  f.stacked = {{}, 30, 3};
  f.stack_sampled = 1;
  f.split.samples = 1, f.split.incomplete = 2, f.split.no_switch_in = 3, f.split.disordered = 4, f.split.multi_sleep = 5;
  f.split.waiting = {1, 2, 3}, f.split.wake_to_run = {4, 5, 6}, f.split.runqueue = {7, 8, 9}, f.split.exit = {10, 11, 12};
  f.split.kernel_stacks = {{{"schedule+0x1c", "futex_wait+0x10"}, 0, 4, 400}};
  f.futile = {9, 2};
  for (uint32_t i = 0; i < 7; i++) f.holders.push_back({200 + i, i, 10 * i, i, i, i, i});
  fxs::FutexBucket b;
  b.bucket.table = FXS_BUCKET_PRIVATE;
  b.bucket.index = 12;
  b.contended = 3;
  b.spin_ns = 1200;
  b.buckets_seen = 2;
  f.bucket = b;
  return f;
}

TEST(JsonWriter, FutexObjectIsSortedAndReadsBack) {
  fxs::ReportData::Futex f = full_futex();
  fxs::NumaFutex numa;
  numa.tgid = 42;
  numa.uaddr = f.stats.uaddr;
  numa.page_node = 1;
  numa.calls = 3, numa.local_calls = 1, numa.remote_calls = 2, numa.wakes = 3, numa.cross_node_wakes = 1;
  numa.wakes_by_node = {{0, 1, 1}, {1, 1, 2}};
  std::string text;
  JsonWriter w(text);
  fxs::write_futex_json(f, &numa, w);
  const json j = json::parse(text);
  EXPECT_EQ(j.dump(), text);  // sorted keys, nlohmann's formats
  EXPECT_EQ(j["wait_ns"]["total"].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(j["comm"], f.comm);
  EXPECT_EQ(j["herd_sizes"], (json{{"1", 5}, {"2", 6}, {"10", 7}}));
  EXPECT_EQ(j["ops"].size(), fxs::kNumOps);
  EXPECT_EQ(j["holders"].size(), 5u);  // the first five
  EXPECT_EQ(j["bucket"], fxs::futex_bucket_json(*f.bucket));
  EXPECT_EQ(j["numa"], fxs::futex_numa_json(numa));
  EXPECT_EQ(j["page_node"], 1);
  EXPECT_EQ(j["numa"]["remote_share"], 2.0 / 3);
  EXPECT_EQ(j["kernel_stacks"][0]["frames"][1], "futex_wait+0x10");

  fxs::FutexBucket shared = *f.bucket;
  shared.bucket.table = FXS_BUCKET_SHARED;
  text.clear();
  JsonWriter ws(text);
  fxs::write_futex_bucket_json(shared, ws);
  EXPECT_EQ(json::parse(text).dump(), text);
  EXPECT_TRUE(json::parse(text).contains("note"));

  f.name.clear();
  f.bucket.reset();
  text.clear();
  JsonWriter w2(text);
  fxs::write_futex_json(f, nullptr, w2);
  const json k = json::parse(text);
  EXPECT_EQ(k.dump(), text);
  EXPECT_TRUE(k["name"].is_null());
  EXPECT_FALSE(k.contains("bucket") || k.contains("numa") || k.contains("page_node"));
}

}  // namespace
