// page_node_resolver.h: the NUMA node of every page that holds a traced futex
// word, asked from user space with move_pages(2) (nodes = NULL only asks; no
// page moves) and written into the trace as FXS_REC_PAGE_NODE records.
//
// BPF cannot tell where a user page lives, the collector can, cheaply: one
// system call per new (process, page), cached, and one batched call per
// process about once a second to see migrations (a record is written only
// when a page's answer changed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "bpf/trace_abi.h"
#include "replay/error.h"

namespace fxs {

class TraceWriter;

class PageNodeResolver {
 public:
  // Pages remembered at most; beyond that, new pages are not asked about
  // (each such lookup counted in unresolved(), which the recorder prints).
  static constexpr size_t kMaxPages = 262144;

  PageNodeResolver();

  // A record as the BPF side produced it: every address an FXS_REC_FUTEX
  // names (uaddr, uaddr2, futex_waitv entries), or an FXS_REC_AGG key.
  // Other records are ignored.
  Status on_record(const void* data, size_t size, TraceWriter& w);
  // One futex address of process `tgid`.
  Status note(uint32_t tgid, uint64_t uaddr, TraceWriter& w);
  // Asks again about every remembered page of processes still alive and
  // writes a record for each page whose node changed.
  Status refresh(TraceWriter& w);

  uint64_t pages() const { return pages_; }
  uint64_t unresolved() const { return unresolved_; }
  uint64_t records_written() const { return records_; }

 private:
  struct Process {
    std::unordered_map<uint64_t, int32_t> nodes;  // page -> last answer
    bool gone = false;                            // move_pages said ESRCH
  };
  Status write(uint32_t tgid, uint64_t page, int32_t node, TraceWriter& w);

  std::unordered_map<uint32_t, Process> procs_;
  uint64_t page_mask_;
  uint32_t page_size_;
  // The previous lookup: futex records name the same page again and again.
  uint32_t last_tgid_ = 0;
  uint64_t last_page_ = UINT64_MAX;
  uint64_t pages_ = 0, unresolved_ = 0, records_ = 0;
};

}  // namespace fxs
