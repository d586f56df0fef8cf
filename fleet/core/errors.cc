#include "core/errors.h"

namespace fleet {

int HttpStatus(Code c) {
  switch (c) {
    case Code::kBadRequest: return 400;
    case Code::kNotFound: return 404;
    case Code::kConflict:
    case Code::kBusy: return 409;
    case Code::kQuota: return 422;
    case Code::kEngineDown: return 503;
    case Code::kInternal: return 500;
  }
  return 500;
}

const char* CodeName(Code c) {
  switch (c) {
    case Code::kBadRequest: return "BAD_REQUEST";
    case Code::kNotFound: return "NOT_FOUND";
    case Code::kConflict: return "CONFLICT";
    case Code::kBusy: return "BUSY";
    case Code::kQuota: return "QUOTA";
    case Code::kEngineDown: return "ENGINE_DOWN";
    case Code::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

namespace err {
Error BadRequest(const std::string& what) { return {Code::kBadRequest, what}; }
Error InvalidName(const std::string& what, const std::string& value, const std::string& why) {
  return {Code::kBadRequest, "invalid " + what + " '" + value + "': " + why};
}
Error MemoryTooSmall(int mb, int min_mb) {
  return {Code::kBadRequest, "invalid memory_mb " + std::to_string(mb) + ": the minimum is " +
                                 std::to_string(min_mb) + " MB"};
}
Error NotFound(const std::string& name) { return {Code::kNotFound, "no tenant '" + name + "'"}; }
Error Conflict(const std::string& name) {
  return {Code::kConflict,
          "tenant '" + name + "' already exists with another spec (scale it, or delete it first)"};
}
Error Busy(const std::string& name, const std::string& op_kind, const std::string& op_id) {
  return {Code::kBusy, "tenant '" + name + "' is busy: operation " + op_id + " (" + op_kind +
                           ") is still running"};
}
Error NotRunning(const std::string& name, const std::string& state) {
  return {Code::kConflict, "tenant '" + name + "' is " + state + ", not running"};
}
Error Quota(const std::string& what, const std::string& detail) {
  return {Code::kQuota, "quota exceeded: " + what + " (" + detail + ")"};
}
Error EngineDown(const std::string& detail) {
  return {Code::kEngineDown, "container engine unavailable: " + detail};
}
Error ControlDown(const std::string& detail) {
  return {Code::kEngineDown, "control server unavailable: " + detail};
}
Error Internal(const std::string& detail) { return {Code::kInternal, detail}; }
Error NotAnObject() { return {Code::kBadRequest, "the body must be a JSON object"}; }
Error UnknownField(const std::string& f) { return {Code::kBadRequest, "unknown field '" + f + "'"}; }
Error MissingField(const std::string& f) { return {Code::kBadRequest, "missing field '" + f + "'"}; }
Error WrongType(const std::string& f, const std::string& want) {
  return {Code::kBadRequest, "invalid " + f + ": must be " + want};
}
Error OutOfRange(const std::string& f, const std::string& v, const std::string& range) {
  return {Code::kBadRequest, "invalid " + f + (v.empty() ? "" : " " + v) + ": " + range};
}
Error ScaleNeedsAField() {
  return {Code::kBadRequest, "scale needs at least one of memory_mb, cpus, replicas"};
}
Error CredentialsFailed(const std::string& name, const std::string& why) {
  return {Code::kInternal, "credentials of '" + name + "' failed: " + why};
}
}  // namespace err

namespace why {
std::string EngineStep(const std::string& step, const std::string& container, const std::string& detail) {
  return step + (container.empty() ? "" : " " + container) + ": " + detail;
}
std::string NoPong(const std::string& container, int64_t timeout_ms) {
  return container + " did not answer PING within " + std::to_string(timeout_ms) + " ms";
}
std::string NoPassword() { return "the tenant's password is not readable from its containers"; }
std::string Interrupted() { return "interrupted: the fleet restarted before the tenant's containers were made"; }
std::string CredentialsInterrupted() {
  return "credentials rotation interrupted by a fleet restart: request new credentials again";
}
std::string CleanupPending(const std::string& reason) {
  return reason + " (cleanup pending: the engine did not answer)";
}
std::string Gone(const std::string& container) {
  return "container " + container + " is gone: request new credentials to recreate it, or delete the tenant";
}
std::string RestartFailed(const std::string& container, const std::string& detail) {
  return "restart of " + container + " failed: " + detail;
}
std::string Prefixed(const std::string& kind, const std::string& failure) { return kind + ": " + failure; }
}  // namespace why

}  // namespace fleet
