// permute.h: reorders a vector of large records without a second copy of it.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace fxs {

// Makes items[i] the item that was at items[order[i]] (order: a permutation
// of 0..n-1), moving each item once, cycle by cycle: sorting the records
// themselves moves each one log n times, and a second vector of them is as
// big again (a report of 200,000 futexes holds 240 MB of them). `order` is
// consumed (left as the identity).
template <typename T>
void permute_in_place(std::vector<T>& items, std::vector<uint32_t>& order) {
  for (size_t i = 0; i < order.size(); i++) {
    if (order[i] == i) continue;
    T held = std::move(items[i]);
    size_t at = i;
    while (order[at] != i) {
      const size_t from = order[at];
      items[at] = std::move(items[from]);
      order[at] = static_cast<uint32_t>(at);
      at = from;
    }
    items[at] = std::move(held);
    order[at] = static_cast<uint32_t>(at);
  }
}

}  // namespace fxs
