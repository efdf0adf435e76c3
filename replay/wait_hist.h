// The log2(ns) histogram of a futex's wait durations, kept as the run of
// buckets from its first to its last non-empty one. Most futexes' waits fill a
// few neighbouring buckets of the 40: a report of 200,000 futexes holds
// 200,000 of these, and a full array each was a quarter of its memory.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "bpf/trace_abi.h"

namespace fxs {

class WaitHist {
 public:
  static constexpr unsigned kBuckets = FXS_HIST_BUCKETS;
  using Dense = std::array<uint64_t, kBuckets>;

  WaitHist() = default;
  explicit WaitHist(const Dense& dense) { assign(dense); }

  // Bucket b's count; 0 outside the stored run (and for b >= kBuckets).
  uint64_t operator[](unsigned b) const {
    return b >= lo_ && b - lo_ < counts_.size() ? counts_[b - lo_] : 0;
  }
  void add(unsigned b, uint64_t n = 1) {
    if (n == 0 || b >= kBuckets) return;
    if (counts_.empty()) {
      lo_ = static_cast<uint8_t>(b);
      counts_.assign(1, n);
      return;
    }
    if (b < lo_) {
      counts_.insert(counts_.begin(), lo_ - b, 0);
      lo_ = static_cast<uint8_t>(b);
    } else if (b - lo_ >= counts_.size()) {
      counts_.resize(b - lo_ + 1, 0);
    }
    counts_[b - lo_] += n;
  }
  void add(const WaitHist& o) {
    for (size_t i = 0; i < o.counts_.size(); i++) add(o.lo_ + static_cast<unsigned>(i), o.counts_[i]);
  }
  void assign(const Dense& dense) {
    counts_.clear();
    unsigned lo = 0, hi = kBuckets;
    while (lo < kBuckets && dense[lo] == 0) lo++;
    while (hi > lo && dense[hi - 1] == 0) hi--;
    lo_ = static_cast<uint8_t>(lo < kBuckets ? lo : 0);
    counts_.assign(dense.begin() + lo, dense.begin() + hi);
  }
  Dense dense() const {
    Dense d{};
    std::copy(counts_.begin(), counts_.end(), d.begin() + lo_);
    return d;
  }
  uint64_t total() const {
    uint64_t n = 0;
    for (uint64_t c : counts_) n += c;
    return n;
  }
  uint64_t peak() const { return counts_.empty() ? 0 : *std::max_element(counts_.begin(), counts_.end()); }
  bool operator==(const WaitHist& o) const { return dense() == o.dense(); }

 private:
  std::vector<uint64_t> counts_;  // buckets lo_, lo_ + 1, ...; may hold zeros inside
  uint8_t lo_ = 0;
};

}  // namespace fxs
