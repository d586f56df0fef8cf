// Replies and results of the suma client library.
//
// Reply is an owned copy of one Redis reply (hiredis frees its own after the
// callback returns). Outcome<T> (named apart from src/core's suma::Result)
// is a typed wrapper's outcome: a value, or an
// error text (a server error reply such as "FENCED ...", or a transport
// problem such as "connection lost").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace suma {

struct Reply {
  enum class Type { Nil, Integer, String, Status, Error, Array };
  Type type = Type::Nil;
  long long integer = 0;
  std::string str;  // String, Status and Error
  std::vector<Reply> elements;

  static Reply Error(std::string text) {
    Reply r;
    r.type = Type::Error;
    r.str = std::move(text);
    return r;
  }
  bool is_nil() const { return type == Type::Nil; }
  bool is_error() const { return type == Type::Error; }
  bool is_int() const { return type == Type::Integer; }
  bool is_str() const { return type == Type::String || type == Type::Status; }
  bool is_array() const { return type == Type::Array; }
};

template <typename T>
class Outcome {
 public:
  Outcome(T value) : value_(std::move(value)) {}
  static Outcome Fail(std::string error) {
    Outcome r;
    r.error_ = std::move(error);
    return r;
  }
  bool ok() const { return value_.has_value(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  Outcome() = default;
  std::optional<T> value_;
  std::string error_;
};

}  // namespace suma
