// Hash buckets: which kernel futex hash bucket each futex lands in (computed
// in BPF, bpf/futex_hash.bpf.h), which futexes share a bucket, and the spins
// on bucket locks (FXS_REC_CONTENTION) attributed to buckets, futexes and
// processes.
//
// A contended lock's address says which bucket it is, independently of the
// BPF computation: private tables are known from FXS_REC_HASH (table address,
// mask); the global table's base is static in the kernel, so it is calibrated
// here from the contentions themselves (the base most of them agree on,
// given the computed index). Comparing the address-derived bucket with the
// computed one checks the computation against the kernel (`verification`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/pair_key.h"
#include "replay/futex_model.h"
#include "replay/record_types.h"

namespace fxs {

// One bucket: table kind (FXS_BUCKET_*), the owning process for private tables
// (0 otherwise), the node of a global/NUMA table, the index.
struct BucketId {
  uint8_t table = FXS_BUCKET_NONE;
  uint32_t tgid = 0;
  uint32_t node = 0;
  uint32_t index = 0;
  bool operator<(const BucketId& o) const;
  bool operator==(const BucketId& o) const;
};

// "private", "global", "numa", "shared", "unknown", "none".
const char* bucket_table_name(uint8_t table);

struct FutexBucket {
  uint32_t tgid = 0;
  uint64_t uaddr = 0;
  BucketId bucket;          // the latest computed one
  uint64_t ops = 0;         // ops whose bucket was computed for this address
  uint32_t buckets_seen = 1;  // >1: the process's table was resized while it was used
  uint64_t contended = 0;   // spins on a bucket lock inside calls on this futex
  uint64_t spin_ns = 0;
  bool from_lock = false;   // the bucket was read from a spun-on lock's address, not computed
};

struct BucketStats {
  BucketId id;
  uint64_t contended = 0;   // spins on this bucket's lock (from the lock address)
  uint64_t spin_ns = 0;
  std::vector<std::pair<uint32_t, uint64_t>> futexes;  // (tgid, uaddr) hashing here
  std::vector<uint32_t> processes;                       // distinct tgids among them
  // The spins over time, for views: start times in order, and the running sum
  // of spin time (spin_cum[i] = spin ns of spins 0..i-1; one more entry).
  std::vector<uint64_t> spin_ts;
  std::vector<uint64_t> spin_cum;
  // Spin ns of the spins that began in [t0, t1): two binary searches.
  uint64_t spin_between(uint64_t t0, uint64_t t1) const;
};

struct ProcessHash {
  uint32_t tgid = 0;
  uint32_t slots = 0;       // private table slots (mask + 1) last seen; 0 = global table
  uint32_t resizes = 0;     // distinct private tables seen - 1
  uint64_t collision_spin_ns = 0;  // spin in its private buckets shared by >= 2 futexes
  uint32_t suggested_slots = 0;    // PR_FUTEX_HASH SET_SLOTS advice, 0 = none
};

// How well the BPF computation matched the kernel's own bucket (lock address).
struct BucketVerification {
  uint64_t contentions = 0;      // FXS_REC_CONTENTION records
  uint64_t bucket_locks = 0;     // ... whose lock is a known bucket's
  uint64_t compared = 0;         // ... and whose call had a computed bucket
  uint64_t matched = 0;          // ... equal to the address-derived one
  uint64_t other_locks = 0;      // not a bucket lock (runqueue, rt_mutex, ...)
  std::map<uint32_t, uint64_t> global_base;  // node -> calibrated bucket array address
  uint64_t calibration_votes = 0;  // contentions that agreed on those bases
};

struct BucketReport {
  bool available = false;        // the trace has bucket data
  std::vector<FutexBucket> futexes;  // sorted by (tgid, uaddr)
  std::vector<BucketStats> buckets;  // ranked: spin_ns, contended, futexes
  std::vector<ProcessHash> processes;
  BucketVerification verification;
  uint32_t global_entries = 0;   // per node, 0 = unknown
  uint32_t nr_node_ids = 0;
  // Bucket of a futex, or nullptr.
  const FutexBucket* find(uint32_t tgid, uint64_t uaddr) const;
};

class BucketModel {
 public:
  // The record types add() reads.
  static constexpr RecordTypes kReads{FXS_REC_HASH, FXS_REC_CONTENTION, FXS_REC_HASH_GLOBAL};
  // Takes FXS_REC_HASH, FXS_REC_CONTENTION, FXS_REC_HASH_GLOBAL; ignores
  // the rest. The futexes' computed buckets come
  // from the futex model (FutexStats::bucket), which looks every call up anyway.
  void add(const fxs_rec_hdr* h);
  BucketReport finish(const std::vector<FutexStats>& futexes) const {
    return finish(futexes.size(), [&](size_t i) -> const FutexStats& { return futexes[i]; });
  }
  // The same, for futexes kept in larger records: stats_of(i), i < n.
  BucketReport finish(size_t n, const std::function<const FutexStats&(size_t)>& stats_of) const;
  uint64_t contention_records() const { return contentions_.size(); }

 private:
  using Key = PairKey;  // (tgid, uaddr)
  using KeyHash = PairKeyHash;
  struct PrivateTable {
    uint32_t tgid;
    uint64_t phash;
    uint32_t mask;
    uint64_t first_ns;
  };
  std::optional<BucketId> bucket_of_lock(uint64_t lock, uint32_t tgid,
                                         const std::map<uint32_t, uint64_t>& global_base) const;
  std::map<uint32_t, uint64_t> calibrate(uint64_t* votes) const;

  std::vector<fxs_contention_rec> contentions_;
  // Every (tgid, phash, mask) seen, by table address (phash), oldest first:
  // a lock address finds its table with one search.
  std::map<uint64_t, std::vector<PrivateTable>> tables_;
  std::optional<fxs_hash_global_rec> global_;
  uint16_t queues_offset_ = 0, bucket_size_ = 0;  // from FXS_REC_HASH
};

}  // namespace fxs
