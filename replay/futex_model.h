// futex_model.h: the in-memory model of a trace, built record by record.
//
// One entry per futex, keyed by (tgid, uaddr). Counting follows agg_apply()
// in bpf/futex.bpf.c exactly (and samples/ground_truth.h), so a per-event
// trace and a --summary trace of the same run give the same numbers; the
// rules are listed in docs/report-json.md.
//
// add() is the hot path (target: >= 10M records/s on one core): no per-record
// allocation beyond amortized vector growth; futexes live in a flat
// open-addressing table; distinct threads are a 64-bit mask per futex for the
// first 64 threads of a process (a flat set of pairs past that); wait
// durations are kept as uint32_t (uint64_t only past 4.29 s) for exact
// percentiles at finish().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "replay/chunk_futex_keys.h"
#include "replay/futex_index.h"
#include "replay/record_types.h"
#include "replay/wait_hist.h"
#include "bpf/trace_abi.h"
#include "replay/futex_ops.h"
#include "replay/trace_format.h"  // kNoStopRecordWarning

namespace fxs {

enum class FutexKind : uint8_t { kMutex, kCondvar, kRwlock, kPiMutex, kBarrier, kOther, kJoin };
// "mutex", "condvar", "rwlock", "pi-mutex", "barrier", "other", "join" (a thread's
// CLONE_CHILD_CLEARTID word: pthread_join waits there for the thread's exit).
const char* kind_name(FutexKind kind);

// Counters of one futex (same meaning as struct fxs_agg_val).
struct FutexCounts {
  std::array<uint64_t, kNumOps> ops{};  // calls naming this address, by op index
  uint64_t waits = 0;        // wait-type calls that queued: ret >= 0, ETIMEDOUT, interrupted
  uint64_t eagain = 0;       // wait-type calls that returned EAGAIN
  uint64_t timeouts = 0;     // ... that returned ETIMEDOUT (also in waits)
  uint64_t interrupted = 0;  // ... that returned EINTR or a restart code (also in waits)
  uint64_t woken = 0;        // waiters that wake/requeue calls on this address woke
  uint64_t requeued = 0;     // waiters that requeue calls moved away from this address
  uint64_t wait_total_ns = 0;  // over waits with a known duration (enter_ns != 0)
  uint64_t wait_max_ns = 0;
  WaitHist hist;             // log2(ns) histogram of those durations

  void add(const FutexCounts& o);
  uint64_t total_ops() const;
};

// One futex, as reported.
// The kernel hash bucket computed for a futex's calls (fxs_futex_rec.bucket_*),
// kept here because this model already looks every call's futex up; the
// bucket model (replay/bucket_model.h) does the rest.
struct BucketSeen {
  uint16_t where = 0;    // FXS_BUCKET_WHERE(table, node) of the latest call; 0 = none
  uint32_t index = 0;
  uint32_t changes = 0;  // times a call's bucket differed from the previous one's
  uint64_t ops = 0;      // calls that carried a bucket
};

struct FutexStats : FutexCounts {
  uint32_t tgid = 0;
  uint64_t uaddr = 0;
  uint64_t wait_samples = 0;   // waits with a known duration (== sum of hist)
  uint64_t wait_p50_ns = 0;    // nearest-rank percentiles of those durations
  uint64_t wait_p99_ns = 0;
  // true when p50/p99 come from the log2 histogram (--summary aggregates):
  // then they are the upper bound of the bucket holding the nearest-rank
  // sample, clamped to wait_max_ns.
  bool percentiles_estimated = false;
  uint32_t threads = 0;        // distinct tids that named this address (0 in --summary)
  FutexKind kind = FutexKind::kOther;
  BucketSeen bucket;
};

// The kind heuristic (docs/report-json.md): pi-mutex, condvar, mutex, other.
FutexKind classify(const FutexCounts& c);

// Nearest-rank percentile (p in 1..100) of the log2 histogram: upper bound
// of the bucket holding the ceil(p/100 * n)-th sample, clamped to max_ns.
uint64_t hist_percentile(const WaitHist& hist, uint64_t max_ns, unsigned p);

class FutexModel {
 public:
  // The record types add() reads; it counts the types this build does not know.
  static constexpr RecordTypes kReads =
      RecordTypes{FXS_REC_FUTEX, FXS_REC_TASK, FXS_REC_LOSS, FXS_REC_AGG, FXS_REC_STOP} | RecordTypes::unknown();
  FutexModel();

  // Applies one record (any alignment; hdr.size bytes must be readable).
  // Unknown record types are ignored (counted in unknown_records()); records
  // too short for their type are skipped (counted in malformed_records()).
  // Returns the futex index (first-seen order, as finish() lists them) of a
  // futex record's uaddr, so models of the same calls can keep their state
  // by index without a lookup of their own; FutexIndex::kNone for other
  // records and for futex_waitv (which names several).
  uint32_t add(const fxs_rec_hdr* rec);
  // The same for the records of one chunk whose futexes `keys` hold (see
  // replay/chunk_futex_keys.h): between start_chunk() and end_chunk(), give
  // every record of the chunk, in order, each FXS_REC_FUTEX record with its
  // id (keys->id(n) for the n-th); a call then finds its futex without a
  // hash lookup.
  void start_chunk(const ChunkFutexKeys* keys, const uint8_t* data, size_t size) {
    chunk_futexes_.start(keys, data, size);
  }
  uint32_t add(const fxs_rec_hdr* rec, uint32_t key_id);
  void end_chunk() { chunk_futexes_.stop(); }
  // The futex index of (tgid, uaddr), or FutexIndex::kNone.
  uint32_t index_of(uint32_t tgid, uint64_t uaddr) const { return index_.find(tgid, uaddr); }
  // Applies whole records back to back (a decompressed chunk, as
  // TraceReader::next_chunk returns it). A record whose size runs past
  // `size`, or is smaller than a header, ends the walk and counts as malformed.
  void add_records(const uint8_t* data, size_t size);

  // Per-futex results, in first-seen order: percentiles, kinds, and the
  // latest --summary aggregate of each key added to what the per-event
  // records counted. May be called again after more add()s (live mode); it
  // costs O(futexes + wait durations recorded).
  std::vector<FutexStats> finish();
  // The same, one futex at a time into `out(FutexStats&&)`: a caller that
  // keeps each in a larger record needs no second vector of them.
  template <typename Out>
  void finish_each(Out&& out) {
    for (Acc& a : accs_) out(finish_one(a));
  }
  size_t futex_count() const { return accs_.size(); }
  // Sorts by total wait time (desc), then op count (desc), then pid, uaddr.
  static void rank(std::vector<FutexStats>& futexes);
  // That order as a permutation (replay/permute.h) of the futexes that
  // `stats_of(i)` gives, i < n.
  template <typename StatsOf>
  static std::vector<uint32_t> rank_order(size_t n, StatsOf&& stats_of) {
    std::vector<RankKey> keys(n);
    for (size_t i = 0; i < n; i++) {
      const FutexStats& f = stats_of(i);
      keys[i] = {f.wait_total_ns, f.total_ops(), f.uaddr, f.tgid, static_cast<uint32_t>(i)};
    }
    return order_of(keys);
  }

  // Keeps at most `n` wait durations (4 bytes each) for exact percentiles:
  // past that, every futex's durations are folded into its log2 histogram
  // and p50/p99 are estimated from it, so a long live session's memory stays
  // bounded (the window's --memory-limit). No limit by default (`report`).
  void set_duration_limit(uint64_t n) { duration_limit_ = n; }
  bool durations_folded() const { return folded_; }

  // FXS_REC_FUTEX records, plus the sum of ops over the latest aggregate of
  // every key (a --summary trace has no per-call records; there a
  // futex_waitv naming 3 words counts 3, a requeue 2).
  uint64_t events() const;
  uint64_t futex_records() const { return futex_records_; }
  bool summary() const { return !aggs_.empty(); }  // FXS_REC_AGG records seen

  // Latest FXS_REC_LOSS counters (cumulative; all 0 if none was seen).
  const std::array<uint64_t, FXS_NR_COUNTERS>& counters() const { return counters_; }
  bool has_loss_record() const { return has_loss_; }
  // The recorder's FXS_REC_STOP was seen: the recording ended cleanly. A
  // finished stream without it was cut short (kNoStopRecordWarning).
  bool has_stop_record() const { return has_stop_; }
  uint64_t lost() const { return counters_[FXS_CNT_RINGBUF_DROP]; }

  // Smallest and largest non-zero timestamp of any record (futex records:
  // enter_ns and exit_ns); 0 if none.
  uint64_t first_ts_ns() const { return has_ts_ ? min_ts_ : 0; }
  uint64_t last_ts_ns() const { return has_ts_ ? max_ts_ : 0; }
  uint64_t duration_ns() const { return has_ts_ ? max_ts_ - min_ts_ : 0; }

  // Names from FXS_REC_TASK (the latest record wins); "" if unknown.
  std::string_view process_name(uint32_t tgid) const;
  std::string_view thread_name(uint32_t tid) const;

  uint64_t malformed_records() const { return malformed_; }
  uint64_t unknown_records() const { return unknown_; }
  // Problems worth a line on stderr ("3 malformed records skipped").
  std::vector<std::string> warnings() const;

 private:
  struct RankKey {
    uint64_t wait_ns, ops, uaddr;
    uint32_t tgid, index;
  };
  static std::vector<uint32_t> order_of(std::vector<RankKey>& keys);

  // Per-futex accumulator. Every call touches its futex's, thousands of them
  // in turn: the fields every call reads or writes fill the first cache line,
  // the op counts (WAIT, WAKE ... first) the next, the rest follows. The log2
  // histogram of a per-event trace is built from the durations at finish().
  struct alignas(64) Acc {
    uint64_t thread_bits = 0;  // bit i: the process's thread with local index i (< 64) seen
    uint64_t uaddr = 0;
    uint64_t eagain = 0, waits = 0;
    BucketSeen bucket;
    uint32_t tgid = 0;
    uint32_t threads = 0;      // distinct tids
    std::array<uint64_t, kNumOps> ops{};
    uint64_t timeouts = 0, interrupted = 0, woken = 0, requeued = 0, wait_total_ns = 0, wait_max_ns = 0;
    int32_t agg = -1;          // index into aggs_, or -1
    std::vector<uint32_t> short_waits;  // durations < 2^32 ns
    std::vector<uint64_t> long_waits;   // durations >= 2^32 ns (rare)
  };

  FutexIndex index_;  // (tgid, uaddr) -> index into accs_
  ChunkFutexMap chunk_futexes_;  // start_chunk()'s keys -> index into accs_
  std::vector<Acc> accs_;

  // set_duration_limit(): durations kept so far, and once over the limit
  // each futex's histogram by accumulator index (short_waits and
  // long_waits are then empty).
  void fold_durations();
  FutexStats finish_one(Acc& a);
  uint64_t duration_limit_ = UINT64_MAX, durations_kept_ = 0;
  bool folded_ = false;
  std::vector<std::array<uint64_t, FXS_HIST_BUCKETS>> folded_hist_;

  // (tgid, tid) -> the thread's index among the threads of its process, in
  // order of first appearance: the first 64 threads of a process are tracked
  // per futex in Acc::thread_bits (no lookup in a big table), later ones in pairs_.
  struct TidSlot {
    uint64_t key;     // tgid << 32 | tid
    uint32_t local1;  // local index + 1; 0 = empty
    uint32_t pad;
  };
  std::vector<TidSlot> tids_;
  size_t tids_used_ = 0;
  uint64_t last_tid_key_ = 0;  // cache of the previous lookup
  uint32_t last_local_ = 0;
  bool has_last_tid_ = false;
  std::unordered_map<uint32_t, uint32_t> threads_per_tgid_;  // next local index
  // Set of (acc index << 32 | tid) for local indexes >= 64: open addressing, ~0 = empty.
  std::vector<uint64_t> pairs_;
  size_t pairs_used_ = 0;

  std::vector<fxs_agg_val> aggs_;  // latest aggregate per key, by Acc::agg

  uint64_t futex_records_ = 0;
  uint64_t malformed_ = 0;
  uint64_t unknown_ = 0;
  uint64_t implausible_spans_ = 0;  // waits whose exit precedes entry, or follows it by years
  uint64_t sum_overflows_ = 0;      // wait totals that stopped at UINT64_MAX
  std::array<uint64_t, FXS_NR_COUNTERS> counters_{};
  bool has_loss_ = false;
  bool has_stop_ = false;
  uint64_t min_ts_ = UINT64_MAX, max_ts_ = 0;
  bool has_ts_ = false;
  std::unordered_map<uint32_t, std::string> process_names_, thread_names_;

  uint32_t acc_for(uint32_t tgid, uint64_t uaddr);
  uint32_t local_index(uint32_t tgid, uint32_t tid);
  void grow_tids();
  void note_thread(Acc& a, uint32_t acc, uint32_t tgid, uint32_t tid);
  void note_pair(Acc& a, uint32_t acc, uint32_t tid);
  void grow_pairs();
  void note_ts(uint64_t ts) {
    if (ts == 0) return;
    has_ts_ = true;
    if (ts < min_ts_) min_ts_ = ts;
    if (ts > max_ts_) max_ts_ = ts;
  }
  void apply(uint32_t acc, const fxs_futex_rec& r, bool primary);
  uint32_t add_futex(const fxs_rec_hdr* h, uint32_t key_id);
  void add_task(const fxs_rec_hdr* h);
  void add_loss(const fxs_rec_hdr* h);
  void add_agg(const fxs_rec_hdr* h);
};

}  // namespace fxs
