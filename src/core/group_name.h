// The character rules of group names and tokens (vips, config keys), without
// error texts, so the agent and the console can share them with the module
// (names.h turns a failed check into the module's error reply).
#pragma once

#include <cstddef>
#include <string_view>

#include "core/limits.h"

namespace suma {

enum class NameCheck { kOk, kEmpty, kTooLong, kBadChars };

inline constexpr std::string_view kGroupCharsText = "letters, digits and . _ -";
inline constexpr std::string_view kTokenCharsText = "printable ASCII characters other than space";

// A group name as stored: letters, digits and . _ -, 1..kMaxGroupLen of them,
// optionally wrapped whole in braces (which do not count towards the length).
NameCheck CheckGroupName(std::string_view name);
inline bool IsGroupName(std::string_view name) { return CheckGroupName(name) == NameCheck::kOk; }

// A token (vip, config key): printable ASCII without space, 1..max bytes.
NameCheck CheckToken(std::string_view token, size_t max);
inline bool IsVip(std::string_view vip) { return CheckToken(vip, kMaxVipLen) == NameCheck::kOk; }

}  // namespace suma
