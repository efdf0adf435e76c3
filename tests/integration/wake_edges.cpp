#include "wake_edges.h"

namespace fxs::test {

using nlohmann::json;

WakeEdges report_waker_edges(const json& report, long pid) {
  WakeEdges edges;
  for (const json& f : report["futexes"])
    if (f["pid"] == pid)
      for (const json& e : f["wakers"])
        edges[{e["waker_tid"].get<long>(), e["waiter_tid"].get<long>()}] += e["count"].get<long>();
  return edges;
}

WakeEdges chrome_flow_edges(const json& doc, long pid) {
  std::map<long, std::pair<long, long>> ends;  // flow id -> (tid of "s", tid of "f")
  std::map<long, long> pid_of;                 // flow id -> pid of "s"
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == "s") {
      ends[e["id"].get<long>()].first = e["tid"].get<long>();
      pid_of[e["id"].get<long>()] = e["pid"].get<long>();
    } else if (e["ph"] == "f") {
      ends[e["id"].get<long>()].second = e["tid"].get<long>();
    }
  }
  WakeEdges edges;
  for (const auto& [id, tids] : ends)
    if (pid_of[id] == pid) edges[tids]++;
  return edges;
}

}  // namespace fxs::test
