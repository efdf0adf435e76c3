// timeline_model.h: every futex call of a trace, per thread, for drawing a
// timeline. No UI here: the UI (ui/view_timeline.cpp) and the Chrome export
// (replay/chrome_export.cpp) read it.
//
// Memory is the constraint (a 10M-event trace must fit comfortably): one
// call is 24 bytes (TimelineCall), stored in per-thread arrays sorted by
// enter time. A thread makes one system call at a time, so within a lane
// the calls never overlap and both enter and exit times are ascending; that
// is what makes the binary searches below valid.
//
// Per frame the UI asks for the items of the visible range of each lane
// (fold()): two binary searches find the range, and runs of calls narrower
// than a minimum width are folded into one item with another binary search
// per fold, so the cost of a frame grows with the pixels drawn, not with
// the number of calls in view.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "replay/chunk_futex_keys.h"
#include "replay/futex_index.h"
#include "replay/huge_pages.h"
#include "bpf/trace_abi.h"
#include "replay/record_types.h"

namespace fxs {

// One futex-family call: 24 bytes.
struct TimelineCall {
  uint64_t enter_ns;  // absolute (bpf_ktime_get_ns); == exit when the enter time was lost
  uint32_t dur;       // packed duration, see pack_duration()
  uint32_t futex;     // index into TimelineModel::futexes()
  int32_t ret;        // the system call's return value
  uint8_t opi;        // enum fxs_op
  uint8_t flags;      // kCallEnterLost, kCallQueued
  uint16_t nr_uaddrs; // futex_waitv: entries in the vector (0 otherwise)

  uint64_t dur_ns() const;
  uint64_t exit_ns() const { return enter_ns + dur_ns(); }
};
static_assert(sizeof(TimelineCall) == 24, "TimelineCall must stay compact (memory per event)");

inline constexpr uint8_t kCallEnterLost = 1;  // the enter time was not recorded
inline constexpr uint8_t kCallQueued = 2;     // a wait-type call that queued (ret >= 0, ETIMEDOUT, EINTR)

// Durations pack into 32 bits: the top 2 bits choose the unit (ns, us, ms,
// s), the low 30 bits count it. Exact below 1.07 s; within 1 us below
// 17.9 min; within 1 ms below 12.4 days. Units are rounded up so a packed
// duration is never shorter than the real one.
uint32_t pack_duration(uint64_t ns);
uint64_t unpack_duration(uint32_t packed);
inline uint64_t TimelineCall::dur_ns() const { return unpack_duration(dur); }

// A growable array of trivially copyable T, grown with realloc. glibc
// serves large arrays with mmap and grows them with mremap, so a lane of
// millions of calls is never copied and its pages are never faulted in
// twice (std::vector's doubling did both: a fifth of the loading time).
template <typename T>
class PodVector {
  static_assert(std::is_trivially_copyable_v<T>, "PodVector moves bytes");

 public:
  PodVector() = default;
  PodVector(const PodVector& o) { *this = o; }
  PodVector(PodVector&& o) noexcept
      : p_(std::exchange(o.p_, nullptr)),
        n_(std::exchange(o.n_, 0)),
        cap_(std::exchange(o.cap_, 0)),
        ready_(std::exchange(o.ready_, 0)) {}
  PodVector& operator=(const PodVector& o) {
    if (this != &o) {
      n_ = 0;
      reserve(o.n_);
      if (o.n_) std::memcpy(static_cast<void*>(p_), o.p_, o.n_ * sizeof(T));
      n_ = o.n_;
    }
    return *this;
  }
  PodVector& operator=(PodVector&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    std::swap(cap_, o.cap_);
    std::swap(ready_, o.ready_);
    return *this;
  }
  ~PodVector() { std::free(p_); }

  void push_back(const T& v) {
    if (n_ >= ready_) make_room();
    p_[n_++] = v;
  }
  void reserve(size_t cap) {
    if (cap <= cap_) return;
    void* p = std::realloc(static_cast<void*>(p_), cap * sizeof(T));
    if (!p) throw std::bad_alloc();
    p_ = static_cast<T*>(p);
    cap_ = cap;
  }
  void clear() { n_ = 0; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }
  T& back() { return p_[n_ - 1]; }
  const T& back() const { return p_[n_ - 1]; }
  T* begin() { return p_; }
  T* end() { return p_ + n_; }
  const T* begin() const { return p_; }
  const T* end() const { return p_ + n_; }

 private:
  // Past kPrefaultFrom bytes, pages are made present kPrefaultStep bytes
  // at a time ahead of push_back (at most that much more memory resident
  // than used); below, ready_ is simply cap_.
  static constexpr size_t kPrefaultFrom = size_t{4} << 20, kPrefaultStep = size_t{2} << 20;
  void make_room() {
    // From 4: a trace of 200,000 threads of one call each has as many lanes.
    if (n_ >= cap_) reserve(cap_ ? cap_ * 2 : 4);
    if (cap_ * sizeof(T) < kPrefaultFrom) {
      ready_ = cap_;
      return;
    }
    size_t to = std::min(cap_, n_ + kPrefaultStep / sizeof(T));
    prefault(p_, n_ * sizeof(T), to * sizeof(T));
    ready_ = to;
  }

  T* p_ = nullptr;
  size_t n_ = 0, cap_ = 0;
  size_t ready_ = 0;  // push_back writes without a check up to here (<= cap_)
};

struct TimelineFutex {
  uint32_t tgid;
  uint64_t uaddr;
};

struct TimelineLane {
  uint32_t tgid = 0;
  uint32_t tid = 0;
  PodVector<TimelineCall> calls;    // sorted by enter_ns
  uint64_t wait_ns = 0;             // sum of durations of calls that queued
  uint64_t waking_calls = 0;        // wake-type or requeue-type calls that woke someone (ret > 0)
};

// What one lane shows in a time range at a given zoom: one call (count == 1)
// or several folded together.
struct TimelineItem {
  uint64_t t0, t1;      // drawn extent (absolute ns)
  uint32_t first;       // index of the first call in the lane
  uint32_t count;       // calls in the item
  uint32_t futex;       // a single call's futex; for a fold, that of the longest sampled call
  uint32_t longest;     // index of the longest sampled call (the call itself when count == 1)
};

class TimelineModel {
 public:
  // The record types add() reads.
  static constexpr RecordTypes kReads{FXS_REC_FUTEX, FXS_REC_TASK, FXS_REC_LOSS, FXS_REC_STOP};
  // Applies whole records back to back (a decompressed chunk, as
  // TraceReader::next_chunk returns it). Records of other types than
  // FXS_REC_FUTEX / FXS_REC_TASK / FXS_REC_LOSS are ignored. `keys`, if
  // given, are the chunk's futexes (built from these bytes): calls then find
  // their futex without a hash lookup of their own.
  void add_records(const uint8_t* data, size_t size, const ChunkFutexKeys* keys = nullptr);
  // One record; finish_batch() after the last puts each lane's calls in time
  // order (add_records does both).
  void add(const fxs_rec_hdr* rec);
  void finish_batch();

  const std::vector<TimelineLane>& lanes() const { return lanes_; }
  // Lane indexes in the order the window shows them: the threads that waited
  // longest first, then the ones that never waited (wakers, pollers, idle
  // helpers), in the order they appeared: what matters above the fold.
  std::vector<uint32_t> lanes_by_wait() const;
  // The lane of thread (tgid, tid), SIZE_MAX if it made no call.
  size_t find_lane(uint32_t tgid, uint32_t tid) const {
    auto it = lane_ids_.find(uint64_t{tgid} << 32 | tid);
    return it == lane_ids_.end() ? SIZE_MAX : it->second;
  }
  const std::vector<TimelineFutex>& futexes() const { return futexes_; }
  uint64_t calls() const { return calls_; }
  // Keeps at most `n` calls (the window's --memory-limit): later ones are
  // counted in calls_over_limit() and not kept, so a trace bigger than the
  // machine's memory still opens, on its first n calls.
  void set_call_limit(uint64_t n) { call_limit_ = n; }
  uint64_t call_limit() const { return call_limit_; }
  uint64_t calls_over_limit() const { return over_limit_; }
  uint64_t first_ns() const { return calls_ ? first_ns_ : 0; }
  uint64_t last_ns() const { return calls_ ? last_ns_ : 0; }

  // Names from FXS_REC_TASK records (latest wins); "" when unknown.
  std::string_view thread_name(uint32_t tid) const;
  std::string_view process_name(uint32_t tgid) const;
  // Latest FXS_REC_LOSS ringbuf_drop counter (events the kernel dropped).
  uint64_t lost() const { return lost_; }
  // The recorder's FXS_REC_STOP was seen (see kNoStopRecordWarning).
  bool has_stop_record() const { return has_stop_; }
  uint64_t malformed() const { return malformed_; }

  // The longest call that queued, as (lane, enter_ns); lane == SIZE_MAX if none.
  struct Longest {
    size_t lane = SIZE_MAX;
    uint64_t enter_ns = 0;
    uint64_t dur_ns = 0;
  };
  const Longest& longest_wait() const { return longest_; }

  // Index of the first call of `lane` that ends at or after t (lane.calls.size() if none).
  static size_t first_ending_at_or_after(const TimelineLane& lane, uint64_t t);
  // Index of the first call of `lane` that enters at or after t.
  static size_t first_entering_at_or_after(const TimelineLane& lane, uint64_t t);
  // Index of the call that contains t, or SIZE_MAX.
  static size_t call_at(const TimelineLane& lane, uint64_t t);
  // Index of the call that entered at exactly `enter`, or SIZE_MAX.
  static size_t call_entered_at(const TimelineLane& lane, uint64_t enter);

  // Items of `lane` overlapping [t0, t1): calls at least min_ns long are
  // items of their own; a run of shorter calls whose gaps are below min_ns
  // is folded into one item of at least min_ns. Appends to `out`.
  static void fold(const TimelineLane& lane, uint64_t t0, uint64_t t1, uint64_t min_ns,
                   std::vector<TimelineItem>& out);

 private:
  void add_futex(const fxs_rec_hdr* h, uint32_t key_id);
  void add_task(const fxs_rec_hdr* h);
  uint32_t futex_index(uint32_t tgid, uint64_t uaddr);
  uint32_t lane_index(uint32_t tgid, uint32_t tid);

  std::vector<TimelineLane> lanes_;
  std::vector<TimelineFutex> futexes_;
  FutexIndex futex_ids_;  // (tgid, uaddr) -> index into futexes_: the hot path of loading
  ChunkFutexMap chunk_futexes_;  // add_records()' keys -> index into futexes_
  std::unordered_map<uint64_t, uint32_t> lane_ids_;  // tgid << 32 | tid
  // One-entry caches: consecutive records usually share a thread and a futex.
  std::vector<uint64_t> misaligned_copy_;  // add_records(): a record not 8-byte aligned
  // Every 64-bit key is a possible (tgid, tid): no value of it can mean "none".
  bool has_last_lane_ = false;
  uint64_t last_lane_key_ = 0;
  uint32_t last_lane_ = 0;
  // Lanes whose calls arrived out of order in this batch, and by lane the
  // index of the first late call (UINT64_MAX: in order): re-sorted at the
  // end of the batch.
  std::vector<uint32_t> unsorted_;
  std::vector<uint64_t> unsorted_from_;
  std::unordered_map<uint32_t, std::string> thread_names_, process_names_;
  uint64_t calls_ = 0;
  uint64_t call_limit_ = UINT64_MAX, over_limit_ = 0;
  uint64_t first_ns_ = UINT64_MAX, last_ns_ = 0;
  uint64_t lost_ = 0;
  bool has_stop_ = false;
  uint64_t malformed_ = 0;
  Longest longest_;
};

}  // namespace fxs
