// Who woke whom, counted the same way from a report's JSON and from an
// exported Chrome trace, so tests can say the two agree.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace fxs::test {

using WakeEdges = std::map<std::pair<long, long>, long>;  // (waker tid, waiter tid) -> wakes

// The report's `wakers` of every futex of process `pid`, summed.
WakeEdges report_waker_edges(const nlohmann::json& report, long pid);
// The export's flows that start in process `pid`: (tid of "s", tid of "f").
WakeEdges chrome_flow_edges(const nlohmann::json& doc, long pid);

}  // namespace fxs::test
