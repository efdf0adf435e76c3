// numa_model.h: which NUMA nodes the futex traffic crossed.
//
//  - the wake matrix: threads woken by futex wake-type calls, by the waker's
//    node (the CPU that ran the wake-up) and the woken thread's node (the CPU
//    its wait returned on), with the waking -> return latency per cell. The
//    wakes are the ones WakeModel attributes to wake calls (woken_by.futex_wake),
//    so the matrix sums what the wake calls returned, and a wake that woke
//    nobody adds nothing;
//  - the node of the page holding each futex word (FXS_REC_PAGE_NODE, asked
//    by the collector with move_pages(2)), and the calls on each futex that
//    ran on another node than the page's ("remote" traffic);
//  - the calls made with FUTEX2_NUMA / FUTEX2_MPOL (futex2 flags word).
// CPU -> node comes from the trace header. docs/report-json.md has the rules.
#pragma once

#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/futex_index.h"
#include "replay/error.h"
#include "replay/record_types.h"
#include "replay/wake_model.h"

namespace fxs {

inline constexpr uint32_t kFutex2Numa = 0x4;  // FUTEX2_NUMA
inline constexpr uint32_t kFutex2Mpol = 0x8;  // FUTEX2_MPOL

// No FXS_REC_PAGE_NODE named this page.
inline constexpr int32_t kPageNodeUnknown = INT32_MIN;

struct NumaLatency {
  uint64_t samples = 0;  // wakes with a sched_waking and a known return
  uint64_t total_ns = 0, p50_ns = 0, p99_ns = 0, max_ns = 0;
};

struct NumaFutex {
  uint32_t tgid = 0;
  uint64_t uaddr = 0;
  // The page's node: the latest answer that was a node, else the latest
  // -errno; kPageNodeUnknown if the trace has none.
  int32_t page_node = kPageNodeUnknown;
  uint32_t page_moves = 0;        // times the page's node changed during the recording
  uint64_t wakes = 0;             // attributed wakes with both nodes known
  uint64_t cross_node_wakes = 0;  // ... whose waker and woken thread ran on different nodes
  // This futex's own share of the report-wide wake matrix: its non-zero
  // cells, by waker node then woken thread's node (a list, not a matrix:
  // a trace may name up to 1024 nodes, and a trace may hold many futexes).
  struct NodeWakes {
    int32_t waker_node = 0, woken_node = 0;
    uint64_t wakes = 0;
  };
  std::vector<NodeWakes> wakes_by_node;
  uint64_t calls = 0;             // calls naming this address (--summary: from its aggregate)
  uint64_t local_calls = 0;       // ... that ran on the page's node (at that time)
  uint64_t remote_calls = 0;      // ... that ran on another node
  uint64_t futex2_numa = 0;       // calls with FUTEX2_NUMA
  uint64_t futex2_mpol = 0;       // calls with FUTEX2_MPOL
  double cross_node_share() const { return wakes ? double(cross_node_wakes) / double(wakes) : 0; }
  double remote_share() const {
    uint64_t k = local_calls + remote_calls;
    return k ? double(remote_calls) / double(k) : 0;
  }
  // Of the calls with a known page node, more than two ran on another node
  // for every one on the page's node: a futex split evenly between two nodes
  // (a ping-pong across them) is not flagged, one used mostly from afar is.
  bool mostly_remote() const { return remote_calls > 2 * local_calls; }
};

struct NumaPage {
  uint32_t tgid = 0;
  uint64_t page = 0;
  int32_t node = kPageNodeUnknown;  // as NumaFutex::page_node
  uint32_t moves = 0;
};

struct NumaReport {
  uint32_t nodes = 1;  // matrix size: highest node of a CPU or a page, + 1
  std::vector<std::vector<uint64_t>> wake_matrix;        // [waker node][woken thread's node]
  std::vector<std::vector<NumaLatency>> wake_latency;    // same cells
  uint64_t wakes = 0;               // attributed wakes in the matrix
  uint64_t cross_node_wakes = 0;
  uint64_t unknown_node_wakes = 0;  // attributed, but a CPU outside the header's map (or the wait unseen)
  bool wake_records = false;        // the trace has FXS_REC_WAKE records (not --summary)
  uint64_t page_records = 0;        // FXS_REC_PAGE_NODE records
  std::vector<NumaPage> pages;      // by (pid, page)
  std::vector<NumaFutex> futexes;   // every futex named by a call, a page or a wake; first-seen order
  std::vector<uint32_t> by_calls;   // indexes into futexes: calls descending, then pid, uaddr (views)
};

class NumaModel {
 public:
  // The record types add() reads.
  static constexpr RecordTypes kReads{FXS_REC_FUTEX, FXS_REC_PAGE_NODE, FXS_REC_WAKE, FXS_REC_AGG};
  // cpu_node: the trace header's CPU -> node map.
  explicit NumaModel(std::vector<int32_t> cpu_node);

  // Takes FXS_REC_FUTEX, FXS_REC_PAGE_NODE, FXS_REC_WAKE and FXS_REC_AGG
  // (a --summary trace: its futexes and their call counts); ignores the rest.
  void add(const fxs_rec_hdr* rec);
  // A wake WakeModel::finish() attributed to a wake call.
  void add_wake(const AttributedWake& w);
  // Once, after the last add: the per-futex state goes with it (a report of
  // 200,000 futexes held it beside their rows).
  NumaReport finish();

 private:
  struct Page {
    uint32_t tgid = 0;
    uint64_t page = 0;
    int32_t first = kPageNodeUnknown;   // first answer that was a node
    int32_t current = kPageNodeUnknown; // latest answer that was a node
    int32_t last_error = 0;             // latest -errno answer, if no node ever
    uint32_t moves = 0;
  };
  struct Acc {
    NumaFutex out;
    // Calls made before the page's node was known, by the CPU's node:
    // settled against the page's first node at finish().
    std::vector<uint64_t> pending_by_node;
    uint64_t agg_calls = 0;  // ops of the latest --summary aggregate (cumulative)
    std::map<std::pair<int32_t, int32_t>, uint64_t> wakes_by_node;  // (waker node, woken node) -> wakes
  };

  int32_t node_of_cpu(int64_t cpu) const;
  Acc& acc(uint32_t tgid, uint64_t uaddr);
  void note_call(uint32_t tgid, uint64_t uaddr, int32_t node, uint32_t flags);
  const Page* page_of(uint32_t tgid, uint64_t uaddr) const;

  std::vector<int32_t> cpu_node_;
  uint32_t max_node_ = 0;
  uint64_t page_mask_ = ~uint64_t(4095);  // from the records' page_size
  // Open addressing (replay/futex_index.h): a lookup per call, and two per
  // call once pages have nodes, were a tenth of the window's loading.
  FutexIndex index_;  // (tgid, uaddr) -> accs_
  std::vector<Acc> accs_;
  FutexIndex page_index_;  // (tgid, page) -> pages_
  std::vector<Page> pages_;
  uint64_t page_records_ = 0;
  bool wake_records_ = false;
  // Matrix cells, grown as nodes appear: [waker][waiter] -> count, latencies.
  std::vector<std::vector<uint64_t>> matrix_;
  std::vector<std::vector<std::vector<uint64_t>>> latencies_;
  uint64_t unknown_node_wakes_ = 0;
};

}  // namespace fxs
