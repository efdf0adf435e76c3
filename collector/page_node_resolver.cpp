#include "collector/page_node_resolver.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "collector/machine_info.h"
#include "collector/record_addresses.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

// The whole process is gone: ESRCH (reaped), or EINVAL (exiting: no address
// space left; move_pages refuses a task without one).
bool process_gone(long rc) { return rc == -ESRCH || rc == -EINVAL; }

}  // namespace

long move_pages_query(uint32_t tgid, std::vector<void*>& pages, std::vector<int>& status) {
  status.assign(pages.size(), -ENOENT);
  long rc = syscall(SYS_move_pages, pid_t(tgid), pages.size(), pages.data(), nullptr, status.data(), 0);
  return rc < 0 ? -errno : 0;
}

PageNodeResolver::PageNodeResolver(PageQuery query, size_t max_pages, size_t refresh_budget)
    : query_(std::move(query)), max_pages_(max_pages), budget_(std::max<size_t>(refresh_budget, 1)) {
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

void PageNodeResolver::release(uint32_t tgid) {
  auto it = procs_.find(tgid);
  if (it == procs_.end()) return;
  pages_ -= it->second.nodes.size();
  procs_.erase(it);
  released_++;
  if (last_tgid_ == tgid) last_page_ = UINT64_MAX;
}

Status PageNodeResolver::note(uint32_t tgid, uint64_t uaddr, TraceWriter& w) {
  if (uaddr == 0) return {};
  const uint64_t page = uaddr & page_mask_;
  if (tgid == last_tgid_ && page == last_page_) return {};
  auto it = procs_.find(tgid);
  if (it != procs_.end() && it->second.nodes.count(page)) {
    last_tgid_ = tgid;
    last_page_ = page;
    return {};
  }
  if (pages_ >= max_pages_) {
    dropped_by_cap_++;
    return {};
  }
  std::vector<void*> one = {reinterpret_cast<void*>(page)};
  std::vector<int> status;
  long rc = query_(tgid, one, status);
  const int32_t node = rc < 0 ? int32_t(rc) : status[0];
  if (process_gone(rc)) {
    // Nothing to remember: the answer is final. (A record drained after its
    // process exited asks once more per page and gets the same answer; a
    // reused pid is asked afresh.)
    release(tgid);
  } else {
    procs_[tgid].nodes.emplace(page, node);
    pages_++;
  }
  // After release() too: a gone process's backlog names this page again and again.
  last_tgid_ = tgid;
  last_page_ = page;
  return write(tgid, page, node, w);
}

Status PageNodeResolver::on_record(const void* data, size_t size, TraceWriter& w) {
  Status st;
  for_each_record_address(data, size, [&](uint32_t tgid, uint64_t uaddr) {
    st = note(tgid, uaddr, w);
    return st.ok();
  });
  return st;
}

// Why a page budget and not a thread: the pass and note() share procs_ and the
// writer; a thread would need both locked (or a second writer feeding the
// first), while the drain loop is already a loop that can take a slice each
// turn. A pass over N pages then costs the loop N / budget short slices.
void PageNodeResolver::start_pass(uint64_t now_ns) {
  in_pass_ = true;
  passed_once_ = true;
  pass_start_ns_ = now_ns;
  pass_tgids_.clear();
  for (const auto& [tgid, p] : procs_) pass_tgids_.push_back(tgid);
  pass_next_ = 0;
  cur_pages_.clear();
  cur_next_ = 0;
}

Status PageNodeResolver::run_pass(TraceWriter& w, size_t budget) {
  std::vector<void*> batch;
  std::vector<int> status;
  while (budget > 0) {
    if (cur_next_ == cur_pages_.size()) {
      if (pass_next_ == pass_tgids_.size()) {
        in_pass_ = false;
        return {};
      }
      cur_tgid_ = pass_tgids_[pass_next_++];
      cur_pages_.clear();
      cur_next_ = 0;
      auto it = procs_.find(cur_tgid_);
      if (it == procs_.end()) continue;  // released since the pass began
      for (const auto& [page, node] : it->second.nodes) cur_pages_.push_back(reinterpret_cast<void*>(page));
      continue;
    }
    const size_t n = std::min(budget, cur_pages_.size() - cur_next_);
    batch.assign(cur_pages_.begin() + ptrdiff_t(cur_next_), cur_pages_.begin() + ptrdiff_t(cur_next_ + n));
    cur_next_ += n;
    budget -= n;
    long rc = query_(cur_tgid_, batch, status);
    if (process_gone(rc)) {
      // Its last answers stand in the trace; nothing more to ask.
      release(cur_tgid_);
      cur_next_ = cur_pages_.size();
      continue;
    }
    if (rc < 0) continue;
    auto it = procs_.find(cur_tgid_);
    if (it == procs_.end()) continue;
    for (size_t i = 0; i < batch.size(); i++) {
      const uint64_t page = reinterpret_cast<uint64_t>(batch[i]);
      auto known = it->second.nodes.find(page);
      if (known == it->second.nodes.end() || known->second == status[i]) continue;
      known->second = status[i];
      if (Status st = write(cur_tgid_, page, status[i], w); !st.ok()) return st;
    }
  }
  if (cur_next_ == cur_pages_.size() && pass_next_ == pass_tgids_.size()) in_pass_ = false;
  return {};
}

Status PageNodeResolver::refresh_step(TraceWriter& w, uint64_t now_ns) {
  if (!in_pass_) {
    if (passed_once_ && now_ns - pass_start_ns_ < kRefreshPeriodNs) return {};
    start_pass(now_ns);
  }
  return run_pass(w, budget_);
}

Status PageNodeResolver::refresh(TraceWriter& w) {
  start_pass(monotonic_ns());
  return run_pass(w, SIZE_MAX);
}

}  // namespace fxs
