#include "collector/sysfs_list.h"

#include <charconv>
#include <fstream>

namespace fxs {
namespace {

constexpr uint32_t kMaxRange = 65536;

bool parse_u32(std::string_view s, uint32_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

}  // namespace

std::vector<uint32_t> parse_sysfs_list(std::string_view list) {
  std::vector<uint32_t> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view part = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!part.empty() && (part.back() == '\n' || part.back() == ' ')) part.remove_suffix(1);
    size_t dash = part.find('-');
    uint32_t lo = 0, hi = 0;
    if (!parse_u32(part.substr(0, dash), lo)) continue;
    if (dash == std::string_view::npos) hi = lo;
    else if (!parse_u32(part.substr(dash + 1), hi) || hi < lo || hi - lo >= kMaxRange) continue;
    for (uint32_t v = lo;; v++) {
      out.push_back(v);
      if (v == hi) break;
    }
  }
  return out;
}

std::vector<uint32_t> read_sysfs_list(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return parse_sysfs_list(line);
}

}  // namespace fxs
