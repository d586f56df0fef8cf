// Status and Result: how the core reports failure without exceptions.
//
// A Status is either ok or carries an error: a code (the reply's first word,
// which clients dispatch on) and a message naming the argument and the
// problem. Errors are built only through the functions in errors.h, so every
// text lives in one place; the "CODE message" reply text is composed only
// where a reply or a log line is written (reply()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace suma {

enum class Code : uint8_t {
  kOk,
  kErr,        // ERR: bad argument, syntax, internal failure
  kWrongType,  // WRONGTYPE: an internal key holds another type
  kNoPerm,     // NOPERM: another tenant's group
  kFenced,     // FENCED: a stale epoch
  kFull,       // FULL: max-hosts / max-tasks reached
  kTryAgain,   // TRYAGAIN: the group's cluster slot is moving
};

// The reply's first word for a code ("ERR", "WRONGTYPE", ...); "" for kOk.
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(Code code, std::string message) {
    return Status(code, std::move(message));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // The message without the code, e.g. "invalid vip: empty". Empty when ok().
  const std::string& message() const { return message_; }
  // The full error reply, e.g. "ERR invalid vip: empty". Empty when ok().
  std::string reply() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
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
