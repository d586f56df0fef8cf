// Status and Result: how the core reports failure without exceptions.
//
// A Status is either ok or carries a Redis error reply text ("CODE message"),
// built only through the functions in errors.h so every text lives in one place.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace suma {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string reply) { return Status(std::move(reply)); }

  bool ok() const { return !reply_.has_value(); }
  // The full error reply, e.g. "ERR invalid vip: empty". Empty when ok().
  const std::string& reply() const {
    static const std::string kNone;
    return reply_ ? *reply_ : kNone;
  }

 private:
  explicit Status(std::string reply) : reply_(std::move(reply)) {}
  std::optional<std::string> reply_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return error_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status error_;
};

}  // namespace suma
