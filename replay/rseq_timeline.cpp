#include "replay/rseq_timeline.h"

#include <algorithm>
#include <cstring>

#include "replay/trace_format.h"

namespace fxs {

void RseqAbortTimes::add(const fxs_rec_hdr* h) {
  if (h->type != FXS_REC_RSEQ_ABORT) return;
  fxs_rseq_abort_rec r;
  if (!read_record(h, r)) return;  // malformed: RseqModel counts it
  unsigned cause = r.cause < FXS_RSEQ_NR_CAUSES ? unsigned(r.cause) : unsigned(FXS_RSEQ_CAUSE_UNKNOWN);
  auto [it, fresh] = index_.try_emplace({r.tgid, r.start_ip}, sections_.size());
  if (fresh) sections_.emplace_back();
  push(kAll, cause, r.ts_ns);
  push(it->second, cause, r.ts_ns);
  total_++;
  first_ns_ = std::min<uint64_t>(first_ns_, r.ts_ns);
  last_ns_ = std::max<uint64_t>(last_ns_, r.ts_ns);
}

RseqAbortTimes::ByCause& RseqAbortTimes::by(size_t s) { return s == kAll ? all_ : sections_[s]; }

void RseqAbortTimes::push(size_t s, unsigned cause, uint64_t ts) {
  std::vector<uint64_t>& v = by(s)[cause];
  // Only the first late arrival of a vector in a batch needs remembering:
  // the times before it are still sorted.
  if (!v.empty() && ts < v.back() &&
      std::none_of(unsorted_.begin(), unsorted_.end(), [&](const Unsorted& u) { return u.s == s && u.cause == cause; }))
    unsorted_.push_back({s, cause, v.size()});
  v.push_back(ts);
}

void RseqAbortTimes::finish_batch() {
  // Late records are few and recent: sort the tail from the first late
  // arrival, then merge it into the sorted times it reaches back into (those
  // after the tail's earliest time; the ones before it stay where they are).
  for (const Unsorted& u : unsorted_) {
    std::vector<uint64_t>& v = by(u.s)[u.cause];
    auto mid = v.begin() + std::ptrdiff_t(u.from);
    std::sort(mid, v.end());
    auto lo = std::upper_bound(v.begin(), mid, *mid);
    std::inplace_merge(lo, mid, v.end());
  }
  unsorted_.clear();
}

size_t RseqAbortTimes::section(uint32_t tgid, uint64_t start_ip) const {
  auto it = index_.find({tgid, start_ip});
  return it == index_.end() ? SIZE_MAX : it->second;
}

uint64_t RseqAbortTimes::count(size_t s, unsigned cause, uint64_t t0, uint64_t t1) const {
  if (cause >= FXS_RSEQ_NR_CAUSES || t1 <= t0) return 0;
  const ByCause* by = s == kAll ? &all_ : s < sections_.size() ? &sections_[s] : nullptr;
  if (!by) return 0;
  const std::vector<uint64_t>& v = (*by)[cause];
  auto a = std::lower_bound(v.begin(), v.end(), t0);
  auto b = std::lower_bound(a, v.end(), t1);
  return uint64_t(b - a);
}

uint64_t RseqAbortTimes::count(size_t s, uint64_t t0, uint64_t t1) const {
  uint64_t n = 0;
  for (unsigned c = 0; c < FXS_RSEQ_NR_CAUSES; c++) n += count(s, c, t0, t1);
  return n;
}

}  // namespace fxs
