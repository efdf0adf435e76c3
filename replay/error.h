// Errors as values: a message with context ("open trace.fxs: No such file or directory").
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace fxs {

struct Error {
  std::string message;
};

// Status: ok, or an Error. One pointer, null when ok: the recorder makes and
// moves several per event, each of which built and destroyed a std::string
// (docs/BENCHMARKS.md, "The recorder's CPU per event, again").
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : err_(std::make_unique<std::string>(std::move(e.message))) {}  // NOLINT: implicit by design
  Status(const Status& o) : err_(o.err_ ? std::make_unique<std::string>(*o.err_) : nullptr) {}
  Status& operator=(const Status& o) {
    if (this != &o) err_ = o.err_ ? std::make_unique<std::string>(*o.err_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  bool ok() const { return !err_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const {
    static const std::string kNoMessage;
    return err_ ? *err_ : kNoMessage;
  }

 private:
  std::unique_ptr<std::string> err_;
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
