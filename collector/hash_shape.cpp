#include "collector/hash_shape.h"

#include <algorithm>
#include <bit>

#include "collector/kernel_facts.h"

namespace fxs {
namespace {

// The next power of two (1 for 0), at most 2^30.
uint32_t roundup_pow2(uint64_t v) { return uint32_t(std::min<uint64_t>(std::bit_ceil(v), 1u << 30)); }

}  // namespace

uint32_t HashShape::shift() const {
  uint32_t s = 0;
  while (s < 31 && (1u << s) < entries_per_node) s++;
  return s;
}

fxs_hash_global_rec HashShape::record() const {
  fxs_hash_global_rec r{};
  r.hdr.type = FXS_REC_HASH_GLOBAL;
  r.hdr.size = sizeof(r);
  r.hash_mask = mask();
  r.hash_shift = shift();
  r.nr_node_ids = nr_node_ids;
  r.bucket_size = bucket_size;
  r.lock_offset = lock_offset;
  r.numa_hash = numa_hash;
  return r;
}

HashShape hash_shape(const KernelFacts& facts) {
  HashShape s;
  const uint32_t cpus = std::max<uint32_t>(facts.possible_cpus, 1);
  // No node directory (CONFIG_NUMA off): node 0 alone.
  std::vector<uint32_t> nodes = facts.possible_nodes;
  nodes.erase(std::remove_if(nodes.begin(), nodes.end(), [](uint32_t n) { return n >= FXS_MAX_NODES; }),
              nodes.end());
  if (nodes.empty()) nodes.push_back(0);
  s.nr_node_ids = *std::max_element(nodes.begin(), nodes.end()) + 1;
  std::vector<bool> possible(s.nr_node_ids, false);
  for (uint32_t n : nodes) possible[n] = true;
  for (uint32_t n = 0; n < s.nr_node_ids; n++) {
    uint32_t m = n;
    for (uint32_t step = 0; step < s.nr_node_ids && !possible[m]; step++) m = (m + 1) % s.nr_node_ids;
    s.node_remap.push_back(uint16_t(m));
  }
  s.numa_hash = facts.numa_hash;
  s.bucket_size = facts.hash_layout.bucket_size;
  s.lock_offset = facts.hash_layout.lock_offset;
  s.queues_offset = facts.hash_layout.queues_offset;
  s.contention_tp = facts.tp_lock_contention;
  if (facts.global_hash_entries) {
    s.entries_per_node = facts.global_hash_entries;
    s.source = "kernel log";
  } else if (s.numa_hash) {
    s.entries_per_node = roundup_pow2(std::max<uint64_t>(4, 256ull * cpus / nodes.size()));
    s.source = "sizing rule (256 x possible CPUs / possible nodes)";
  } else {
    s.entries_per_node = roundup_pow2(256ull * cpus);
    s.source = "sizing rule (256 x possible CPUs)";
  }
  return s;
}

}  // namespace fxs
