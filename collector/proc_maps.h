// proc_maps.h: the mapping of a live process that holds an address, from
// /proc/PID/maps (the rseq section names and the futex names ask it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace fxs {

struct Mapping {
  uint64_t start = 0, end = 0;  // [start, end)
  uint64_t offset = 0;          // file offset of `start`
  std::string path;             // the mapped file, "[heap]", "[stack]", ...; "" when anonymous
};

// The mapping of process `pid` that holds `addr`; nullopt if none does or
// the process is gone.
std::optional<Mapping> mapping_holding(uint32_t pid, uint64_t addr);

}  // namespace fxs
