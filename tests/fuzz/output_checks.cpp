#include "fuzz/output_checks.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

namespace fxs::fuzz {

namespace {

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool is_count(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

void check_json(const std::string& text, const char* what) {
  // Parsing is slow under the sanitizers and coverage (a 50 MB report took
  // most of a run's time limit): big outputs, which small inputs rarely
  // make, are only checked for their first byte.
  constexpr size_t kMaxParsed = 1 << 20;
  if (text.size() > kMaxParsed) {
    if (text.front() != '{' && text.front() != '[') broken(what, "output does not begin a JSON document");
    return;
  }
  if (!nlohmann::json::accept(text)) broken(what, "output is not valid JSON");
}

void check_folded(const std::string& text) {
  std::string_view rest(text);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) broken("report --format folded", "last line has no newline");
    std::string_view line = rest.substr(0, nl);
    size_t sp = line.rfind(' ');
    if (sp == std::string_view::npos || sp == 0 || !is_count(line.substr(sp + 1)))
      broken("report --format folded", "line is not 'stack count': " + std::string(line.substr(0, 200)));
    rest.remove_prefix(nl + 1);
  }
}

void check_empty_on_error(const std::string& text, const char* what) {
  if (!text.empty()) broken(what, "returned an error after writing output");
}

}  // namespace fxs::fuzz
