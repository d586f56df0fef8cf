#include "core/names.h"

#include "core/errors.h"
#include "core/group_name.h"

namespace suma {
namespace {

bool IsSeparator(char c) { return c == '_' || c == '.' || c == ':' || c == '-'; }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Status ValidateToken(std::string_view what, std::string_view v, size_t max) {
  switch (CheckToken(v, max)) {
    case NameCheck::kOk: return Status::Ok();
    case NameCheck::kEmpty: return err::EmptyArg(what);
    case NameCheck::kTooLong: return err::TooLong(what, max);
    case NameCheck::kBadChars: break;
  }
  return err::BadChars(what, kTokenCharsText);
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
  switch (CheckGroupName(g)) {
    case NameCheck::kOk: break;
    case NameCheck::kEmpty: return err::EmptyGroup();
    case NameCheck::kTooLong: return err::TooLong("group", kMaxGroupLen);
    case NameCheck::kBadChars: return err::BadChars("group", kGroupCharsText);
  }
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
