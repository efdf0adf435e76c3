// The pairing models' per-wait tables (replay/wait_map.h): numbered once for
// all of a set's models, each map in its own insertion order; a copied set
// (a live view's) numbers on its own copy, so it outlives its source.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>

#include "replay/numa_report.h"
#include "replay/pairing_models.h"
#include "replay/trace_reader.h"
#include "replay/wait_map.h"

namespace fxs {
namespace {

TEST(WaitMap, SharedNumbersOwnOrder) {
  WaitKeys keys;
  WaitMap<int> a, b;
  a.try_emplace(keys, 7, 100, 1);
  b.try_emplace(keys, 8, 200, 2);
  b.try_emplace(keys, 7, 100, 3);  // the same wait as a's first
  auto [v, added] = a.try_emplace(keys, 7, 100, 9);
  EXPECT_FALSE(added);
  EXPECT_EQ(*v, 1);
  EXPECT_EQ(keys.size(), 2u) << "a wait has one number whichever map saw it first";
  ASSERT_NE(a.find(keys, 7, 100), nullptr);
  EXPECT_EQ(a.find(keys, 8, 200), nullptr) << "numbered by b, not in a";
  EXPECT_FALSE(a.contains(keys, 8, 200));
  EXPECT_EQ(a.find(keys, 9, 1), nullptr);
  std::vector<int> order;
  for (const auto& [tid, enter_ns, value] : b) order.push_back(value);
  EXPECT_EQ(order, (std::vector<int>{2, 3})) << "b's own insertion order";
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.find(keys, 8, 200), nullptr);
}

// Every record of the 2-node recording, in order.
std::vector<std::vector<uint8_t>> recording(TraceHeader* header) {
  std::vector<std::vector<uint8_t>> out;
  auto r = TraceReader::open(std::string(FXS_TEST_DATA_DIR) + "/numa-2node.fxs");
  EXPECT_TRUE(r.ok()) << r.message();
  if (!r.ok()) return out;
  *header = r->header();
  EXPECT_TRUE(r->for_each_record([&](const fxs_rec_hdr* h) {
                 const auto* p = reinterpret_cast<const uint8_t*>(h);
                 out.emplace_back(p, p + h->size);
               }).ok());
  return out;
}

TEST(PairingModels, ACopyOutlivesItsSourceAndPairsWhatTheSourceHadThen) {
  TraceHeader header;
  const auto records = recording(&header);
  ASSERT_GT(records.size(), 1000u);
  const size_t half = records.size() / 2;
  auto feed = [&](PairingModels& m, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) m.add(reinterpret_cast<const fxs_rec_hdr*>(records[i].data()));
  };
  auto source = std::make_unique<PairingModels>(header.cpu_node);
  feed(*source, 0, half);
  PairingModels copy(*source);
  feed(*source, half, records.size());  // the source goes on (its numbering grows)
  source.reset();                       // and goes away before the copy is finished
  WakesByFutex copied;
  const NumaReport from_copy = copy.finish({&copied});

  PairingModels first_half(header.cpu_node);
  feed(first_half, 0, half);
  WakesByFutex want;
  const NumaReport from_first_half = first_half.finish({&want});
  EXPECT_EQ(numa_json(from_copy), numa_json(from_first_half));
  ASSERT_EQ(copied.size(), want.size());
  uint64_t edges = 0;
  for (const auto& [key, w] : want) {
    auto c = copied.find(key);
    ASSERT_NE(c, copied.end());
    EXPECT_EQ(c->second.wakers.size(), w.wakers.size());
    EXPECT_EQ(c->second.by_futex_wake, w.by_futex_wake);
    EXPECT_EQ(c->second.latency_p99_ns, w.latency_p99_ns);
    for (const WakeEdge& e : w.wakers) edges += e.count;
  }
  EXPECT_GT(edges, 10u) << "the first half's waits were woken by wake calls";
}

}  // namespace
}  // namespace fxs
