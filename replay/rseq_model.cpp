#include "replay/rseq_model.h"
#include "replay/format.h"
#include "replay/trace_format.h"
#include "replay/trace_text.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace fxs {

const char* rseq_cause_name(unsigned cause) {
  switch (cause) {
    case FXS_RSEQ_CAUSE_PREEMPTED: return "preempted";
    case FXS_RSEQ_CAUSE_MIGRATED: return "migrated";
    case FXS_RSEQ_CAUSE_SIGNAL: return "signal";
    case FXS_RSEQ_CAUSE_BLOCKED: return "blocked";
    default: return "unknown";
  }
}

namespace {

void max_into(fxs_rseq_counts& a, const fxs_rseq_counts& b) {
  a.first_ns = std::max(a.first_ns, b.first_ns);
  a.updates = std::max(a.updates, b.updates);
  a.aborts = std::max(a.aborts, b.aborts);
  a.preempted = std::max(a.preempted, b.preempted);
  a.blocked = std::max(a.blocked, b.blocked);
  a.migrated = std::max(a.migrated, b.migrated);
  a.signals = std::max(a.signals, b.signals);
  a.registrations = std::max(a.registrations, b.registrations);
}

void add_into(fxs_rseq_counts& a, const fxs_rseq_counts& b) {
  a.updates += b.updates;
  a.aborts += b.aborts;
  a.preempted += b.preempted;
  a.blocked += b.blocked;
  a.migrated += b.migrated;
  a.signals += b.signals;
  a.registrations += b.registrations;
}

}  // namespace

void RseqModel::add(const fxs_rec_hdr* h) {
  switch (h->type) {
    case FXS_REC_TASK: {
      fxs_task_rec t;
      if (read_record(h, t)) {
        process_names_[t.tgid] = trace_text(t.pcomm, sizeof(t.pcomm));
        thread_names_[t.tid] = trace_text(t.comm, sizeof(t.comm));
      }
      return;
    }
    case FXS_REC_RSEQ_ABORT: {
      records_++;
      fxs_rseq_abort_rec r;
      if (!read_record(h, r)) break;
      unsigned cause = r.cause < FXS_RSEQ_NR_CAUSES ? unsigned(r.cause) : unsigned(FXS_RSEQ_CAUSE_UNKNOWN);
      SectionAcc& s = sections_[{r.tgid, r.start_ip}];
      s.aborts++;
      s.causes[cause]++;
      s.post_commit_offset = r.post_commit_offset;
      s.abort_ip = r.abort_ip;
      s.tids.insert(r.tid);
      abort_records_[{r.tgid, r.tid}]++;
      RseqCpu& c = cpus_[r.cpu];
      c.cpu = r.cpu;
      c.aborts++;
      c.causes[cause]++;
      return;
    }
    case FXS_REC_RSEQ_THREAD: {
      records_++;
      fxs_rseq_thread_rec r;
      if (!read_record(h, r)) break;
      ThreadAcc& t = lives_[{r.tgid, r.tid, r.c.first_ns}];
      max_into(t.counts, r.c);
      t.exited |= r.exited != 0;
      return;
    }
    case FXS_REC_RSEQ_REG: {
      records_++;
      fxs_rseq_reg_rec r;
      if (!read_record(h, r)) break;
      if (r.ret != 0)
        failed_registrations_++;
      else if (r.flags & 1)
        unregistrations_++;
      else
        registrations_++;
      return;
    }
    case FXS_REC_RSEQ_STATS: {
      records_++;
      fxs_rseq_stats_rec r;
      if (!read_record(h, r)) break;
      for (int i = 0; i < FXS_RSEQ_NR_COUNTERS; i++) counters_[i] = r.counters[i];  // cumulative
      return;
    }
    case FXS_REC_RSEQ_SYM: {
      records_++;
      fxs_rseq_sym_rec r;
      if (!read_record(h, r)) break;
      const char* name = reinterpret_cast<const char*>(h) + sizeof(r);
      std::string s = trace_text(name, h->size - sizeof(r));
      if (r.offset) s += "+" + format_uaddr(r.offset);
      symbols_[{r.tgid, r.start_ip}] = std::move(s);
      return;
    }
    default:
      return;
  }
  malformed_++;  // an rseq record shorter than its type
}

RseqReport RseqModel::finish() const {
  RseqReport r;
  r.captured = records_ > 0;
  r.counters = counters_;
  r.registrations = registrations_;
  r.unregistrations = unregistrations_;
  r.failed_registrations = failed_registrations_;
  auto pname = [this](uint32_t tgid) {
    auto it = process_names_.find(tgid);
    return it == process_names_.end() ? std::string() : it->second;
  };

  std::map<uint32_t, RseqProcess> procs;
  for (const auto& [key, s] : sections_) {
    RseqSection o;
    o.tgid = key.first;
    o.start_ip = key.second;
    o.post_commit_offset = s.post_commit_offset;
    o.abort_ip = s.abort_ip;
    o.aborts = s.aborts;
    o.causes = s.causes;
    o.threads = uint32_t(s.tids.size());
    if (auto it = symbols_.find(key); it != symbols_.end()) o.symbol = it->second;
    o.comm = pname(o.tgid);
    r.aborts += s.aborts;
    for (unsigned c = 0; c < FXS_RSEQ_NR_CAUSES; c++) r.causes[c] += s.causes[c];
    RseqProcess& p = procs[o.tgid];
    p.tgid = o.tgid;
    p.aborts += s.aborts;
    r.by_cs.push_back(std::move(o));
  }
  std::stable_sort(r.by_cs.begin(), r.by_cs.end(),
                   [](const RseqSection& a, const RseqSection& b) { return a.aborts > b.aborts; });

  // Threads: the lives of one (tgid, tid) added up.
  std::map<std::pair<uint32_t, uint32_t>, RseqThread> threads;
  for (const auto& [key, life] : lives_) {
    auto [tgid, tid, first] = key;
    RseqThread& t = threads[{tgid, tid}];
    t.tgid = tgid;
    t.tid = tid;
    add_into(t.counts, life.counts);
    if (!t.counts.first_ns || (first && first < t.counts.first_ns)) t.counts.first_ns = first;
    t.exited = life.exited;
  }
  for (const auto& [key, n] : abort_records_) {
    RseqThread& t = threads[key];
    t.tgid = key.first;
    t.tid = key.second;
    t.abort_records = n;
  }
  for (auto& [key, t] : threads) {
    if (auto it = thread_names_.find(t.tid); it != thread_names_.end()) t.comm = it->second;
    r.updates += t.counts.updates;
    r.aborts_counted += t.counts.aborts;
    r.preempted += t.counts.preempted;
    r.blocked += t.counts.blocked;
    r.migrated += t.counts.migrated;
    r.signals += t.counts.signals;
    RseqProcess& p = procs[t.tgid];
    p.tgid = t.tgid;
    p.updates += t.counts.updates;
    p.threads++;
    r.threads.push_back(t);
  }
  for (auto& [tgid, p] : procs) {
    p.comm = pname(tgid);
    r.by_pid.push_back(p);
  }
  std::stable_sort(r.by_pid.begin(), r.by_pid.end(),
                   [](const RseqProcess& a, const RseqProcess& b) { return a.aborts > b.aborts; });
  for (const auto& [cpu, c] : cpus_) r.per_cpu.push_back(c);

  if (counters_[FXS_RSEQ_CNT_RINGBUF_DROP])
    r.warnings.push_back(std::to_string(counters_[FXS_RSEQ_CNT_RINGBUF_DROP]) +
                         " rseq records lost (ring buffer full): abort counts per section are too low");
  if (counters_[FXS_RSEQ_CNT_MAP_FULL])
    r.warnings.push_back(std::to_string(counters_[FXS_RSEQ_CNT_MAP_FULL]) +
                         " rseq events of threads not counted (per-thread map full)");
  if (malformed_)
    r.warnings.push_back(std::to_string(malformed_) + " malformed rseq records skipped");
  return r;
}

// ---- report ---------------------------------------------------------------------

}  // namespace fxs
