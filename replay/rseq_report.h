// rseq_report.h: the rseq part of `futexscope report`: the JSON "rseq"
// object and the text section, from a finished RseqModel (replay/rseq_model.h).
#pragma once

#include <cstddef>
#include <ostream>

#include <nlohmann/json_fwd.hpp>  // the JSON writers include json.hpp themselves

#include "replay/rseq_model.h"

namespace fxs {

// The report's "rseq" object: DESIGN.md's {updates, aborts, by_cs[{pid,
// start_ip, aborts}]} plus causes, symbols, per-thread/per-CPU breakdowns.
// top: how many sections to list (0 = all).
nlohmann::json rseq_json(const RseqReport& r, size_t top = 0);
// The text section ("rseq: not captured" when the trace has no rseq record).
void write_rseq_text(const RseqReport& r, size_t top, std::ostream& out);

}  // namespace fxs
