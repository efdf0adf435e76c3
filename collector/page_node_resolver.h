// page_node_resolver.h: the NUMA node of every page that holds a traced futex
// word, asked from user space with move_pages(2) (nodes = NULL only asks; no
// page moves) and written into the trace as FXS_REC_PAGE_NODE records.
//
// BPF cannot tell where a user page lives, the collector can, cheaply: one
// system call per new (process, page), cached, and a periodic pass that asks
// again about every known page to see migrations (a record is written only
// when a page's answer changed). A process the kernel says is gone (ESRCH, or
// EINVAL: exiting, no address space) is forgotten, so the cap bounds the pages
// of live processes, not of every process a long recording ever saw.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/error.h"

namespace fxs {

class TraceWriter;

// move_pages(2) as a query for process `tgid`: status[i] = node of pages[i],
// or -errno. Returns 0, or -errno for the whole call. A parameter so the
// bookkeeping can be tested without root and without other processes.
using PageQuery = std::function<long(uint32_t tgid, std::vector<void*>& pages, std::vector<int>& status)>;
long move_pages_query(uint32_t tgid, std::vector<void*>& pages, std::vector<int>& status);

class PageNodeResolver {
 public:
  // Pages of live processes remembered at most; beyond that, new pages are
  // not asked about (each such lookup counted in dropped_by_cap()).
  static constexpr size_t kMaxPages = 262144;
  // Pages re-asked per refresh_step(): bounds the time one step keeps the
  // recorder's drain loop from the ring buffers. Measured here (2 vCPUs,
  // shared): a pass over 262144 pages of one process took 60-70 ms at once,
  // and 64 steps of at most 1.5-2.9 ms in slices.
  static constexpr size_t kRefreshBudget = 4096;
  // A refresh pass starts at most this often.
  static constexpr uint64_t kRefreshPeriodNs = 1000000000ull;

  explicit PageNodeResolver(PageQuery query = move_pages_query, size_t max_pages = kMaxPages,
                            size_t refresh_budget = kRefreshBudget);

  // A record as the BPF side produced it: every address an FXS_REC_FUTEX
  // names (uaddr, uaddr2, futex_waitv entries), or an FXS_REC_AGG key.
  // Other records are ignored.
  Status on_record(const void* data, size_t size, TraceWriter& w);
  // One futex address of process `tgid`.
  Status note(uint32_t tgid, uint64_t uaddr, TraceWriter& w);
  // One slice of the periodic re-ask: continues the pass under way (or starts
  // one if the last began kRefreshPeriodNs ago) for at most refresh_budget
  // pages, round-robin over processes; writes a record for each page whose
  // node changed and forgets processes that are gone.
  Status refresh_step(TraceWriter& w, uint64_t now_ns);
  // A whole pass at once, no budget (the end of a recording).
  Status refresh(TraceWriter& w);

  uint64_t pages() const { return pages_; }                    // remembered now (live processes)
  uint64_t dropped_by_cap() const { return dropped_by_cap_; }  // lookups not made: cap full
  uint64_t processes_released() const { return released_; }   // forgotten: gone
  uint64_t records_written() const { return records_; }
  bool pass_under_way() const { return in_pass_; }

 private:
  struct Process {
    std::unordered_map<uint64_t, int32_t> nodes;  // page -> last answer
  };
  Status write(uint32_t tgid, uint64_t page, int32_t node, TraceWriter& w);
  void release(uint32_t tgid);
  void start_pass(uint64_t now_ns);
  Status run_pass(TraceWriter& w, size_t budget);

  PageQuery query_;
  size_t max_pages_, budget_;
  std::unordered_map<uint32_t, Process> procs_;
  uint64_t page_mask_;
  uint32_t page_size_;
  // The previous lookup: futex records name the same page again and again.
  uint32_t last_tgid_ = 0;
  uint64_t last_page_ = UINT64_MAX;
  uint64_t pages_ = 0, dropped_by_cap_ = 0, released_ = 0, records_ = 0;

  // The refresh pass under way: the processes it visits (a snapshot: procs_
  // may change between steps), and the pages of the current one.
  bool in_pass_ = false;
  bool passed_once_ = false;
  uint64_t pass_start_ns_ = 0;
  std::vector<uint32_t> pass_tgids_;
  size_t pass_next_ = 0;
  uint32_t cur_tgid_ = 0;
  std::vector<void*> cur_pages_;
  size_t cur_next_ = 0;
};

}  // namespace fxs
