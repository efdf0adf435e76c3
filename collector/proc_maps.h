// proc_maps.h: the mappings of a live process, and the one that holds an
// address, from /proc/PID/maps (the rseq section names and the futex names
// ask it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fxs {

struct Mapping {
  uint64_t start = 0, end = 0;  // [start, end)
  uint64_t offset = 0;          // file offset of `start`
  std::string path;             // the mapped file, "[heap]", "[stack]", ...; "" when anonymous
};

// Every mapping of process `pid`, in address order; nullopt if it is gone.
std::optional<std::vector<Mapping>> read_mappings(uint32_t pid);
// The one of `maps` (in address order) that holds `addr`, or nullptr.
const Mapping* mapping_in(const std::vector<Mapping>& maps, uint64_t addr);
// The mapping of process `pid` that holds `addr`; nullopt if none does or
// the process is gone.
std::optional<Mapping> mapping_holding(uint32_t pid, uint64_t addr);

}  // namespace fxs
