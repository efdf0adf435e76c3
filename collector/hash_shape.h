// hash_shape.h: the shape of the kernel's futex hash tables on this machine,
// which the BPF bucket computation needs before load (bpf/futex_hash.bpf.h)
// and the replay needs to read lock addresses (FXS_REC_HASH_GLOBAL).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bpf/trace_abi.h"

namespace fxs {

struct KernelFacts;

struct HashShape {
  uint32_t entries_per_node = 0;  // global table; 0 = unknown
  uint32_t nr_node_ids = 1;       // highest possible node + 1
  // node_remap[n]: the node the kernel hashes n to: n if possible, else the
  // next possible node, wrapping (sparse node maps). Empty: identity.
  std::vector<uint16_t> node_remap;
  bool numa_hash = false;         // a node per key, one table per node (KernelFacts::numa_hash)
  // From kernel BTF; 0 when the kernel lacks the type (no private hash before 6.16).
  uint16_t bucket_size = 0;       // sizeof(struct futex_hash_bucket)
  uint16_t lock_offset = 0;       // offsetof(struct futex_hash_bucket, lock)
  uint16_t queues_offset = 0;     // offsetof(struct futex_private_hash, queues)
  bool contention_tp = false;     // lock:contention_begin/end exist
  std::string source;             // where entries_per_node came from, for notes

  uint32_t mask() const { return entries_per_node ? entries_per_node - 1 : 0; }
  uint32_t shift() const;         // log2(entries_per_node)
  fxs_hash_global_rec record() const;
};

// The shape `facts` imply: the kernel log's table size when it is still there,
// else the kernel's sizing rule applied to the possible CPUs and nodes.
HashShape hash_shape(const KernelFacts& facts);

}  // namespace fxs
