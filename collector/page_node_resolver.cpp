#include "collector/page_node_resolver.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "collector/machine_info.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

// move_pages(2) as a query (nodes = NULL): status[i] = node of pages[i], or -errno.
// Returns 0, or -errno for the whole call (ESRCH: no such process).
long query_pages(uint32_t tgid, std::vector<void*>& pages, std::vector<int>& status) {
  status.assign(pages.size(), -ENOENT);
  long rc = syscall(SYS_move_pages, pid_t(tgid), pages.size(), pages.data(), nullptr, status.data(), 0);
  return rc < 0 ? -errno : 0;
}

}  // namespace

PageNodeResolver::PageNodeResolver() {
  long ps = sysconf(_SC_PAGESIZE);
  page_size_ = ps > 0 ? uint32_t(ps) : 4096;
  page_mask_ = ~uint64_t(page_size_ - 1);
}

Status PageNodeResolver::write(uint32_t tgid, uint64_t page, int32_t node, TraceWriter& w) {
  fxs_page_node_rec r{};
  r.hdr = {FXS_REC_PAGE_NODE, sizeof(r), 0};
  r.ts_ns = monotonic_ns();
  r.tgid = tgid;
  r.node = node;
  r.page = page;
  r.page_size = page_size_;
  records_++;
  return w.append(&r, sizeof(r));
}

Status PageNodeResolver::note(uint32_t tgid, uint64_t uaddr, TraceWriter& w) {
  if (uaddr == 0) return {};
  const uint64_t page = uaddr & page_mask_;
  if (tgid == last_tgid_ && page == last_page_) return {};
  Process& p = procs_[tgid];
  if (p.nodes.count(page)) {
    last_tgid_ = tgid;
    last_page_ = page;
    return {};
  }
  if (pages_ >= kMaxPages) {
    unresolved_++;
    return {};
  }
  // Asked even for a process seen gone: its pid may have been reused.
  std::vector<void*> one = {reinterpret_cast<void*>(page)};
  std::vector<int> status;
  long rc = query_pages(tgid, one, status);
  p.gone = rc == -ESRCH || rc == -EINVAL;
  const int32_t node = rc < 0 ? int32_t(rc) : status[0];
  p.nodes.emplace(page, node);
  pages_++;
  last_tgid_ = tgid;
  last_page_ = page;
  return write(tgid, page, node, w);
}

Status PageNodeResolver::on_record(const void* data, size_t size, TraceWriter& w) {
  fxs_rec_hdr h;
  if (size < sizeof(h)) return {};
  std::memcpy(&h, data, sizeof(h));
  if (h.type == FXS_REC_AGG && size >= sizeof(fxs_agg_rec)) {
    fxs_agg_rec r;
    std::memcpy(&r, data, sizeof(r));
    return note(r.key.tgid, r.key.uaddr, w);
  }
  if (h.type != FXS_REC_FUTEX || size < sizeof(fxs_futex_rec)) return {};
  fxs_futex_rec r;
  std::memcpy(&r, data, sizeof(r));
  Status st = note(r.tgid, r.uaddr, w);
  if (st.ok()) st = note(r.tgid, r.uaddr2, w);
  if (r.syscall == FXS_SC_FUTEX_WAITV) {
    const size_t n = std::min<size_t>(r.nr_uaddrs, (size - sizeof(r)) / sizeof(uint64_t));
    for (size_t i = 0; i < n && st.ok(); i++) {
      uint64_t a;
      std::memcpy(&a, static_cast<const uint8_t*>(data) + sizeof(r) + i * sizeof(a), sizeof(a));
      st = note(r.tgid, a, w);
    }
  }
  return st;
}

Status PageNodeResolver::refresh(TraceWriter& w) {
  std::vector<void*> pages;
  std::vector<int> status;
  for (auto& [tgid, p] : procs_) {
    if (p.gone || p.nodes.empty()) continue;
    pages.clear();
    for (const auto& [page, node] : p.nodes) pages.push_back(reinterpret_cast<void*>(page));
    long rc = query_pages(tgid, pages, status);
    if (rc == -ESRCH || rc == -EINVAL) {
      // Gone (EINVAL: a zombie, no mm left): the last answers stand.
      p.gone = true;
      continue;
    }
    if (rc < 0) continue;
    for (size_t i = 0; i < pages.size(); i++) {
      const uint64_t page = reinterpret_cast<uint64_t>(pages[i]);
      int32_t& known = p.nodes[page];
      if (known == status[i]) continue;
      known = status[i];
      if (Status st = write(tgid, page, known, w); !st.ok()) return st;
    }
  }
  return {};
}

}  // namespace fxs
