// json_writer.h: writes compact JSON straight into a string, for the parts
// of a report that are written once per futex: building an nlohmann::json
// object of each (a map node per key) was most of the time of a JSON report
// of 200,000 futexes. The output is what nlohmann's dump() writes for the
// same document when the caller gives the keys of each object in sorted
// order (nlohmann keeps them sorted); tests re-dump it to check both.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace fxs {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  // The next member's key (inside an object; its value follows).
  JsonWriter& key(std::string_view k);

  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  JsonWriter& value(T v) {
    if constexpr (std::is_signed_v<T>) return integer(static_cast<int64_t>(v));
    else return unsigned_integer(static_cast<uint64_t>(v));
  }
  JsonWriter& value(bool v);
  JsonWriter& value(double v);
  // The text must be valid UTF-8 (trace strings are made so when read).
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& null();

  // key(k).value(v)
  template <typename T>
  JsonWriter& field(std::string_view k, const T& v) {
    return key(k).value(v);
  }

 private:
  JsonWriter& open(char c);
  JsonWriter& close(char c);
  JsonWriter& integer(int64_t v);
  JsonWriter& unsigned_integer(uint64_t v);
  void separate();  // the comma before a value that is not its container's first

  std::string& out_;
  // Bit d: the container at depth d has a member already. Reports nest far
  // less than 64 deep.
  uint64_t has_member_ = 0;
  unsigned depth_ = 0;
  bool after_key_ = false;
};

}  // namespace fxs
