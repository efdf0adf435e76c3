#include "replay/split_model.h"

#include "replay/stack_model.h"

#include <algorithm>
#include <cstring>

#include "replay/futex_ops.h"
#include "replay/percentile.h"
#include "replay/trace_format.h"
#include "replay/waitv_entries.h"

namespace fxs {

namespace {

Percentiles percentiles(std::vector<uint64_t>& v) {
  Percentiles p;
  if (v.empty()) return p;
  p.max = *std::max_element(v.begin(), v.end());
  p.p50 = nearest_rank_pct(v, 50);
  p.p99 = nearest_rank_pct(v, 99);
  return p;
}

}  // namespace

void SplitModel::add(const fxs_rec_hdr* h) {
  if (fxs_wait_split_rec s; h->type == FXS_REC_WAIT_SPLIT && read_record(h, s)) {
    records_++;
    // One record per sleep: the one with the most sleeps has the wait's last wake-up.
    auto [it, fresh] = splits_.try_emplace(keys(), s.tid, s.wait_enter_ns, s);
    if (!fresh && s.sleeps >= it->sleeps) *it = s;
  } else if (fxs_switch_rec w; h->type == FXS_REC_SWITCH && read_record(h, w)) {
    if ((w.flags & FXS_SWITCH_PREV_TRACED) && !(w.flags & FXS_SWITCH_PREEMPT) && w.prev_state)
      sleeps_out_[w.prev_tid].push_back(w.ts_ns);
  } else if (fxs_stack_rec st; h->type == FXS_REC_STACK && read_record(h, st)) {
    if (st.tgid != 0) return;  // user stacks: replay/stack_model.cpp
    if (std::optional<std::vector<std::string>> frames = stack_frame_names(h, st))
      kernel_frames_[st.stack_id] = std::move(*frames);
  } else if (fxs_futex_rec r; h->type == FXS_REC_FUTEX && read_record(h, r)) {
    // Only waits that queued can have slept (EAGAIN returns before queueing): a
    // hash benchmark's millions of EAGAIN calls would otherwise fill the table.
    if (!is_wait_op(r.opi) || !r.enter_ns || !queued(wait_outcome(r.ret))) return;
    WaitEnd end{r.exit_ns, r.tgid, r.uaddr};
    const Key key{r.tid, r.enter_ns};
    if (r.opi == FXS_OP_FUTEX2_WAITV) {
      // Counted on the futex that woke it (ret is its index), else on every one it named.
      if (r.ret >= 0 && size_t(r.ret) < waitv_entry_count(r, h->size)) {
        end.uaddr = waitv_entry(h, size_t(r.ret));
      } else {
        end.uaddr = 0;
        vectors_[key] = waitv_entries(r, h, h->size);
      }
    }
    *ends_.try_emplace(keys(), r.tid, r.enter_ns).first = end;
  }
}

void SplitModel::finish() {
  for (const auto& [tid, wait_enter_ns, s] : splits_) {
    const WaitEnd* e = ends_.find(keys(), tid, wait_enter_ns);
    if (!e) {
      unpaired_++;
      continue;
    }
    const uint64_t t0 = s.sleep_ns, t1 = s.waking_ns, t2 = s.wakeup_ns, t3 = s.run_ns, t4 = e->exit_ns;
    auto vec = e->uaddr ? vectors_.end() : vectors_.find(Key{tid, wait_enter_ns});
    const uint64_t* first = vec != vectors_.end() ? vec->second.data() : &e->uaddr;
    const size_t count = vec != vectors_.end() ? vec->second.size() : 1;
    for (const uint64_t* u = first; u != first + count; ++u) {
      const uint64_t uaddr = *u;
      Accum& a = futexes_[Key{e->tgid, uaddr}];
      a.out.samples++;
      if (s.sleeps > 1) a.out.multi_sleep++;
      if (s.kstack_id >= 0 && t3 >= t0) {
        KernelStack& k = a.kstacks[s.kstack_id];
        k.id = s.kstack_id;
        k.waits++;
        k.sleep_ns += t3 - t0;
      }
      if (!t1 || !t2) {
        a.out.incomplete++;
      } else if (!(t0 <= t1 && t1 <= t2 && t2 <= t3 && t3 <= t4)) {
        a.out.disordered++;
      } else {
        a.waiting.push_back(t1 - t0);
        a.wake_to_run.push_back(t3 - t1);
        a.runqueue.push_back(t3 - t2);
        a.exit.push_back(t4 - t3);
      }
    }
  }
  // Waits with a sleeping switch-out but no split: the switch-in never came.
  for (auto& [tid, v] : sleeps_out_) std::sort(v.begin(), v.end());
  for (const auto& [tid, enter_ns, end] : ends_) {
    if (splits_.contains(keys(), tid, enter_ns)) continue;
    auto out = sleeps_out_.find(tid);
    if (out == sleeps_out_.end()) continue;
    auto first = std::lower_bound(out->second.begin(), out->second.end(), enter_ns);
    if (first == out->second.end() || *first > end.exit_ns) continue;
    auto vec = end.uaddr ? vectors_.end() : vectors_.find(Key{tid, enter_ns});
    const uint64_t* u0 = vec != vectors_.end() ? vec->second.data() : &end.uaddr;
    const size_t count = vec != vectors_.end() ? vec->second.size() : 1;
    for (const uint64_t* u = u0; u != u0 + count; ++u) {
      Accum& a = futexes_[Key{end.tgid, *u}];
      a.out.samples++;
      a.out.incomplete++;
      a.out.no_switch_in++;
    }
  }
  sleeps_out_.clear();
  splits_.clear();
  ends_.clear();
  vectors_.clear();
  for (auto& [key, a] : futexes_) {
    a.out.waiting = percentiles(a.waiting);
    a.out.wake_to_run = percentiles(a.wake_to_run);
    a.out.runqueue = percentiles(a.runqueue);
    a.out.exit = percentiles(a.exit);
    a.waiting = a.wake_to_run = a.runqueue = a.exit = {};
    for (auto& [id, k] : a.kstacks) {
      auto f = kernel_frames_.find(id);
      if (f != kernel_frames_.end()) k.frames = f->second;
      a.out.kernel_stacks.push_back(std::move(k));
    }
    a.kstacks.clear();
    std::sort(a.out.kernel_stacks.begin(), a.out.kernel_stacks.end(), [](const KernelStack& x, const KernelStack& y) {
      return x.sleep_ns != y.sleep_ns ? x.sleep_ns > y.sleep_ns : x.id < y.id;
    });
    if (a.out.kernel_stacks.size() > 3) a.out.kernel_stacks.resize(3);
  }
  kernel_frames_.clear();
}

const WaitSplit* SplitModel::find(uint32_t tgid, uint64_t uaddr) const {
  auto it = futexes_.find(Key{tgid, uaddr});
  return it == futexes_.end() ? nullptr : &it->second.out;
}

}  // namespace fxs
