// Errors as values: a message with context ("open trace.fxs: No such file or directory").
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace fxs {

struct Error {
  std::string message;
};

// Status: ok, or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : err_(std::move(e.message)), failed_(true) {}  // NOLINT: implicit by design
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return err_; }

 private:
  std::string err_;
  bool failed_ = false;
};

// Result<T>: a value, or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}        // NOLINT
  Result(Error e) : v_(std::move(e)) {}    // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  const std::string& message() const { return std::get<Error>(v_).message; }
  Error error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// "what: strerror(errno)"
std::string errno_message(const std::string& what, int err);

}  // namespace fxs
