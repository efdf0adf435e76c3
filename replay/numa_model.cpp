#include "replay/numa_model.h"

#include <algorithm>
#include <cstring>

#include "replay/percentile.h"
#include "replay/trace_format.h"
#include "replay/waitv_entries.h"

namespace fxs {
namespace {

// Nodes beyond this are taken as damage, not grown into a matrix.
constexpr int32_t kMaxNode = 1023;  // x86 MAX_NUMNODES - 1: a damaged record cannot ask for more

}  // namespace

NumaModel::NumaModel(std::vector<int32_t> cpu_node) : cpu_node_(std::move(cpu_node)) {
  for (int32_t n : cpu_node_)
    if (n >= 0 && n <= kMaxNode) max_node_ = std::max(max_node_, uint32_t(n));
}

int32_t NumaModel::node_of_cpu(int64_t cpu) const {
  if (cpu < 0 || uint64_t(cpu) >= cpu_node_.size()) return -1;
  int32_t n = cpu_node_[size_t(cpu)];
  return n >= 0 && n <= kMaxNode ? n : -1;
}

NumaModel::Acc& NumaModel::acc(uint32_t tgid, uint64_t uaddr) {
  bool fresh = false;
  const uint32_t i = index_.find_or_add(tgid, uaddr, &fresh);
  if (fresh) {
    accs_.emplace_back();
    accs_.back().out.tgid = tgid;
    accs_.back().out.uaddr = uaddr;
  }
  return accs_[i];
}

const NumaModel::Page* NumaModel::page_of(uint32_t tgid, uint64_t uaddr) const {
  const uint32_t i = page_index_.find(tgid, uaddr & page_mask_);
  return i == FutexIndex::kNone ? nullptr : &pages_[i];
}

// One call naming (tgid, uaddr), run on `node` (-1 unknown).
void NumaModel::note_call(uint32_t tgid, uint64_t uaddr, int32_t node, uint32_t flags) {
  if (uaddr == 0) return;
  Acc& a = acc(tgid, uaddr);
  a.out.calls++;
  if (flags & kFutex2Numa) a.out.futex2_numa++;
  if (flags & kFutex2Mpol) a.out.futex2_mpol++;
  if (node < 0) return;
  const Page* p = page_of(tgid, uaddr);
  if (p && p->current != kPageNodeUnknown) {
    (node == p->current ? a.out.local_calls : a.out.remote_calls)++;
  } else {
    // The collector asks about a page after the first record naming it:
    // settle these against the page's first answer.
    if (a.pending_by_node.size() <= size_t(node)) a.pending_by_node.resize(size_t(node) + 1);
    a.pending_by_node[size_t(node)]++;
  }
}

void NumaModel::add(const fxs_rec_hdr* h) {
  fxs_rec_hdr hdr;
  std::memcpy(&hdr, h, sizeof(hdr));
  if (fxs_futex_rec r; hdr.type == FXS_REC_FUTEX && read_record(h, r)) {
    const int32_t node = node_of_cpu(r.enter_cpu);
    // futex2 calls carry FUTEX2_* flags in `op`; in futex(2) those bits are the command.
    const bool futex2 = r.syscall == FXS_SC_FUTEX_WAIT || r.syscall == FXS_SC_FUTEX_WAKE ||
                        r.syscall == FXS_SC_FUTEX_REQUEUE;
    const uint32_t flags = futex2 ? r.op : 0;
    if (r.syscall == FXS_SC_FUTEX_WAITV) {
      for (size_t i = 0, n = waitv_entry_count(r, hdr.size); i < n; i++) note_call(r.tgid, waitv_entry(h, i), node, flags);
      return;
    }
    note_call(r.tgid, r.uaddr, node, flags);
    if (r.uaddr2 && r.uaddr2 != r.uaddr) note_call(r.tgid, r.uaddr2, node, flags);
  } else if (fxs_page_node_rec r; hdr.type == FXS_REC_PAGE_NODE && read_record(h, r)) {
    page_records_++;
    if (r.page_size >= 512 && (r.page_size & (r.page_size - 1)) == 0) page_mask_ = ~uint64_t(r.page_size - 1);
    bool fresh = false;
    const uint64_t page = r.page & page_mask_;
    const uint32_t i = page_index_.find_or_add(r.tgid, page, &fresh);
    if (fresh) {
      pages_.emplace_back();
      pages_.back().tgid = r.tgid;
      pages_.back().page = page;
    }
    Page& p = pages_[i];
    if (r.node >= 0 && r.node <= kMaxNode) {
      if (p.first == kPageNodeUnknown) p.first = r.node;
      if (p.current != kPageNodeUnknown && p.current != r.node) p.moves++;
      p.current = r.node;  // pages do not size the wake matrix: only CPUs wake
    } else if (r.node < 0) {
      p.last_error = r.node;
    }
  } else if (hdr.type == FXS_REC_WAKE) {
    wake_records_ = true;
  } else if (fxs_agg_rec r; hdr.type == FXS_REC_AGG && read_record(h, r)) {
    uint64_t ops = 0;
    for (uint64_t n : r.val.ops) ops += n;
    acc(r.key.tgid, r.key.uaddr).agg_calls = ops;  // cumulative: the latest wins
  }
}

void NumaModel::add_wake(const AttributedWake& w) {
  const int32_t from = node_of_cpu(w.waker_cpu), to = node_of_cpu(w.waiter_cpu);
  if (from < 0 || to < 0) {
    unknown_node_wakes_++;
    return;
  }
  const size_t need = size_t(std::max(from, to)) + 1;
  if (matrix_.size() < need) {
    matrix_.resize(need);
    latencies_.resize(need);
  }
  for (size_t i = 0; i < matrix_.size(); i++) {
    if (matrix_[i].size() < matrix_.size()) {
      matrix_[i].resize(matrix_.size());
      latencies_[i].resize(matrix_.size());
    }
  }
  matrix_[size_t(from)][size_t(to)]++;
  if (w.has_latency) latencies_[size_t(from)][size_t(to)].push_back(w.latency_ns);
  Acc& a = acc(w.tgid, w.uaddr);
  a.out.wakes++;
  if (from != to) a.out.cross_node_wakes++;
  a.wakes_by_node[{from, to}]++;
}

NumaReport NumaModel::finish() {
  NumaReport r;
  r.wake_records = wake_records_;
  r.page_records = page_records_;
  r.unknown_node_wakes = unknown_node_wakes_;
  uint32_t max_node = max_node_;
  if (!matrix_.empty()) max_node = std::max(max_node, uint32_t(matrix_.size() - 1));
  r.nodes = max_node + 1;
  r.wake_matrix.assign(r.nodes, std::vector<uint64_t>(r.nodes, 0));
  r.wake_latency.assign(r.nodes, std::vector<NumaLatency>(r.nodes));
  for (size_t i = 0; i < matrix_.size(); i++) {
    for (size_t j = 0; j < matrix_[i].size(); j++) {
      r.wake_matrix[i][j] = matrix_[i][j];
      r.wakes += matrix_[i][j];
      if (i != j) r.cross_node_wakes += matrix_[i][j];
      std::vector<uint64_t>& lat = latencies_[i][j];
      NumaLatency& c = r.wake_latency[i][j];
      c.samples = lat.size();
      for (uint64_t v : lat) {
        c.total_ns += v;
        c.max_ns = std::max(c.max_ns, v);
      }
      c.p50_ns = nearest_rank_pct(lat, 50);
      c.p99_ns = nearest_rank_pct(lat, 99);
    }
  }
  auto node_of = [](const Page& p) { return p.current != kPageNodeUnknown ? p.current : p.last_error ? p.last_error : kPageNodeUnknown; };
  for (const Page& p : pages_) r.pages.push_back({p.tgid, p.page, node_of(p), p.moves});
  std::sort(r.pages.begin(), r.pages.end(), [](const NumaPage& x, const NumaPage& y) {
    return x.tgid != y.tgid ? x.tgid < y.tgid : x.page < y.page;
  });
  r.futexes.reserve(accs_.size());
  for (const Acc& a : accs_) {
    NumaFutex f = a.out;
    f.calls += a.agg_calls;
    for (const auto& [nodes, n] : a.wakes_by_node) f.wakes_by_node.push_back({nodes.first, nodes.second, n});
    if (const Page* p = page_of(f.tgid, f.uaddr)) {
      f.page_node = node_of(*p);
      f.page_moves = p->moves;
      if (p->first != kPageNodeUnknown)
        for (size_t n = 0; n < a.pending_by_node.size(); n++)
          (int32_t(n) == p->first ? f.local_calls : f.remote_calls) += a.pending_by_node[n];
    }
    r.futexes.push_back(f);
  }
  std::vector<Acc>().swap(accs_);
  index_ = FutexIndex();
  for (uint32_t i = 0; i < r.futexes.size(); i++) r.by_calls.push_back(i);
  std::sort(r.by_calls.begin(), r.by_calls.end(), [&r](uint32_t i, uint32_t j) {
    const NumaFutex& a = r.futexes[i];
    const NumaFutex& b = r.futexes[j];
    if (a.calls != b.calls) return a.calls > b.calls;
    return a.tgid != b.tgid ? a.tgid < b.tgid : a.uaddr < b.uaddr;
  });
  return r;
}

}  // namespace fxs
