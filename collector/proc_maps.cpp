#include "collector/proc_maps.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>

namespace fxs {

std::optional<std::vector<Mapping>> read_mappings(uint32_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  if (!maps) return std::nullopt;
  std::vector<Mapping> out;
  std::string line;
  while (std::getline(maps, line)) {
    Mapping m;
    int path_at = 0;
    // "start-end perms offset dev inode   path"
    if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s%n", &m.start, &m.end, &m.offset,
                    &path_at) < 3)
      continue;
    if (path_at > 0 && size_t(path_at) <= line.size()) {
      m.path = line.substr(size_t(path_at));
      m.path.erase(0, m.path.find_first_not_of(' '));
    }
    out.push_back(std::move(m));
  }
  return out;
}

const Mapping* mapping_in(const std::vector<Mapping>& maps, uint64_t addr) {
  auto it = std::upper_bound(maps.begin(), maps.end(), addr, [](uint64_t a, const Mapping& m) { return a < m.start; });
  if (it == maps.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

std::optional<Mapping> mapping_holding(uint32_t pid, uint64_t addr) {
  std::optional<std::vector<Mapping>> maps = read_mappings(pid);
  if (!maps) return std::nullopt;
  const Mapping* m = mapping_in(*maps, addr);
  if (!m) return std::nullopt;
  return *m;
}

}  // namespace fxs
