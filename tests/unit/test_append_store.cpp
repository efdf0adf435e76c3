// AppendStore (replay/append_store.h): elements come back in the order they
// were added, across its growing and huge-page blocks, and a copy is deep.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "replay/append_store.h"

namespace {

struct Item {
  uint64_t a;
  uint32_t b;
};

TEST(AppendStore, KeepsOrderAcrossBlocksAndCopiesDeeply) {
  fxs::AppendStore<Item> s;
  constexpr uint64_t kN = 1'000'003;  // past several 2 MiB blocks of 16-byte items
  for (uint64_t i = 0; i < kN; i++) s.push_back({i * 3, uint32_t(i)});
  ASSERT_EQ(s.size(), kN);
  uint64_t next = 0;
  bool in_order = true;
  s.for_each([&](const Item& x) {
    in_order = in_order && x.a == next * 3 && x.b == uint32_t(next);
    next++;
  });
  EXPECT_TRUE(in_order);
  EXPECT_EQ(next, kN);

  fxs::AppendStore<Item> copy = s;
  s.push_back({7, 7});  // the copy does not see it
  std::vector<Item> v = copy.to_vector();
  ASSERT_EQ(v.size(), kN);
  EXPECT_EQ(v.front().a, 0u);
  EXPECT_EQ(v.back().a, (kN - 1) * 3);
  EXPECT_EQ(s.size(), kN + 1);

  fxs::AppendStore<Item> moved = std::move(copy);
  EXPECT_EQ(moved.size(), kN);
  fxs::AppendStore<Item> empty;
  EXPECT_TRUE(empty.to_vector().empty());
}

}  // namespace
