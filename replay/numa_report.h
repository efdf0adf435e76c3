// numa_report.h: the "numa" part of `futexscope report` (JSON and text).
#pragma once

#include <cstddef>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the JSON writers include json.hpp themselves

#include "replay/numa_model.h"

namespace fxs {

class JsonWriter;

// The top-level "numa" object (docs/report-json.md).
nlohmann::json numa_json(const NumaReport& r);
// A NumaReport's futexes by (tgid, uaddr).
class NumaFutexLookup {
 public:
  explicit NumaFutexLookup(const NumaReport& r);
  const NumaFutex* find(uint32_t tgid, uint64_t uaddr) const;

 private:
  std::map<std::pair<uint32_t, uint64_t>, const NumaFutex*> by_key_;
};
// A futex's "numa" object in the report's "futexes" array, written...
void write_futex_numa_json(const NumaFutex& f, JsonWriter& w);
// ... and parsed back (the "mostly_remote" list, tests).
nlohmann::json futex_numa_json(const NumaFutex& f);
// The NUMA section of the text report (top: futexes listed, 0 = all).
void write_numa_text(const NumaReport& r, size_t top, std::ostream& out);

// "pid:0xuaddr", the key of numa.page_nodes.
std::string numa_futex_key(uint32_t tgid, uint64_t uaddr);
// "node 1", "unknown", or the errno name of a move_pages answer ("ENOENT").
std::string page_node_text(int32_t node);

}  // namespace fxs
