#include "core/errors.h"

#include <string>

namespace suma::err {
namespace {
Status Make(Code code, std::string_view msg) { return Status::Error(code, std::string(msg)); }
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts) s.append(p);
  return s;
}
// A client-supplied token quoted in an error: bytes outside printable ASCII
// become \xNN (a NUL would cut the reply short, the server turns CR/LF into
// spaces) and anything past 64 bytes is elided, so the reply stays one short,
// exact line.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out.append("\\x").push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > kMax) out.append("...");
  return out;
}
}  // namespace

Status EmptyArg(std::string_view what) { return Make(Code::kErr, Cat({"invalid ", what, ": empty"})); }
Status TooLong(std::string_view what, size_t max) {
  return Make(Code::kErr, Cat({"invalid ", what, ": longer than ", std::to_string(max), " bytes"}));
}
Status BadChars(std::string_view what, std::string_view allowed) {
  return Make(Code::kErr, Cat({"invalid ", what, ": only ", allowed, " are allowed"}));
}
Status NotInteger(std::string_view what) {
  return Make(Code::kErr, Cat({"invalid ", what, ": not an integer"}));
}
Status OutOfRange(std::string_view what, long long min, long long max) {
  return Make(Code::kErr, Cat({"invalid ", what, ": must be between ", std::to_string(min), " and ",
                          std::to_string(max)}));
}
Status InvalidJson(std::string_view what, std::string_view reason) {
  return Make(Code::kErr, Cat({"invalid ", what, ": not valid JSON (", reason, ")"}));
}
Status PayloadTooLarge(std::string_view what, size_t max) {
  return Make(Code::kErr, Cat({"invalid ", what, ": larger than max-payload (", std::to_string(max),
                          " bytes)"}));
}
Status EmptyGroup() { return Make(Code::kErr, "invalid group: empty"); }
Status ClusterNeedsTag(std::string_view group) {
  return Make(Code::kErr, Cat({"invalid group '", group,
                          "': on Redis Cluster write the group in hash-tag form, e.g. {", group,
                          "}_master"}));
}
Status OtherTenant(std::string_view group) {
  return Make(Code::kNoPerm, Cat({"group '", group, "' does not belong to this server's tenant"}));
}
Status UnknownSubcommand(std::string_view command, std::string_view sub) {
  return Make(Code::kErr, Cat({"unknown subcommand '", Quote(sub), "' for '", command, "'"}));
}
Status UnknownOption(std::string_view option) {
  return Make(Code::kErr, Cat({"unknown option '", Quote(option), "'"}));
}
Status Syntax(std::string_view detail) { return Make(Code::kErr, Cat({"syntax error: ", detail})); }
Status WrongType(std::string_view internal_key) {
  return Make(Code::kWrongType, Cat({"internal key '", internal_key,
                                "' holds the wrong kind of value; the group's state is not "
                                "touched"}));
}
Status GroupFull(std::string_view group, long long max_hosts) {
  return Make(Code::kFull, Cat({"group '", group, "' already has max-hosts (", std::to_string(max_hosts),
                           ") live hosts"}));
}
Status QueueFull(std::string_view group, long long max_tasks) {
  return Make(Code::kFull, Cat({"task queue of group '", group, "' already holds max-tasks (",
                           std::to_string(max_tasks), ") tasks"}));
}
Status Fenced(long long given, long long current) {
  return Make(Code::kFenced, Cat({"epoch ", std::to_string(given), " is not the current leadership (",
                             current > 0 ? "current epoch " + std::to_string(current)
                                         : std::string("no leader"),
                             ")"}));
}
Status NotLeader(std::string_view vip) {
  return Make(Code::kFenced, Cat({"'", vip, "' does not hold the leadership"}));
}
Status NoSuchTask(long long id) {
  return Make(Code::kErr, Cat({"no such task: ", std::to_string(id)}));
}
Status NotDbZero(int db) {
  return Make(Code::kErr, Cat({"sumavlib keeps coordination state in db 0, this connection uses db ",
                          std::to_string(db), " (SELECT 0 first)"}));
}
Status Internal(std::string_view detail) { return Make(Code::kErr, Cat({"internal error: ", detail})); }
Status CounterExhausted(std::string_view what, long long last) {
  return Make(Code::kErr, Cat({"the last ", what, " (", std::to_string(last),
                          ") was written by hand and leaves no larger value to grant"}));
}
Status InternalWrite(std::string_view command, std::string_view key, std::string_view why) {
  return Make(Code::kErr, Cat({"internal write failed (", command, " ", Quote(key), "): ", Quote(why),
                          "; nothing was changed"}));
}
Status SlotMoving(std::string_view group) {
  return Make(Code::kTryAgain, Cat({"group '", Quote(group),
                               "' is moving between cluster nodes; retry shortly"}));
}

}  // namespace suma::err

namespace suma {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "";
    case Code::kErr: return "ERR";
    case Code::kWrongType: return "WRONGTYPE";
    case Code::kNoPerm: return "NOPERM";
    case Code::kFenced: return "FENCED";
    case Code::kFull: return "FULL";
    case Code::kTryAgain: return "TRYAGAIN";
  }
  return "ERR";
}

std::string Status::reply() const {
  if (ok()) return {};
  std::string_view name = CodeName(code_);
  std::string s;
  s.reserve(name.size() + 1 + message_.size());
  s.append(name).append(" ").append(message_);
  return s;
}

}  // namespace suma
