// Fleet errors: one code per HTTP outcome of docs/fleet.md, and every error text
// in one place (errors.cc) so the API, the CLI and the tests agree on them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace fleet {

enum class Code { kBadRequest, kNotFound, kConflict, kBusy, kQuota, kEngineDown, kInternal };

struct Error {
  Code code = Code::kInternal;
  std::string message;
};

int HttpStatus(Code c);
const char* CodeName(Code c);

// A value or an Error (std::expected is C++23).
template <typename T>
class Res {
 public:
  Res(T v) : v_(std::move(v)) {}          // NOLINT: implicit by design
  Res(Error e) : e_(std::move(e)) {}      // NOLINT
  bool ok() const { return v_.has_value(); }
  const Error& error() const { return e_; }
  T& value() { return *v_; }
  const T& value() const { return *v_; }

 private:
  std::optional<T> v_;
  Error e_;
};

namespace err {
Error BadRequest(const std::string& what);
Error InvalidName(const std::string& what, const std::string& value, const std::string& why);
Error MemoryTooSmall(int mb, int min_mb);
Error NotFound(const std::string& name);
Error Conflict(const std::string& name);
Error Busy(const std::string& name, const std::string& op_kind, const std::string& op_id);
Error NotRunning(const std::string& name, const std::string& state);
Error Quota(const std::string& what, const std::string& detail);
Error EngineDown(const std::string& detail);
Error ControlDown(const std::string& detail);
Error Internal(const std::string& detail);
// Request bodies and specs.
Error NotAnObject();
Error UnknownField(const std::string& field);
Error MissingField(const std::string& field);
Error WrongType(const std::string& field, const std::string& want);  // want: "an integer", ...
Error OutOfRange(const std::string& field, const std::string& value, const std::string& range);
Error ScaleNeedsAField();
Error CredentialsFailed(const std::string& name, const std::string& why);
}  // namespace err

// Why an operation failed: the tenant's `reason` and the operation's `error`.
namespace why {
std::string EngineStep(const std::string& step, const std::string& container, const std::string& detail);
std::string NoPong(const std::string& container, int64_t timeout_ms);
std::string NoPassword();
std::string Interrupted();
std::string CredentialsInterrupted();
std::string CleanupPending(const std::string& reason);
std::string Gone(const std::string& container);
std::string RestartFailed(const std::string& container, const std::string& detail);
std::string Prefixed(const std::string& kind, const std::string& failure);  // "scale: ..."
}  // namespace why

}  // namespace fleet
