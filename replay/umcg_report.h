// umcg_report.h: the report's optional "umcg" object, from a finished
// UmcgModel (replay/umcg_model.h).
#pragma once

#include <nlohmann/json_fwd.hpp>  // the JSON writers include json.hpp themselves

#include "replay/umcg_model.h"

namespace fxs {

// The report's optional "umcg" object.
nlohmann::json umcg_json(const UmcgReport& r);

}  // namespace fxs
