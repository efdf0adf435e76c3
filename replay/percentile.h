// percentile.h: the nearest-rank percentile of a set of samples, the one
// definition the models' p50/p99 columns share.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace fxs {

// Nearest-rank percentile (pct in 1..100) of `v`, which it reorders; 0 if empty.
inline uint64_t nearest_rank_pct(std::vector<uint64_t>& v, unsigned pct) {
  if (v.empty()) return 0;
  size_t rank = (v.size() * pct + 99) / 100;
  if (rank == 0) rank = 1;
  std::nth_element(v.begin(), v.begin() + long(rank - 1), v.end());
  return v[rank - 1];
}

}  // namespace fxs
