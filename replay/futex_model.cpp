#include "replay/futex_model.h"
#include "replay/trace_format.h"
#include "replay/trace_text.h"

#include "replay/durations.h"
#include "replay/permute.h"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace fxs {

namespace {

constexpr uint64_t kNoPair = ~uint64_t{0};

inline uint64_t mix(uint64_t x) {
  // splitmix64 finalizer: futex words are 4- or 64-byte aligned, so the low
  // bits alone would cluster.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

std::string comm_text(const char* s) { return trace_text(s, FXS_COMM_LEN); }

FutexCounts counts_of(const fxs_agg_val& v) {
  FutexCounts c;
  std::copy(std::begin(v.ops), std::end(v.ops), c.ops.begin());
  c.waits = v.waits;
  c.eagain = v.eagain;
  c.timeouts = v.timeouts;
  c.interrupted = v.interrupted;
  c.woken = v.woken;
  c.requeued = v.requeued;
  c.wait_total_ns = v.wait_total_ns;
  c.wait_max_ns = v.wait_max_ns;
  WaitHist::Dense hist;
  std::copy(std::begin(v.hist), std::end(v.hist), hist.begin());
  c.hist.assign(hist);
  return c;
}

// Nearest-rank: the ceil(p/100 * n)-th smallest, 1-based.
inline uint64_t nearest_rank(uint64_t n, unsigned p) {
  uint64_t r = (uint64_t{p} * n + 99) / 100;
  return r == 0 ? 1 : r;
}

}  // namespace

const char* kind_name(FutexKind kind) {
  switch (kind) {
    case FutexKind::kMutex: return "mutex";
    case FutexKind::kCondvar: return "condvar";
    case FutexKind::kRwlock: return "rwlock";
    case FutexKind::kPiMutex: return "pi-mutex";
    case FutexKind::kBarrier: return "barrier";
    case FutexKind::kOther: return "other";
    case FutexKind::kJoin: return "join";
  }
  return "other";
}

void FutexCounts::add(const FutexCounts& o) {
  for (unsigned i = 0; i < kNumOps; i++) ops[i] += o.ops[i];
  waits += o.waits;
  eagain += o.eagain;
  timeouts += o.timeouts;
  interrupted += o.interrupted;
  woken += o.woken;
  requeued += o.requeued;
  add_saturating(wait_total_ns, o.wait_total_ns);  // each part was checked when summed
  wait_max_ns = std::max(wait_max_ns, o.wait_max_ns);
  hist.add(o.hist);
}

uint64_t FutexCounts::total_ops() const {
  return std::accumulate(ops.begin(), ops.end(), uint64_t{0});
}

FutexKind classify(const FutexCounts& c) {
  uint64_t pi = 0, condvar = 0, waits = 0, wakes = 0, other = 0;
  for (unsigned i = 0; i < kNumOps; i++) {
    uint64_t n = c.ops[i];
    if (n == 0) continue;
    if (is_pi_lock_op(i)) {
      pi += n;
    } else if (is_requeue_op(i) || i == FXS_OP_FUTEX_WAIT_REQUEUE_PI ||
               i == FXS_OP_FUTEX_WAIT_BITSET || i == FXS_OP_FUTEX_WAKE_BITSET) {
      condvar += n;
    } else if (i == FXS_OP_FUTEX_WAIT || i == FXS_OP_FUTEX2_WAIT) {
      waits += n;
    } else if (i == FXS_OP_FUTEX_WAKE || i == FXS_OP_FUTEX2_WAKE) {
      wakes += n;
    } else {
      other += n;
    }
  }
  if (pi) return FutexKind::kPiMutex;
  if (condvar) return FutexKind::kCondvar;
  // A lock word: plain waits and wakes only, each wake waking at most one
  // waiter on average (a broadcast or a barrier release wakes many).
  if (!other && waits && wakes && c.woken <= wakes) return FutexKind::kMutex;
  return FutexKind::kOther;
}

uint64_t hist_percentile(const WaitHist& hist, uint64_t max_ns, unsigned p) {
  uint64_t n = hist.total();
  if (n == 0) return 0;
  uint64_t rank = nearest_rank(n, p), seen = 0;
  for (unsigned b = 0; b < FXS_HIST_BUCKETS; b++) {
    seen += hist[b];
    if (seen >= rank) {
      uint64_t upper = b == FXS_HIST_BUCKETS - 1 ? max_ns : (uint64_t{2} << b) - 1;
      return std::min(upper, max_ns);
    }
  }
  return max_ns;
}

FutexModel::FutexModel()
    : tids_(256, TidSlot{0, 0, 0}), pairs_(1024, kNoPair) {}

// ---- the flat tables --------------------------------------------------------
// Open addressing with linear probing, at most half full, power-of-two sizes.

inline uint32_t FutexModel::acc_for(uint32_t tgid, uint64_t uaddr) {
  bool added = false;
  uint32_t idx = index_.find_or_add(tgid, uaddr, &added);
  if (added) {
    accs_.emplace_back();
    accs_.back().tgid = tgid;
    accs_.back().uaddr = uaddr;
  }
  return idx;
}

uint32_t FutexModel::local_index(uint32_t tgid, uint32_t tid) {
  uint64_t key = (uint64_t{tgid} << 32) | tid;
  if (has_last_tid_ && key == last_tid_key_) return last_local_;
  size_t mask = tids_.size() - 1;
  size_t i = mix(key) & mask;
  while (tids_[i].local1 != 0 && tids_[i].key != key) i = (i + 1) & mask;
  uint32_t local;
  if (tids_[i].local1 != 0) {
    local = tids_[i].local1 - 1;
  } else {
    local = threads_per_tgid_[tgid]++;
    tids_[i] = TidSlot{key, local + 1, 0};
    if (++tids_used_ * 2 > tids_.size()) grow_tids();
  }
  last_tid_key_ = key;
  last_local_ = local;
  has_last_tid_ = true;
  return local;
}

void FutexModel::grow_tids() {
  std::vector<TidSlot> old(tids_.size() * 2, TidSlot{0, 0, 0});
  old.swap(tids_);
  size_t mask = tids_.size() - 1;
  for (const TidSlot& s : old) {
    if (s.local1 == 0) continue;
    size_t i = mix(s.key) & mask;
    while (tids_[i].local1 != 0) i = (i + 1) & mask;
    tids_[i] = s;
  }
}

inline void FutexModel::note_thread(Acc& a, uint32_t acc, uint32_t tgid, uint32_t tid) {
  uint32_t local = local_index(tgid, tid);
  if (local < 64) {
    uint64_t bit = uint64_t{1} << local;
    if (!(a.thread_bits & bit)) {
      a.thread_bits |= bit;
      a.threads++;
    }
    return;
  }
  note_pair(a, acc, tid);
}

void FutexModel::note_pair(Acc& a, uint32_t acc, uint32_t tid) {
  uint64_t key = (uint64_t{acc} << 32) | tid;
  size_t mask = pairs_.size() - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    if (pairs_[i] == key) return;
    if (pairs_[i] == kNoPair) {
      pairs_[i] = key;
      a.threads++;
      if (++pairs_used_ * 2 > pairs_.size()) grow_pairs();
      return;
    }
  }
}

void FutexModel::grow_pairs() {
  std::vector<uint64_t> old(pairs_.size() * 2, kNoPair);
  old.swap(pairs_);
  size_t mask = pairs_.size() - 1;
  for (uint64_t k : old) {
    if (k == kNoPair) continue;
    size_t i = mix(k) & mask;
    while (pairs_[i] != kNoPair) i = (i + 1) & mask;
    pairs_[i] = k;
  }
}

// ---- records --------------------------------------------------------------

// Mirrors agg_apply() in bpf/futex.bpf.c. `primary` is false for uaddr2,
// which only counts the op.
inline void FutexModel::apply(uint32_t acc, const fxs_futex_rec& r, bool primary) {
  Acc& a = accs_[acc];
  unsigned opi = r.opi < kNumOps ? r.opi : unsigned{FXS_OP_UNKNOWN};
  a.ops[opi]++;
  note_thread(a, acc, r.tgid, r.tid);
  if (!primary) return;
  // The record's bucket is its first address's (a futex_waitv names several).
  if (r.bucket_where && a.uaddr == r.uaddr) {
    BucketSeen& b = a.bucket;
    if (b.ops && (b.where != r.bucket_where || b.index != r.bucket_index)) b.changes++;
    b.where = r.bucket_where;
    b.index = r.bucket_index;
    b.ops++;
  }
  int32_t ret = r.ret;
  if (is_wait_op(opi)) {
    WaitOutcome o = wait_outcome(ret);
    if (o == WaitOutcome::kEagain) {
      a.eagain++;
      return;
    }
    if (!queued(o)) return;
    a.waits++;
    if (o == WaitOutcome::kTimedOut) a.timeouts++;
    if (o == WaitOutcome::kInterrupted) a.interrupted++;
    // enter_ns 0: the call began before tracing did, its duration is unknown.
    // A reversed or absurd span only a damaged file holds is counted, not summed.
    std::optional<uint64_t> span = plausible_span(r.enter_ns, r.exit_ns);
    if (!span && r.enter_ns != 0) implausible_spans_++;
    if (span) {
      uint64_t d = *span;
      if (!add_saturating(a.wait_total_ns, d)) sum_overflows_++;
      if (d > a.wait_max_ns) a.wait_max_ns = d;
      if (folded_) {
        if (acc >= folded_hist_.size()) folded_hist_.resize(accs_.size());
        folded_hist_[acc][log2_bucket(d)]++;
      } else {
        if (d <= UINT32_MAX)
          a.short_waits.push_back(static_cast<uint32_t>(d));
        else
          a.long_waits.push_back(d);
        if (++durations_kept_ > duration_limit_) fold_durations();
      }
    }
    return;
  }
  if (ret <= 0) return;
  if (is_wake_op(opi)) {
    a.woken += static_cast<uint64_t>(ret);
  } else if (is_requeue_op(opi)) {
    // The kernel wakes up to nr_wake first, then requeues: ret = woken + requeued.
    uint64_t nr_wake = opi == FXS_OP_FUTEX2_REQUEUE ? uint64_t{r.val3} : r.val;
    uint64_t woken = std::min(static_cast<uint64_t>(ret), nr_wake);
    a.woken += woken;
    a.requeued += static_cast<uint64_t>(ret) - woken;
  }
}

inline uint32_t FutexModel::add_futex(const fxs_rec_hdr* h, uint32_t key_id) {
  fxs_futex_rec r;
  if (!read_record(h, r)) {
    malformed_++;
    return FutexIndex::kNone;
  }
  if (r.opi == FXS_OP_FUTEX2_WAITV) {
    if (h->size < sizeof(r) + size_t{r.nr_uaddrs} * 8) {
      malformed_++;
      return FutexIndex::kNone;
    }
    futex_records_++;
    note_ts(r.enter_ns);
    note_ts(r.exit_ns);
    // Every entry of the vector is a primary address; r.uaddr is entry 0.
    const auto* p = reinterpret_cast<const uint8_t*>(h) + sizeof(r);
    for (unsigned i = 0; i < r.nr_uaddrs; i++) {
      uint64_t uaddr;
      std::memcpy(&uaddr, p + i * 8, 8);
      apply(acc_for(r.tgid, uaddr), r, true);
    }
    return FutexIndex::kNone;
  }
  futex_records_++;
  note_ts(r.enter_ns);
  note_ts(r.exit_ns);
  const uint32_t acc = chunk_futexes_.index(key_id, [&] { return acc_for(r.tgid, r.uaddr); });
  apply(acc, r, true);
  if (r.uaddr2 != 0 && has_uaddr2(r.opi)) apply(acc_for(r.tgid, r.uaddr2), r, false);
  return acc;
}

uint32_t FutexModel::add(const fxs_rec_hdr* h) { return add(h, ChunkFutexKeys::kNone); }

uint32_t FutexModel::add(const fxs_rec_hdr* h, uint32_t key_id) {
  switch (h->type) {
    case FXS_REC_FUTEX: return add_futex(h, key_id);
    case FXS_REC_TASK: add_task(h); break;
    case FXS_REC_LOSS: add_loss(h); break;
    case FXS_REC_AGG: add_agg(h); break;
    case FXS_REC_STOP: {
      fxs_stop_rec r;
      if (!read_record(h, r)) {
        malformed_++;
        return FutexIndex::kNone;
      }
      note_ts(r.ts_ns);
      has_stop_ = true;
      break;
    }
    default:
      if (!RecordTypes::known(h->type)) unknown_++;  // the other known types are other models' (their kReads)
      break;
  }
  return FutexIndex::kNone;
}

void FutexModel::add_task(const fxs_rec_hdr* h) {
  fxs_task_rec r;
  if (!read_record(h, r)) {
    malformed_++;
    return;
  }
  note_ts(r.ts_ns);
  thread_names_[r.tid] = comm_text(r.comm);
  process_names_[r.tgid] = comm_text(r.pcomm);
}

void FutexModel::add_loss(const fxs_rec_hdr* h) {
  fxs_loss_rec r;
  if (!read_record(h, r)) {
    malformed_++;
    return;
  }
  note_ts(r.ts_ns);
  std::copy(std::begin(r.counters), std::end(r.counters), counters_.begin());
  has_loss_ = true;
}

void FutexModel::add_agg(const fxs_rec_hdr* h) {
  fxs_agg_rec r;
  if (!read_record(h, r)) {
    malformed_++;
    return;
  }
  note_ts(r.ts_ns);
  Acc& a = accs_[acc_for(r.key.tgid, r.key.uaddr)];
  if (a.agg < 0) {
    a.agg = static_cast<int32_t>(aggs_.size());
    aggs_.push_back(r.val);
  } else {
    aggs_[a.agg] = r.val;  // cumulative: the latest record of a key wins
  }
}

// ---- batches ------------------------------------------------------------------

void FutexModel::add_records(const uint8_t* data, size_t size) {
  for (size_t off = 0; off < size;) {
    fxs_rec_hdr h;
    if (size - off < sizeof(h)) {
      malformed_++;
      return;
    }
    std::memcpy(&h, data + off, sizeof(h));
    if (h.size < sizeof(h) || h.size > size - off) {
      malformed_++;
      return;
    }
    add(reinterpret_cast<const fxs_rec_hdr*>(data + off));
    off += h.size;
  }
}

void FutexModel::fold_durations() {
  folded_hist_.assign(accs_.size(), {});
  for (size_t i = 0; i < accs_.size(); i++) {
    Acc& a = accs_[i];
    for (uint32_t d : a.short_waits) folded_hist_[i][log2_bucket(d)]++;
    for (uint64_t d : a.long_waits) folded_hist_[i][log2_bucket(d)]++;
    std::vector<uint32_t>().swap(a.short_waits);  // the memory goes back
    std::vector<uint64_t>().swap(a.long_waits);
  }
  folded_ = true;
}

// ---- results --------------------------------------------------------------

std::vector<FutexStats> FutexModel::finish() {
  std::vector<FutexStats> out;
  out.reserve(accs_.size());
  finish_each([&](FutexStats&& s) { out.push_back(std::move(s)); });
  return out;
}

FutexStats FutexModel::finish_one(Acc& a) {
  FutexStats s;
  s.ops = a.ops;
  s.waits = a.waits;
  s.eagain = a.eagain;
  s.timeouts = a.timeouts;
  s.interrupted = a.interrupted;
  s.woken = a.woken;
  s.requeued = a.requeued;
  s.wait_total_ns = a.wait_total_ns;
  s.wait_max_ns = a.wait_max_ns;
  WaitHist::Dense hist{};
  for (uint32_t d : a.short_waits) hist[log2_bucket(d)]++;
  for (uint64_t d : a.long_waits) hist[log2_bucket(d)]++;
  if (folded_) {
    const size_t i = static_cast<size_t>(&a - accs_.data());
    if (i < folded_hist_.size())
      for (unsigned b = 0; b < FXS_HIST_BUCKETS; b++) hist[b] += folded_hist_[i][b];
    s.percentiles_estimated = true;
  }
  s.hist.assign(hist);
  s.tgid = a.tgid;
  s.uaddr = a.uaddr;
  s.threads = a.threads;
  s.bucket = a.bucket;
  if (a.agg >= 0) {
    s.add(counts_of(aggs_[a.agg]));
    s.percentiles_estimated = true;
  }
  s.wait_samples = s.hist.total();
  if (s.percentiles_estimated) {
    s.wait_p50_ns = hist_percentile(s.hist, s.wait_max_ns, 50);
    s.wait_p99_ns = hist_percentile(s.hist, s.wait_max_ns, 99);
  } else {
    // Exact nearest rank. Every long wait is longer than every short one,
    // so the sorted whole is sorted(short) followed by sorted(long).
    uint64_t n = a.short_waits.size() + a.long_waits.size();
    auto pick = [&](unsigned p) -> uint64_t {
      if (n == 0) return 0;
      size_t k = nearest_rank(n, p) - 1;
      if (k < a.short_waits.size()) {
        std::nth_element(a.short_waits.begin(), a.short_waits.begin() + k, a.short_waits.end());
        return a.short_waits[k];
      }
      k -= a.short_waits.size();
      std::nth_element(a.long_waits.begin(), a.long_waits.begin() + k, a.long_waits.end());
      return a.long_waits[k];
    };
    s.wait_p50_ns = pick(50);
    s.wait_p99_ns = pick(99);
  }
  s.kind = classify(s);
  return s;
}

void FutexModel::rank(std::vector<FutexStats>& futexes) {
  std::vector<uint32_t> order = rank_order(futexes.size(), [&](size_t i) -> const FutexStats& { return futexes[i]; });
  permute_in_place(futexes, order);
}

std::vector<uint32_t> FutexModel::order_of(std::vector<RankKey>& keys) {
  // A 32-byte key per futex is sorted, and the caller moves each record
  // once (permute_in_place): sorting the stats themselves moved each one
  // log n times, a third of the window's load of a trace with 263,000
  // futexes (docs/BENCHMARKS.md). (tgid, uaddr) is unique: the order is total.
  std::sort(keys.begin(), keys.end(), [](const RankKey& x, const RankKey& y) {
    if (x.wait_ns != y.wait_ns) return x.wait_ns > y.wait_ns;
    if (x.ops != y.ops) return x.ops > y.ops;
    if (x.tgid != y.tgid) return x.tgid < y.tgid;
    return x.uaddr < y.uaddr;
  });
  std::vector<uint32_t> order(keys.size());
  for (size_t i = 0; i < keys.size(); i++) order[i] = keys[i].index;
  return order;
}

uint64_t FutexModel::events() const {
  uint64_t n = futex_records_;
  for (const fxs_agg_val& v : aggs_)
    n = std::accumulate(std::begin(v.ops), std::end(v.ops), n);
  return n;
}

std::string_view FutexModel::process_name(uint32_t tgid) const {
  auto it = process_names_.find(tgid);
  return it == process_names_.end() ? std::string_view{} : std::string_view{it->second};
}

std::string_view FutexModel::thread_name(uint32_t tid) const {
  auto it = thread_names_.find(tid);
  return it == thread_names_.end() ? std::string_view{} : std::string_view{it->second};
}

std::vector<std::string> FutexModel::warnings() const {
  std::vector<std::string> w;
  if (malformed_)
    w.push_back(std::to_string(malformed_) + " malformed records skipped (shorter than their type)");
  if (unknown_)
    w.push_back(std::to_string(unknown_) +
                " records of an unknown type ignored (written by a newer futexscope?)");
  if (implausible_spans_)
    w.push_back(std::to_string(implausible_spans_) +
                " waits have an exit time before their entry or more than years after it (damaged "
                "timestamps): they are counted as waits but left out of wait times");
  if (sum_overflows_)
    w.push_back("wait time totals overflowed 64 bits " + std::to_string(sum_overflows_) +
                " times (damaged timestamps): the totals shown are lower bounds");
  if (folded_)
    w.push_back("more than " + std::to_string(duration_limit_) +
                " wait durations: p50/p99 are estimated from log2 histograms past that (raise --memory-limit "
                "for exact ones)");
  return w;
}

}  // namespace fxs
