#include "replay/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace fxs {

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if (has_member_ & bit) out_ += ',';
  has_member_ |= bit;
}

JsonWriter& JsonWriter::open(char c) {
  separate();
  out_ += c;
  depth_++;
  has_member_ &= ~(uint64_t{1} << (depth_ - 1));
  return *this;
}

JsonWriter& JsonWriter::close(char c) {
  out_ += c;
  depth_--;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  value(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t v) {
  separate();
  char buf[24];
  out_.append(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(uint64_t v) {
  separate();
  char buf[24];
  out_.append(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  separate();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  separate();
  out_ += '"';
  size_t plain = 0;  // start of the run of bytes that need no escape
  for (size_t i = 0; i < s.size(); i++) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out_.append(u, sizeof(u));
      }
    }
  }
  out_.append(s.data() + plain, s.size() - plain);
  out_ += '"';
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  separate();
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  if (v == 0) {
    out_ += std::signbit(v) ? "-0.0" : "0.0";
    return *this;
  }
  // The shortest digits that read back as v, laid out as nlohmann lays them:
  // plain decimals for exponents -4..15, always with a point, else d.ddde+XX.
  char sci[32];
  const char* end = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific).ptr;
  const char* p = sci;
  if (*p == '-') {
    out_ += '-';
    p++;
  }
  std::string digits;
  const char* e = p;
  for (; e < end && *e != 'e'; e++)
    if (*e != '.') digits += *e;
  const int exp10 = std::atoi(std::string(e + 1, end).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // the point goes after the n-th digit
  if (k <= n && n <= 15) {
    out_ += digits;
    out_.append(static_cast<size_t>(n - k), '0');
    out_ += ".0";
  } else if (0 < n && n <= 15) {
    out_.append(digits, 0, static_cast<size_t>(n));
    out_ += '.';
    out_.append(digits, static_cast<size_t>(n));
  } else if (-4 < n && n <= 0) {
    out_ += "0.";
    out_.append(static_cast<size_t>(-n), '0');
    out_ += digits;
  } else {
    out_ += digits[0];
    if (k > 1) {
      out_ += '.';
      out_.append(digits, 1);
    }
    out_ += 'e';
    out_ += exp10 < 0 ? '-' : '+';
    const int a = std::abs(exp10);
    if (a < 10) out_ += '0';
    out_ += std::to_string(a);
  }
  return *this;
}

}  // namespace fxs
