#include "collector/proc_maps.h"

#include <cinttypes>
#include <cstdio>
#include <fstream>

namespace fxs {

std::optional<Mapping> mapping_holding(uint32_t pid, uint64_t addr) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    Mapping m;
    int path_at = 0;
    // "start-end perms offset dev inode   path"
    if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s%n", &m.start, &m.end, &m.offset,
                    &path_at) < 3)
      continue;
    if (addr < m.start || addr >= m.end) continue;
    if (path_at > 0 && size_t(path_at) <= line.size()) {
      m.path = line.substr(size_t(path_at));
      m.path.erase(0, m.path.find_first_not_of(' '));
    }
    return m;
  }
  return std::nullopt;
}

}  // namespace fxs
