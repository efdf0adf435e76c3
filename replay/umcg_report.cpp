#include "replay/umcg_report.h"

#include <nlohmann/json.hpp>

namespace fxs {

nlohmann::json umcg_json(const UmcgReport& r) {
  using nlohmann::json;
  json tasks = json::array();
  for (const UmcgTask& t : r.tasks) {
    json timeline = json::array();
    for (const UmcgSegment& s : t.timeline)
      timeline.push_back({{"start_ns", s.start_ns}, {"end_ns", s.end_ns}, {"state", umcg_state_name(s.state)}});
    tasks.push_back({{"pid", t.tgid},
                     {"tid", t.tid},
                     {"role", umcg_role_name(t.role)},
                     {"registered", t.registered},
                     {"server_tid", t.server_tid},
                     {"time_ns",
                      {{"NONE", t.time_in_state_ns[0]},
                       {"RUNNING", t.time_in_state_ns[1]},
                       {"RUNNABLE", t.time_in_state_ns[2]},
                       {"BLOCKED", t.time_in_state_ns[3]}}},
                     {"transitions", t.transitions},
                     {"unexpected", t.unexpected},
                     {"preempt_requests", t.preempt_requests},
                     {"cond_waits", t.cond_waits},
                     {"kicks_received", t.kicks_received},
                     {"timeline", std::move(timeline)}});
  }
  json transitions = json::array();
  for (const UmcgTransition& t : r.transitions)
    transitions.push_back({{"from", umcg_state_name(t.from)},
                           {"to", umcg_state_name(t.to)},
                           {"count", t.count},
                           {"allowed", t.allowed}});
  json edges = json::array();
  for (const UmcgEdge& e : r.server_worker)
    edges.push_back({{"server_tid", e.server_tid}, {"worker_tid", e.worker_tid}, {"count", e.count}});
  return {{"records", r.records},
          {"calls", {{"umcg_ctl", r.calls[0]}, {"umcg_wait", r.calls[1]}, {"umcg_kick", r.calls[2]}}},
          {"failed_calls", r.failed_calls},
          {"unreadable", r.unreadable},
          {"malformed", r.malformed},
          {"disordered", r.disordered},
          {"unexpected_transitions", r.unexpected_transitions},
          {"tasks", std::move(tasks)},
          {"transitions", std::move(transitions)},
          {"server_worker", std::move(edges)}};
}

}  // namespace fxs
