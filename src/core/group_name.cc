#include "core/group_name.h"

namespace suma {
namespace {

bool IsGroupChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
bool IsTokenChar(char c) { return c > ' ' && c < 0x7f; }

}  // namespace

NameCheck CheckGroupName(std::string_view name) {
  std::string_view inner = name;
  if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
    inner = name.substr(1, name.size() - 2);
  if (inner.empty()) return NameCheck::kEmpty;
  if (inner.size() > kMaxGroupLen) return NameCheck::kTooLong;
  for (char c : inner)
    if (!IsGroupChar(c)) return NameCheck::kBadChars;
  return NameCheck::kOk;
}

NameCheck CheckToken(std::string_view token, size_t max) {
  if (token.empty()) return NameCheck::kEmpty;
  if (token.size() > max) return NameCheck::kTooLong;
  for (char c : token)
    if (!IsTokenChar(c)) return NameCheck::kBadChars;
  return NameCheck::kOk;
}

}  // namespace suma
