#include "replay/rseq_report.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "replay/format.h"

namespace fxs {

namespace {

nlohmann::json causes_json(const RseqCauses& c) {
  nlohmann::json j = nlohmann::json::object();
  for (unsigned i = 0; i < FXS_RSEQ_NR_CAUSES; i++) j[rseq_cause_name(i)] = c[i];
  return j;
}

std::string causes_text(const RseqCauses& c) {
  std::string s;
  static constexpr unsigned kOrder[] = {FXS_RSEQ_CAUSE_PREEMPTED, FXS_RSEQ_CAUSE_MIGRATED,
                                        FXS_RSEQ_CAUSE_SIGNAL, FXS_RSEQ_CAUSE_BLOCKED,
                                        FXS_RSEQ_CAUSE_UNKNOWN};
  for (unsigned i : kOrder)
    if (c[i]) s += std::string(s.empty() ? "" : ", ") + rseq_cause_name(i) + " " + std::to_string(c[i]);
  return s;
}

}  // namespace

nlohmann::json rseq_json(const RseqReport& r, size_t top) {
  using nlohmann::json;
  json by_cs = json::array();
  size_t n = top == 0 ? r.by_cs.size() : std::min(top, r.by_cs.size());
  for (size_t i = 0; i < n; i++) {
    const RseqSection& s = r.by_cs[i];
    json j = {{"pid", s.tgid},
              {"start_ip", format_uaddr(s.start_ip)},
              {"aborts", s.aborts},
              {"causes", causes_json(s.causes)},
              {"post_commit_offset", s.post_commit_offset},
              {"abort_ip", format_uaddr(s.abort_ip)},
              {"threads", s.threads},
              {"comm", s.comm}};
    if (!s.symbol.empty()) j["symbol"] = s.symbol;
    by_cs.push_back(std::move(j));
  }
  json by_pid = json::array();
  for (const RseqProcess& p : r.by_pid)
    by_pid.push_back({{"pid", p.tgid}, {"comm", p.comm}, {"aborts", p.aborts},
                      {"updates", p.updates}, {"threads", p.threads}});
  json threads = json::array();
  for (const RseqThread& t : r.threads)
    threads.push_back({{"pid", t.tgid},
                       {"tid", t.tid},
                       {"comm", t.comm},
                       {"updates", t.counts.updates},
                       {"aborts", t.abort_records},
                       {"aborts_counted", t.counts.aborts},
                       {"preempted", t.counts.preempted},
                       {"blocked", t.counts.blocked},
                       {"migrated", t.counts.migrated},
                       {"signals", t.counts.signals},
                       {"registrations", t.counts.registrations},
                       {"exited", t.exited}});
  json per_cpu = json::array();
  for (const RseqCpu& c : r.per_cpu)
    per_cpu.push_back({{"cpu", c.cpu}, {"aborts", c.aborts}, {"causes", causes_json(c.causes)}});
  return {
      {"captured", r.captured},
      {"updates", r.updates},
      {"aborts", r.aborts},
      {"aborts_counted", r.aborts_counted},
      {"causes", causes_json(r.causes)},
      {"switches", {{"preempted", r.preempted}, {"blocked", r.blocked}}},
      {"migrations", r.migrated},
      {"signals", r.signals},
      {"registrations",
       {{"registered", r.registrations},
        {"unregistered", r.unregistrations},
        {"failed", r.failed_registrations}}},
      {"counters",
       {{"ringbuf_drop", r.counters[FXS_RSEQ_CNT_RINGBUF_DROP]},
        {"map_full", r.counters[FXS_RSEQ_CNT_MAP_FULL]}}},
      {"by_cs", std::move(by_cs)},
      {"by_pid", std::move(by_pid)},
      {"threads", std::move(threads)},
      {"per_cpu", std::move(per_cpu)},
  };
}

void write_rseq_text(const RseqReport& r, size_t top, std::ostream& out) {
  out << "\nrseq: ";
  if (!r.captured) {
    out << "not captured\n";
    return;
  }
  out << r.aborts << " aborts, " << r.updates << " updates in " << r.threads.size() << " threads";
  if (r.registrations || r.unregistrations)
    out << "  (registered " << r.registrations << ", unregistered " << r.unregistrations << ")";
  out << '\n';
  if (r.aborts) out << "  causes: " << causes_text(r.causes) << '\n';
  if (r.counters[FXS_RSEQ_CNT_RINGBUF_DROP])
    out << "  !!! " << r.counters[FXS_RSEQ_CNT_RINGBUF_DROP]
        << " rseq records LOST (ring buffer full): abort counts are too low !!!\n";
  size_t n = top == 0 ? r.by_cs.size() : std::min(top, r.by_cs.size());
  for (size_t i = 0; i < n; i++) {
    const RseqSection& s = r.by_cs[i];
    out << "  #" << i + 1 << "  pid " << s.tgid;
    if (!s.comm.empty()) out << " (" << s.comm << ')';
    out << "  cs " << format_uaddr(s.start_ip);
    if (!s.symbol.empty()) out << " <" << s.symbol << '>';
    out << "  " << s.aborts << " aborts in " << s.threads << " threads: " << causes_text(s.causes)
        << '\n';
  }
  if (n < r.by_cs.size()) out << "  ... " << r.by_cs.size() - n << " more critical sections\n";
  if (!r.per_cpu.empty()) {
    out << "  aborts per CPU:";
    for (const RseqCpu& c : r.per_cpu) out << "  cpu" << c.cpu << ' ' << c.aborts;
    out << '\n';
  }
}

}  // namespace fxs
