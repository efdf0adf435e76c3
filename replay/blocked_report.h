// blocked_report.h: the "blocked", "deadlocks" and "chains" parts of a report
// (docs/report-json.md), for `futexscope stuck` and for a recording's last look
// at its target, and their text ("DEADLOCK" first, then "Blocked now").
#pragma once

#include <ostream>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the JSON writers include json.hpp themselves

#include "replay/wait_for_graph.h"

namespace fxs {

// Threads inside a futex call, in tid order.
nlohmann::json blocked_json(const std::vector<ThreadSnapshot>& threads);
// {"deadlocks": [...], "chains": [...]} of the analysed threads.
nlohmann::json wait_for_json(const WaitForGraph& g, const std::vector<ThreadSnapshot>& threads);

void write_wait_for_text(const WaitForGraph& g, const std::vector<ThreadSnapshot>& threads, std::ostream& out);
// Stacks of threads in a deadlock of `g` are not repeated (the DEADLOCK section has them).
void write_blocked_text(const std::vector<ThreadSnapshot>& threads, const WaitForGraph& g, std::ostream& out);

}  // namespace fxs
