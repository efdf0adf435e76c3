// rseq_timeline.h: when rseq critical sections aborted, for drawing aborts
// over time (ui/view_rseq.cpp). RseqModel (rseq_model.h) has the totals; this
// keeps the timestamps.
//
// Per critical section (pid, start_ip) and cause, the abort times are kept
// sorted, so counting the aborts in a time range is two binary searches: a
// histogram of B bins over any range costs O(B x causes x log aborts),
// however many aborts the trace holds. Memory: 8 bytes per abort record.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/record_types.h"

namespace fxs {

class RseqAbortTimes {
 public:
  static constexpr RecordTypes kReads{FXS_REC_RSEQ_ABORT};  // the record types add() reads
  static constexpr size_t kAll = SIZE_MAX;  // section index meaning "every section"

  // Takes FXS_REC_RSEQ_ABORT records; ignores the rest.
  void add(const fxs_rec_hdr* h);
  // Restores the sort order after records arrived out of order (several CPUs
  // write the ring in reservation order, not quite time order). Call after a
  // batch of add()s, before counting. Costs O(k log k) for the k times from
  // a vector's first late arrival on, plus a merge of those with the older
  // times they overlap: never a sort of the whole vector.
  void finish_batch();

  // Index of section (tgid, start_ip), or SIZE_MAX if it never aborted.
  size_t section(uint32_t tgid, uint64_t start_ip) const;
  size_t sections() const { return sections_.size(); }

  // Aborts with `cause` (enum fxs_rseq_cause) of section `s` (or kAll) whose
  // time is in [t0, t1).
  uint64_t count(size_t s, unsigned cause, uint64_t t0, uint64_t t1) const;
  // All causes.
  uint64_t count(size_t s, uint64_t t0, uint64_t t1) const;

  uint64_t total() const { return total_; }
  uint64_t first_ns() const { return total_ ? first_ns_ : 0; }
  uint64_t last_ns() const { return total_ ? last_ns_ : 0; }

 private:
  using ByCause = std::array<std::vector<uint64_t>, FXS_RSEQ_NR_CAUSES>;
  ByCause& by(size_t s);
  void push(size_t s, unsigned cause, uint64_t ts);

  ByCause all_;
  std::vector<ByCause> sections_;
  std::map<std::pair<uint32_t, uint64_t>, size_t> index_;  // (tgid, start_ip) -> section
  // A vector whose times arrived out of order in this batch: everything
  // before `from` (its first late arrival) is sorted, the rest may not be.
  struct Unsorted {
    size_t s;
    unsigned cause;
    size_t from;
  };
  std::vector<Unsorted> unsorted_;
  uint64_t total_ = 0, first_ns_ = UINT64_MAX, last_ns_ = 0;
};

}  // namespace fxs
