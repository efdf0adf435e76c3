#include "replay/trace_text.h"

#include <cstdint>
#include <cstring>

namespace fxs {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[0..n) (n >= 1), or 0 if invalid
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t utf8_sequence(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min, cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

std::string trace_text(const char* p, size_t max_len) {
  const size_t n = strnlen(p, max_len);
  const auto* s = reinterpret_cast<const unsigned char*>(p);
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n;) {
    size_t len = utf8_sequence(s + i, n - i);
    if (len == 0 || (len == 1 && (s[i] < 0x20 || s[i] == 0x7F))) {
      out += kReplacement;
      i++;
      continue;
    }
    out.append(p + i, len);
    i += len;
  }
  return out;
}

}  // namespace fxs
