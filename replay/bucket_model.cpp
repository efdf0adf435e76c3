#include "replay/bucket_model.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <set>
#include <tuple>

#include "replay/futex_ops.h"
#include "replay/trace_format.h"

namespace fxs {
namespace {

// Defaults where a trace lacks FXS_REC_HASH_GLOBAL: the x86_64 layout of 6.1 .. 6.18.
constexpr uint16_t kDefaultBucketSize = 64;
constexpr uint16_t kDefaultLockOffset = 4;
// Advice is given only where collisions cost at least this much spinning.
constexpr uint64_t kAdviceMinSpinNs = 10000;

bool computed(uint8_t table) {
  return table == FXS_BUCKET_PRIVATE || table == FXS_BUCKET_GLOBAL || table == FXS_BUCKET_NUMA;
}

// A NUMA futex lives in the global table of its node: the same bucket as a
// global key with that node and index.
BucketId physical(const BucketId& b) {
  BucketId p = b;
  if (p.table == FXS_BUCKET_NUMA) p.table = FXS_BUCKET_GLOBAL;
  return p;
}

BucketId bucket_id(uint16_t where, uint32_t index, uint32_t tgid) {
  BucketId b;
  b.table = uint8_t(FXS_BUCKET_TABLE(where));
  b.node = FXS_BUCKET_NODE(where);
  b.index = index;
  b.tgid = b.table == FXS_BUCKET_PRIVATE ? tgid : 0;
  if (!computed(b.table)) b.index = b.node = 0;
  return b;
}

// The next power of two (1 for 0), at most 2^30.
uint32_t roundup_pow2(uint64_t v) { return uint32_t(std::min<uint64_t>(std::bit_ceil(v), 1u << 30)); }

}  // namespace

uint64_t BucketStats::spin_between(uint64_t t0, uint64_t t1) const {
  if (spin_ts.empty() || t1 <= t0) return 0;
  size_t a = size_t(std::lower_bound(spin_ts.begin(), spin_ts.end(), t0) - spin_ts.begin());
  size_t b = size_t(std::lower_bound(spin_ts.begin() + a, spin_ts.end(), t1) - spin_ts.begin());
  return spin_cum[b] - spin_cum[a];
}

bool BucketId::operator<(const BucketId& o) const {
  return std::tie(table, tgid, node, index) < std::tie(o.table, o.tgid, o.node, o.index);
}
bool BucketId::operator==(const BucketId& o) const {
  return table == o.table && tgid == o.tgid && node == o.node && index == o.index;
}

const char* bucket_table_name(uint8_t table) {
  switch (table) {
    case FXS_BUCKET_PRIVATE: return "private";
    case FXS_BUCKET_GLOBAL: return "global";
    case FXS_BUCKET_NUMA: return "numa";
    case FXS_BUCKET_SHARED: return "shared";
    case FXS_BUCKET_UNKNOWN: return "unknown";
    default: return "none";
  }
}

const FutexBucket* BucketReport::find(uint32_t tgid, uint64_t uaddr) const {
  auto it = std::lower_bound(futexes.begin(), futexes.end(), std::make_pair(tgid, uaddr),
                             [](const FutexBucket& f, const std::pair<uint32_t, uint64_t>& k) {
                               return std::make_pair(f.tgid, f.uaddr) < k;
                             });
  return it != futexes.end() && it->tgid == tgid && it->uaddr == uaddr ? &*it : nullptr;
}

void BucketModel::add(const fxs_rec_hdr* h) {
  switch (h->type) {
    case FXS_REC_HASH: {
      fxs_hash_rec r;
      if (!read_record(h, r)) return;
      queues_offset_ = r.queues_offset;
      bucket_size_ = r.bucket_size;
      std::vector<PrivateTable>& at = tables_[r.phash];
      bool known = std::any_of(at.begin(), at.end(), [&](const PrivateTable& t) {
        return t.tgid == r.tgid && t.mask == r.hash_mask;
      });
      if (!known) at.push_back({r.tgid, r.phash, r.hash_mask, r.ts_ns});
      break;
    }
    case FXS_REC_CONTENTION: {
      fxs_contention_rec r;
      if (!read_record(h, r)) return;
      contentions_.push_back(r);
      break;
    }
    case FXS_REC_HASH_GLOBAL: {
      fxs_hash_global_rec r;
      if (!read_record(h, r)) return;
      global_ = r;
      break;
    }
    default:
      break;
  }
}

std::optional<BucketId> BucketModel::bucket_of_lock(
    uint64_t lock, uint32_t tgid, const std::map<uint32_t, uint64_t>& global_base) const {
  const uint64_t bsize = global_ && global_->bucket_size ? global_->bucket_size
                         : bucket_size_                ? bucket_size_
                                                       : kDefaultBucketSize;
  const uint64_t lock_off = global_ && global_->bucket_size ? global_->lock_offset : kDefaultLockOffset;
  if (lock < lock_off) return std::nullopt;
  const uint64_t addr = lock - lock_off;
  // Private tables: the one at the highest address at or below the lock; of
  // tables seen at that address (freed memory is reused), the caller's own
  // first, newest first.
  if (addr >= queues_offset_) {
    auto it = tables_.upper_bound(addr - queues_offset_);
    if (it != tables_.begin()) {
      --it;
      for (int pass = 0; pass < 2; pass++) {
        for (auto t = it->second.rbegin(); t != it->second.rend(); ++t) {
          if ((t->tgid == tgid) != (pass == 0) || !t->phash || !t->mask) continue;
          uint64_t base = t->phash + queues_offset_;
          if ((addr - base) % bsize) continue;
          uint64_t idx = (addr - base) / bsize;
          if (idx > t->mask) continue;
          BucketId b;
          b.table = FXS_BUCKET_PRIVATE;
          b.tgid = t->tgid;
          b.index = uint32_t(idx);
          return b;
        }
      }
    }
  }
  const uint64_t entries = global_ ? uint64_t(global_->hash_mask) + 1 : 0;
  for (const auto& [node, base] : global_base) {
    if (addr < base || (addr - base) % bsize) continue;
    uint64_t idx = (addr - base) / bsize;
    if (entries && idx >= entries) continue;
    BucketId b;
    b.table = FXS_BUCKET_GLOBAL;
    b.node = node;
    b.index = uint32_t(idx);
    return b;
  }
  return std::nullopt;
}

// The global table's base per node: the address most contentions of calls
// with a computed global bucket agree on (lock - lock offset - index * size).
// A wrong computation scatters the votes and calibrates nothing. A base must
// be bucket-aligned and be named from at least two different indices: other
// locks taken inside futex calls (runqueue locks) agree with themselves when
// a single futex is in play, but never across buckets.
std::map<uint32_t, uint64_t> BucketModel::calibrate(uint64_t* votes) const {
  *votes = 0;
  std::map<uint32_t, uint64_t> bases;
  if (!global_ || !global_->bucket_size) return bases;
  struct Votes {
    uint64_t n = 0;
    std::set<uint32_t> indices;
  };
  std::map<uint32_t, std::map<uint64_t, Votes>> candidates;  // node -> base -> votes
  const std::map<uint32_t, uint64_t> none;
  for (const fxs_contention_rec& c : contentions_) {
    uint8_t table = uint8_t(FXS_BUCKET_TABLE(c.bucket_where));
    if (table != FXS_BUCKET_GLOBAL && table != FXS_BUCKET_NUMA) continue;
    if (bucket_of_lock(c.lock, c.tgid, none)) continue;  // a private table's lock
    uint64_t offset = global_->lock_offset + uint64_t(c.bucket_index) * global_->bucket_size;
    if (c.lock < offset) continue;
    uint64_t base = c.lock - offset;
    if (base % global_->bucket_size) continue;
    Votes& v = candidates[FXS_BUCKET_NODE(c.bucket_where)][base];
    v.n++;
    v.indices.insert(c.bucket_index);
  }
  for (const auto& [node, by_base] : candidates) {
    uint64_t best = 0, best_votes = 0, second = 0;
    for (const auto& [base, v] : by_base) {
      if (v.indices.size() < 2) continue;
      const uint64_t n = v.n;
      if (n > best_votes) {
        second = best_votes;
        best_votes = n;
        best = base;
      } else if (n > second) {
        second = n;
      }
    }
    if (best_votes > second) {
      bases[node] = best;
      *votes += best_votes;
    }
  }
  return bases;
}

BucketReport BucketModel::finish(size_t n, const std::function<const FutexStats&(size_t)>& stats_of) const {
  BucketReport out;
  // A copy: spins add futexes (shared ones) and counts; finish() may run again.
  std::unordered_map<Key, FutexBucket, KeyHash> futexes;
  for (size_t i = 0; i < n; i++) {
    const FutexStats& s = stats_of(i);
    if (!s.bucket.where || FXS_BUCKET_TABLE(s.bucket.where) == FXS_BUCKET_NONE) continue;
    FutexBucket f;
    f.tgid = s.tgid;
    f.uaddr = s.uaddr;
    f.bucket = bucket_id(s.bucket.where, s.bucket.index, s.tgid);
    f.ops = s.bucket.ops;
    f.buckets_seen = 1 + s.bucket.changes;
    futexes.emplace(Key{f.tgid, f.uaddr}, f);
  }
  out.available = !futexes.empty() || !contentions_.empty() || global_.has_value();
  if (global_) {
    out.global_entries = global_->hash_mask ? global_->hash_mask + 1 : 0;
    out.nr_node_ids = global_->nr_node_ids;
  }
  BucketVerification& v = out.verification;
  v.contentions = contentions_.size();
  v.global_base = calibrate(&v.calibration_votes);

  std::map<BucketId, BucketStats> buckets;
  std::vector<std::optional<BucketId>> derived_of(contentions_.size());
  for (size_t i = 0; i < contentions_.size(); i++) {
    const fxs_contention_rec& c = contentions_[i];
    std::optional<BucketId> derived = derived_of[i] = bucket_of_lock(c.lock, c.tgid, v.global_base);
    if (!derived) {
      v.other_locks++;
      continue;
    }
    v.bucket_locks++;
    BucketId want = physical(bucket_id(c.bucket_where, c.bucket_index, c.tgid));
    // A call naming two futexes (requeue, wake-op) may spin on the second one's bucket.
    if (computed(want.table) && !has_uaddr2(c.opi)) {
      v.compared++;
      if (want == *derived) v.matched++;
    }
    BucketStats& b = buckets[*derived];
    b.id = *derived;
    b.contended++;
    b.spin_ns += c.spin_ns;
    if (c.uaddr) {
      FutexBucket& f = futexes[Key{c.tgid, c.uaddr}];
      f.tgid = c.tgid;
      f.uaddr = c.uaddr;
      f.contended++;
      f.spin_ns += c.spin_ns;
      // A shared futex's bucket is not computable, but its spins name it (a
      // call naming two futexes may spin on the second one's: not those).
      if (!computed(f.bucket.table) && !has_uaddr2(c.opi)) {
        f.bucket = *derived;
        f.from_lock = true;
      }
    }
  }

  for (auto& [key, f] : futexes) {
    if (!computed(f.bucket.table)) continue;
    BucketStats& b = buckets[physical(f.bucket)];
    b.id = physical(f.bucket);
    b.futexes.emplace_back(f.tgid, f.uaddr);
  }
  for (auto& [id, b] : buckets) {
    std::sort(b.futexes.begin(), b.futexes.end());
    for (const auto& fu : b.futexes) b.processes.push_back(fu.first);
    std::sort(b.processes.begin(), b.processes.end());
    b.processes.erase(std::unique(b.processes.begin(), b.processes.end()), b.processes.end());
    // A bucket is worth listing when it was fought over or holds a collision.
    if (b.contended > 0 || b.futexes.size() >= 2) out.buckets.push_back(b);
  }
  std::sort(out.buckets.begin(), out.buckets.end(), [](const BucketStats& a, const BucketStats& b) {
    if (a.spin_ns != b.spin_ns) return a.spin_ns > b.spin_ns;
    if (a.contended != b.contended) return a.contended > b.contended;
    if (a.futexes.size() != b.futexes.size()) return a.futexes.size() > b.futexes.size();
    return a.id < b.id;
  });
  // Each listed bucket's spins over time, sorted, with running sums.
  std::map<BucketId, std::vector<std::pair<uint64_t, uint64_t>>> series;
  for (size_t i = 0; i < contentions_.size(); i++)
    if (derived_of[i]) series[*derived_of[i]].emplace_back(contentions_[i].ts_ns, contentions_[i].spin_ns);
  for (BucketStats& b : out.buckets) {
    auto it = series.find(b.id);
    if (it == series.end()) continue;
    std::sort(it->second.begin(), it->second.end());
    b.spin_cum.push_back(0);
    for (const auto& [ts, ns] : it->second) {
      b.spin_ts.push_back(ts);
      b.spin_cum.push_back(b.spin_cum.back() + ns);
    }
  }

  // Per process: its private table, and advice where collisions cost spin time.
  std::map<uint32_t, ProcessHash> procs;
  std::map<uint32_t, std::set<std::pair<uint64_t, uint32_t>>> tables_of;
  std::map<uint32_t, uint64_t> newest;
  for (const auto& [phash, at] : tables_) {
    for (const PrivateTable& t : at) {
      ProcessHash& p = procs[t.tgid];
      p.tgid = t.tgid;
      if (t.phash && t.mask) tables_of[t.tgid].insert({t.phash, t.mask});
      if (t.first_ns >= newest[t.tgid]) {
        newest[t.tgid] = t.first_ns;
        p.slots = t.phash && t.mask ? t.mask + 1 : 0;
      }
    }
  }
  std::map<uint32_t, uint64_t> futexes_per_tgid;
  for (const auto& [key, f] : futexes) futexes_per_tgid[f.tgid]++;
  for (const BucketStats& b : out.buckets)
    if (b.id.table == FXS_BUCKET_PRIVATE && b.futexes.size() >= 2) procs[b.id.tgid].collision_spin_ns += b.spin_ns;
  for (auto& [tgid, p] : procs) {
    p.tgid = tgid;
    p.resizes = tables_of[tgid].empty() ? 0 : uint32_t(tables_of[tgid].size() - 1);
    if (p.slots && p.collision_spin_ns >= kAdviceMinSpinNs)
      p.suggested_slots = roundup_pow2(std::max<uint64_t>(2ull * p.slots, 4 * futexes_per_tgid[tgid]));
    out.processes.push_back(p);
  }

  out.futexes.reserve(futexes.size());
  for (auto& [key, f] : futexes) out.futexes.push_back(f);
  std::sort(out.futexes.begin(), out.futexes.end(), [](const FutexBucket& a, const FutexBucket& b) {
    return std::make_pair(a.tgid, a.uaddr) < std::make_pair(b.tgid, b.uaddr);
  });
  return out;
}

}  // namespace fxs
