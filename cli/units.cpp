#include "cli/units.h"

#include <cctype>
#include <cstdlib>

namespace fxs {
namespace {

// Splits "250ms" into 250 and "ms"; false if there is no leading number.
bool split_number(const std::string& s, double& value, std::string& unit) {
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.')) return false;
  char* end = nullptr;
  value = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || value < 0) return false;
  unit.assign(end);
  return true;
}

}  // namespace

Result<uint64_t> parse_duration_ns(const std::string& s) {
  double v;
  std::string unit;
  if (!split_number(s, v, unit)) return Error{"not a number with a unit: " + std::string(kDurationUnits)};
  double mult;
  if (unit == "ns") mult = 1;
  else if (unit == "us") mult = 1e3;
  else if (unit == "ms") mult = 1e6;
  else if (unit == "s") mult = 1e9;
  else if (unit == "m") mult = 60e9;
  else if (unit == "h") mult = 3600e9;
  else if (unit.empty() && v == 0) mult = 0;
  else if (unit.empty()) return Error{"needs a unit: " + std::string(kDurationUnits)};
  else return Error{"unknown unit '" + unit + "'; units: " + std::string(kDurationUnits)};
  // Past ~584 years the conversion to uint64_t would be undefined.
  if (v * mult >= 1.8e19) return Error{"too long"};
  return uint64_t(v * mult);
}

std::string parse_duration_option(const std::string& option, const std::string& s, const char* example,
                                  bool allow_zero, uint64_t& ns) {
  auto d = parse_duration_ns(s);
  std::string why = !d ? d.message() : (*d == 0 && !allow_zero) ? std::string("must be more than 0") : "";
  if (!why.empty()) return "bad duration '" + s + "' for " + option + " (" + why + "; e.g. " + example + ")";
  ns = *d;
  return {};
}

std::optional<uint64_t> parse_size_bytes(const std::string& s) {
  double v;
  std::string unit;
  if (!split_number(s, v, unit)) return std::nullopt;
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  double mult;
  if (unit.empty()) mult = 1;
  else if (unit == "K" || unit == "k") mult = 1024.0;
  else if (unit == "M" || unit == "m") mult = 1024.0 * 1024;
  else if (unit == "G" || unit == "g") mult = 1024.0 * 1024 * 1024;
  else return std::nullopt;
  return uint64_t(v * mult);
}

std::string parse_memory_limit(const std::string& s, uint64_t& bytes) {
  auto b = parse_size_bytes(s);
  if (!b || *b < 1024) return "bad --memory-limit '" + s + "' (a size such as 512M or 8G)";
  bytes = *b;
  return {};
}

}  // namespace fxs
