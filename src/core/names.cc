#include "core/names.h"

#include "core/errors.h"

namespace suma {
namespace {

constexpr std::string_view kGroupChars = "letters, digits and . _ -";
constexpr std::string_view kTokenChars = "printable ASCII characters other than space";

bool IsSeparator(char c) { return c == '_' || c == '.' || c == ':' || c == '-'; }
bool IsGroupChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
bool IsTokenChar(char c) { return c > ' ' && c < 0x7f; }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Status ValidateToken(std::string_view what, std::string_view v, size_t max) {
  if (v.empty()) return err::EmptyArg(what);
  if (v.size() > max) return err::TooLong(what, max);
  for (char c : v)
    if (!IsTokenChar(c)) return err::BadChars(what, kTokenChars);
  return Status::Ok();
}

}  // namespace

std::string Group::Key(std::string_view kind) const {
  std::string k;
  k.reserve(name.size() + 1 + kind.size());
  k.append(name).append(":").append(kind);
  return k;
}

std::string_view Group::Bare() const {
  std::string_view n = name;
  return tagged ? n.substr(1, n.size() - 2) : n;
}

Result<Group> ParseGroup(std::string_view arg, bool cluster_mode) {
  std::string_view g = arg;
  for (std::string_view suffix : {std::string_view("master"), std::string_view("channel")}) {
    if (EndsWith(g, suffix)) {
      g.remove_suffix(suffix.size());
      if (!g.empty() && IsSeparator(g.back())) g.remove_suffix(1);
      break;
    }
  }
  Group out;
  std::string_view inner = g;
  if (g.size() >= 2 && g.front() == '{' && g.back() == '}') {
    out.tagged = true;
    inner = g.substr(1, g.size() - 2);
  }
  if (inner.empty()) return err::EmptyGroup();
  if (inner.size() > kMaxGroupLen) return err::TooLong("group", kMaxGroupLen);
  for (char c : inner)
    if (!IsGroupChar(c)) return err::BadChars("group", kGroupChars);
  if (cluster_mode && !out.tagged) return err::ClusterNeedsTag(inner);
  out.name = std::string(g);
  return out;
}

Status ValidateVip(std::string_view vip) { return ValidateToken("vip", vip, kMaxVipLen); }

Status ValidateConfigKey(std::string_view key) {
  return ValidateToken("config key", key, kMaxConfigKeyLen);
}

Status ValidatePattern(std::string_view pattern) {
  if (pattern.empty()) return err::EmptyArg("pattern");
  if (pattern.size() > kMaxPatternLen) return err::TooLong("pattern", kMaxPatternLen);
  return Status::Ok();
}

}  // namespace suma
