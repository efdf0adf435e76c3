#include "replay/umcg_model.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "replay/trace_format.h"

namespace fxs {

std::string umcg_state_name(uint32_t state) {
  static constexpr const char* kBase[] = {"NONE", "RUNNING", "RUNNABLE", "BLOCKED"};
  uint32_t base = state & FXS_UMCG_TASK_MASK;
  std::string s;
  if (base < 4) {
    s = kBase[base];
  } else {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%" PRIx32, base);
    s = buf;
  }
  if (state & FXS_UMCG_TF_PREEMPT) s += "|PREEMPT";
  if (state & FXS_UMCG_TF_COND_WAIT) s += "|COND_WAIT";
  uint32_t other = state & ~uint32_t(FXS_UMCG_TASK_MASK | FXS_UMCG_TF_PREEMPT | FXS_UMCG_TF_COND_WAIT);
  if (other) {
    char buf[24];
    std::snprintf(buf, sizeof(buf), "|0x%" PRIx32, other);
    s += buf;
  }
  return s;
}

const char* umcg_syscall_name(unsigned sc) {
  switch (sc) {
    case FXS_UMCG_SC_CTL: return "umcg_ctl";
    case FXS_UMCG_SC_WAIT: return "umcg_wait";
    case FXS_UMCG_SC_KICK: return "umcg_kick";
    default: return "umcg_?";
  }
}

const char* umcg_role_name(UmcgRole r) {
  switch (r) {
    case UmcgRole::kServer: return "server";
    case UmcgRole::kWorker: return "worker";
    default: return "unknown";
  }
}

// The protocol's state machine (the Jan 2022 series, Documentation/userspace-api/umcg):
//   NONE     -> RUNNING   a server registers (umcg_ctl REGISTER)
//   NONE     -> RUNNABLE  a worker registers: queued for a server
//   RUNNABLE -> RUNNING   a server switched to it (next_tid + umcg_wait), or a server woke
//   RUNNING  -> BLOCKED   it blocked in the kernel (its server is told)
//   BLOCKED  -> RUNNABLE  the kernel woke it: queued for a server again
//   RUNNING  -> RUNNABLE  preempted (PREEMPT + umcg_kick) or it yielded (umcg_wait)
//   RUNNING  -> NONE      it unregistered
// Flag changes on one base state (PREEMPT or COND_WAIT set or cleared by user
// space) are always allowed. Anything else means a lost event or a bug.
bool umcg_transition_allowed(uint32_t from, uint32_t to) {
  const uint32_t f = from & FXS_UMCG_TASK_MASK, t = to & FXS_UMCG_TASK_MASK;
  if (f == t) return f <= FXS_UMCG_TASK_BLOCKED;
  switch (f) {
    case FXS_UMCG_TASK_NONE: return t == FXS_UMCG_TASK_RUNNING || t == FXS_UMCG_TASK_RUNNABLE;
    case FXS_UMCG_TASK_RUNNABLE: return t == FXS_UMCG_TASK_RUNNING;
    case FXS_UMCG_TASK_RUNNING:
      return t == FXS_UMCG_TASK_BLOCKED || t == FXS_UMCG_TASK_RUNNABLE || t == FXS_UMCG_TASK_NONE;
    case FXS_UMCG_TASK_BLOCKED: return t == FXS_UMCG_TASK_RUNNABLE;
    default: return false;
  }
}

void UmcgModel::observe(Acc& a, uint64_t ts, uint32_t state) {
  UmcgTask& t = a.task;
  if (a.has_state && !t.timeline.empty() && t.timeline.back().state == state) return;
  if ((state & FXS_UMCG_TF_PREEMPT) &&
      (t.timeline.empty() || !(t.timeline.back().state & FXS_UMCG_TF_PREEMPT)))
    t.preempt_requests++;
  if ((state & FXS_UMCG_TF_COND_WAIT) &&
      (t.timeline.empty() || !(t.timeline.back().state & FXS_UMCG_TF_COND_WAIT)))
    t.cond_waits++;
  if (a.has_state) {
    UmcgSegment& prev = t.timeline.back();
    // One task's records can arrive out of time order (per-CPU rings, a
    // damaged file): the segment is clamped to no length and counted, never
    // given a negative one that would wrap to 2^64.
    if (ts < prev.start_ns) {
      disordered_++;
      ts = prev.start_ns;
    }
    prev.end_ns = ts;
    t.transitions++;
    transitions_[{prev.state, state}]++;
    if (!umcg_transition_allowed(prev.state, state)) t.unexpected++;
  }
  t.timeline.push_back({ts, ts, state});
  a.has_state = true;
}

void UmcgModel::add(const fxs_rec_hdr* h) {
  if (h->type != FXS_REC_UMCG) return;
  records_++;
  fxs_umcg_rec r;
  if (!read_record(h, r)) {
    malformed_++;
    return;
  }
  Acc& a = tasks_[{r.tgid, r.tid}];
  UmcgTask& t = a.task;
  t.tgid = r.tgid;
  t.tid = r.tid;
  if (r.ts_ns > a.last_ts) a.last_ts = r.ts_ns;
  const unsigned sc = r.syscall < 3 ? r.syscall : 0;
  if (r.phase == 0) {
    t.calls[sc]++;
    calls_[sc]++;
  } else if (r.ret < 0) {
    t.failed_calls++;
    failed_++;
  }
  // Roles from registration (at enter: what the task asked for).
  if (r.syscall == FXS_UMCG_SC_CTL && r.phase == 0) {
    if (r.flags & FXS_UMCG_CTL_REGISTER)
      t.role = (r.flags & FXS_UMCG_CTL_WORKER) ? UmcgRole::kWorker : UmcgRole::kServer;
  }
  if (r.syscall == FXS_UMCG_SC_CTL && r.phase == 1 && r.ret == 0) {
    if (r.flags & FXS_UMCG_CTL_REGISTER) t.registered = true;
    if (r.flags & FXS_UMCG_CTL_UNREGISTER) t.registered = false;
  }
  if (r.syscall == FXS_UMCG_SC_KICK && r.phase == 0) kicks_to_[uint32_t(r.arg)]++;
  if (!r.task_read) {
    unreadable_++;
    return;
  }
  observe(a, r.ts_ns, r.state);
  if (r.server_tid && t.role != UmcgRole::kServer) t.server_tid = r.server_tid;
  // A server entering umcg_wait with next_tid set switches to that worker.
  if (r.syscall == FXS_UMCG_SC_WAIT && r.phase == 0 && r.next_tid && t.role != UmcgRole::kWorker)
    edges_[{r.tid, r.next_tid}]++;
}

UmcgReport UmcgModel::finish(uint64_t end_ns) const {
  UmcgReport r;
  r.records = records_;
  r.calls = calls_;
  r.failed_calls = failed_;
  r.unreadable = unreadable_;
  r.malformed = malformed_;
  r.disordered = disordered_;
  for (const auto& [key, a] : tasks_) {
    UmcgTask t = a.task;
    if (!t.timeline.empty()) {
      UmcgSegment& last = t.timeline.back();
      last.end_ns = std::max(last.start_ns, end_ns ? end_ns : a.last_ts);
    }
    for (const UmcgSegment& s : t.timeline) {
      uint32_t base = s.state & FXS_UMCG_TASK_MASK;
      if (base < t.time_in_state_ns.size()) t.time_in_state_ns[base] += s.end_ns - s.start_ns;
    }
    if (auto it = kicks_to_.find(t.tid); it != kicks_to_.end()) t.kicks_received = it->second;
    r.unexpected_transitions += t.unexpected;
    r.tasks.push_back(std::move(t));
  }
  for (const auto& [k, n] : transitions_)
    r.transitions.push_back({k.first, k.second, n, umcg_transition_allowed(k.first, k.second)});
  for (const auto& [k, n] : edges_) r.server_worker.push_back({k.first, k.second, n});
  return r;
}

std::string umcg_warning(const UmcgReport& r) {
  if (!r.disordered) return {};
  return std::to_string(r.disordered) +
         " UMCG records were earlier than their task's previous record (damaged or reordered trace): "
         "their state segments were clamped to zero length, so UMCG time in state is a lower bound";
}

}  // namespace fxs
