// pair_key.h: a key of two 64-bit words for the models' hash maps: (tgid,
// uaddr) of a futex, or (tid, enter_ns) of a call.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fxs {

struct PairKey {
  uint64_t a, b;
  bool operator==(const PairKey& o) const { return a == o.a && b == o.b; }
};

struct PairKeyHash {
  size_t operator()(const PairKey& k) const { return size_t(k.a * 0x9E3779B97F4A7C15ull ^ k.b); }
};

}  // namespace fxs
