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
  // Only the elements kept in the object itself.
  fxs::AppendStore<Item> one;
  one.push_back({5, 6});
  fxs::AppendStore<Item> one_copy = one;
  one.push_back({7, 8});
  ASSERT_EQ(one_copy.size(), 1u);
  EXPECT_EQ(one_copy.to_vector()[0].a, 5u);
  ASSERT_EQ(one.to_vector().size(), 2u);
  EXPECT_EQ(one.to_vector()[1].b, 8u);
}

}  // namespace
