#include "replay/timeline_model.h"
#include "replay/trace_format.h"
#include "replay/trace_text.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "replay/futex_ops.h"

namespace fxs {

namespace {

constexpr uint32_t kUnitShift = 30;
constexpr uint64_t kUnitMax = (1u << kUnitShift) - 1;
constexpr uint64_t kUnitNs[4] = {1, 1000, 1000000, 1000000000};

std::string comm_string(const char* comm) {
  return trace_text(comm, FXS_COMM_LEN);
}

}  // namespace

uint32_t pack_duration(uint64_t ns) {
  if (ns <= kUnitMax) return static_cast<uint32_t>(ns);  // nearly every call: no division
  for (uint32_t u = 1; u < 4; u++) {
    uint64_t v = (ns + kUnitNs[u] - 1) / kUnitNs[u];  // round up: never shorter than real
    if (v <= kUnitMax) return (u << kUnitShift) | static_cast<uint32_t>(v);
  }
  return (3u << kUnitShift) | static_cast<uint32_t>(kUnitMax);
}

uint64_t unpack_duration(uint32_t packed) {
  return (packed & kUnitMax) * kUnitNs[packed >> kUnitShift];
}

std::string_view TimelineModel::thread_name(uint32_t tid) const {
  auto it = thread_names_.find(tid);
  return it == thread_names_.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view TimelineModel::process_name(uint32_t tgid) const {
  auto it = process_names_.find(tgid);
  return it == process_names_.end() ? std::string_view() : std::string_view(it->second);
}

uint32_t TimelineModel::futex_index(uint32_t tgid, uint64_t uaddr) {
  bool added = false;
  uint32_t idx = futex_ids_.find_or_add(tgid, uaddr, &added);
  if (added) futexes_.push_back({tgid, uaddr});
  return idx;
}

std::vector<uint32_t> TimelineModel::lanes_by_wait() const {
  std::vector<uint32_t> order(lanes_.size());
  for (uint32_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return lanes_[a].wait_ns > lanes_[b].wait_ns; });
  return order;
}

uint32_t TimelineModel::lane_index(uint32_t tgid, uint32_t tid) {
  uint64_t key = uint64_t{tgid} << 32 | tid;
  if (has_last_lane_ && key == last_lane_key_) return last_lane_;
  auto [it, added] = lane_ids_.try_emplace(key, static_cast<uint32_t>(lanes_.size()));
  if (added) {
    lanes_.emplace_back();
    lanes_.back().tgid = tgid;
    lanes_.back().tid = tid;
    unsorted_from_.push_back(UINT64_MAX);
  }
  last_lane_key_ = key;
  last_lane_ = it->second;
  has_last_lane_ = true;
  return it->second;
}

void TimelineModel::add_futex(const fxs_rec_hdr* h, uint32_t key_id) {
  // Only the fields up to nr_uaddrs are read, so records of the first ABI
  // (88 bytes) and of later ones that appended fields both load; a waitv
  // vector is the record's last nr_uaddrs * 8 bytes whatever its layout.
  constexpr size_t kNeeded = offsetof(fxs_futex_rec, nr_uaddrs) + 1;
  fxs_futex_rec r;
  if (h->size >= sizeof(r)) {
    std::memcpy(&r, h, sizeof(r));  // a fixed size: a few vector moves, the hot path
  } else if (h->size >= kNeeded) {
    r = fxs_futex_rec{};  // an older, shorter layout
    std::memcpy(&r, h, h->size);
  } else {
    malformed_++;
    return;
  }
  if (calls_ >= call_limit_) {
    over_limit_++;
    return;
  }
  uint64_t uaddr = r.uaddr;
  // futex_waitv: draw the call on the entry that woke it (ret is its index).
  size_t vec = size_t{r.nr_uaddrs} * 8;
  if (r.opi == FXS_OP_FUTEX2_WAITV && r.ret > 0 && r.ret < r.nr_uaddrs && h->size >= kNeeded + vec)
    std::memcpy(&uaddr, reinterpret_cast<const uint8_t*>(h) + h->size - vec + size_t(r.ret) * 8, 8);

  TimelineCall c;
  c.flags = 0;
  c.enter_ns = r.enter_ns;
  uint64_t dur = 0;
  if (r.enter_ns == 0 || r.enter_ns > r.exit_ns) {
    c.enter_ns = r.exit_ns;
    c.flags |= kCallEnterLost;
  } else {
    dur = r.exit_ns - r.enter_ns;
  }
  c.dur = pack_duration(dur);
  // A key is the record's own (tgid, uaddr); futex_waitv calls have none.
  c.futex = chunk_futexes_.index(key_id, [&] { return futex_index(r.tgid, uaddr); });
  c.ret = r.ret;
  c.opi = r.opi;
  c.nr_uaddrs = r.opi == FXS_OP_FUTEX2_WAITV ? r.nr_uaddrs : 0;
  if (is_wait_op(r.opi) && queued(wait_outcome(r.ret))) c.flags |= kCallQueued;

  uint32_t li = lane_index(r.tgid, r.tid);
  TimelineLane& lane = lanes_[li];
  if (!lane.calls.empty() && c.enter_ns < lane.calls.back().enter_ns && unsorted_from_[li] == UINT64_MAX) {
    unsorted_from_[li] = lane.calls.size();
    unsorted_.push_back(li);
  }
  lane.calls.push_back(c);
  calls_++;
  if (c.enter_ns < first_ns_) first_ns_ = c.enter_ns;
  if (r.exit_ns > last_ns_) last_ns_ = r.exit_ns;
  if (c.flags & kCallQueued) {
    lane.wait_ns += dur;
    if (dur > longest_.dur_ns || longest_.lane == SIZE_MAX) longest_ = {li, c.enter_ns, dur};
  }
  if (is_wake_or_requeue_op(c.opi) && c.ret > 0) lane.waking_calls++;
}

void TimelineModel::add_task(const fxs_rec_hdr* h) {
  fxs_task_rec r;
  if (!read_record(h, r)) {
    malformed_++;
    return;
  }
  thread_names_[r.tid] = comm_string(r.comm);
  process_names_[r.tgid] = comm_string(r.pcomm);
}

void TimelineModel::add(const fxs_rec_hdr* h) {
  switch (h->type) {
    case FXS_REC_FUTEX: add_futex(h, ChunkFutexKeys::kNone); break;
    case FXS_REC_TASK: add_task(h); break;
    case FXS_REC_LOSS: {
      fxs_loss_rec r;
      if (!read_record(h, r)) {
        malformed_++;
        break;
      }
      lost_ = r.counters[FXS_CNT_RINGBUF_DROP];
      break;
    }
    case FXS_REC_STOP: has_stop_ = true; break;
    default: break;
  }
}

void TimelineModel::add_records(const uint8_t* data, size_t size, const ChunkFutexKeys* keys) {
  chunk_futexes_.start(keys, data, size);
  // A decoded chunk's records are 8-byte aligned (ChunkDecoder); bytes from
  // elsewhere may not be, and the readers below take the header through the
  // pointer: a misaligned record is copied first.
  size_t off = 0, futex_records = 0;
  while (size - off >= sizeof(fxs_rec_hdr)) {
    fxs_rec_hdr h;
    std::memcpy(&h, data + off, sizeof h);
    if (h.size < sizeof h || h.size > size - off) {
      malformed_++;
      break;
    }
    const uint8_t* p = data + off;
    if (reinterpret_cast<uintptr_t>(p) % alignof(uint64_t) != 0) {
      misaligned_copy_.resize((h.size + 7) / 8);
      std::memcpy(misaligned_copy_.data(), p, h.size);
      p = reinterpret_cast<const uint8_t*>(misaligned_copy_.data());
    }
    const auto* rec = reinterpret_cast<const fxs_rec_hdr*>(p);
    if (h.type == FXS_REC_FUTEX)
      add_futex(rec, keys ? keys->id(futex_records++) : ChunkFutexKeys::kNone);
    else
      add(rec);
    off += h.size;
  }
  chunk_futexes_.stop();
  finish_batch();
}

// The ring buffers are per CPU, so a thread that migrated can have a later
// call arrive before an earlier one. Lanes that saw that are re-sorted from
// the first position the late calls can belong to.
void TimelineModel::finish_batch() {
  for (uint32_t li : unsorted_) {
    auto& calls = lanes_[li].calls;
    size_t bad = unsorted_from_[li];
    unsorted_from_[li] = UINT64_MAX;
    uint64_t lo = UINT64_MAX;
    for (size_t i = bad; i < calls.size(); i++) lo = std::min(lo, calls[i].enter_ns);
    auto from = std::upper_bound(calls.begin(), calls.begin() + static_cast<std::ptrdiff_t>(bad), lo,
                                 [](uint64_t t, const TimelineCall& c) { return t < c.enter_ns; });
    std::stable_sort(from, calls.end(),
                     [](const TimelineCall& a, const TimelineCall& b) { return a.enter_ns < b.enter_ns; });
  }
  unsorted_.clear();
}

size_t TimelineModel::first_ending_at_or_after(const TimelineLane& lane, uint64_t t) {
  // Calls of one thread do not overlap: exit times ascend like enter times.
  auto it = std::partition_point(lane.calls.begin(), lane.calls.end(),
                                 [t](const TimelineCall& c) { return c.exit_ns() < t; });
  return static_cast<size_t>(it - lane.calls.begin());
}

size_t TimelineModel::first_entering_at_or_after(const TimelineLane& lane, uint64_t t) {
  auto it = std::partition_point(lane.calls.begin(), lane.calls.end(),
                                 [t](const TimelineCall& c) { return c.enter_ns < t; });
  return static_cast<size_t>(it - lane.calls.begin());
}

size_t TimelineModel::call_at(const TimelineLane& lane, uint64_t t) {
  size_t i = first_ending_at_or_after(lane, t);
  if (i < lane.calls.size() && lane.calls[i].enter_ns <= t) return i;
  return SIZE_MAX;
}

size_t TimelineModel::call_entered_at(const TimelineLane& lane, uint64_t enter) {
  size_t i = first_entering_at_or_after(lane, enter);
  return i < lane.calls.size() && lane.calls[i].enter_ns == enter ? i : SIZE_MAX;
}

void TimelineModel::fold(const TimelineLane& lane, uint64_t t0, uint64_t t1, uint64_t min_ns,
                         std::vector<TimelineItem>& out) {
  const auto& calls = lane.calls;
  if (min_ns == 0) min_ns = 1;
  size_t i = first_ending_at_or_after(lane, t0);
  size_t end = first_entering_at_or_after(lane, t1);
  auto begin = calls.begin();
  while (i < end) {
    const TimelineCall& c = calls[i];
    uint64_t d = c.dur_ns();
    if (d >= min_ns) {
      out.push_back({c.enter_ns, c.enter_ns + d, uint32_t(i), 1, c.futex, uint32_t(i)});
      i++;
      continue;
    }
    // A narrow call opens a window of min_ns. Every call entering inside it
    // but the last is narrow too (it starts after the previous one ended),
    // so the window holds [i, k) and perhaps one wide call at k - 1.
    uint64_t window_end = c.enter_ns + min_ns;
    size_t k = static_cast<size_t>(
        std::partition_point(begin + static_cast<std::ptrdiff_t>(i + 1), begin + static_cast<std::ptrdiff_t>(end),
                             [window_end](const TimelineCall& x) { return x.enter_ns < window_end; }) -
        begin);
    if (k - i > 1 && calls[k - 1].dur_ns() >= min_ns) k--;
    if (k - i == 1) {
      out.push_back({c.enter_ns, window_end, uint32_t(i), 1, c.futex, uint32_t(i)});
      i++;
      continue;
    }
    // Colour the fold by its longest call among up to 16 evenly spaced
    // samples: bounded work per fold, and the same answer every frame.
    size_t n = k - i, step = n > 16 ? n / 16 : 1, best = i;
    uint64_t best_d = 0;
    for (size_t j = i; j < k; j += step) {
      // Waits that queued first, then the longest.
      uint64_t dj = calls[j].dur_ns() | (calls[j].flags & kCallQueued ? uint64_t{1} << 63 : 0);
      if (dj > best_d) {
        best_d = dj;
        best = j;
      }
    }
    uint64_t last_exit = calls[k - 1].exit_ns();
    out.push_back({c.enter_ns, std::max(last_exit, window_end), uint32_t(i), uint32_t(n), calls[best].futex,
                   uint32_t(best)});
    i = k;
  }
}

}  // namespace fxs
