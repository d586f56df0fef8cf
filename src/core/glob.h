// Glob matching with Redis's KEYS/SCAN syntax: * ? [abc] [^a-z] and \ escapes.
//
// Why not fnmatch(3): its backtracking is exponential on patterns such as
// "*a*a*a*a*b" and it needs NUL-terminated input. This matcher keeps one
// backtrack point (the last '*'), which is exact because every other token
// matches exactly one byte, so it runs in O(len(pattern) * len(text)).
#pragma once

#include <string_view>

namespace suma {

bool GlobMatch(std::string_view pattern, std::string_view text);

// True when the pattern matches every string ("*", "**", ...), so callers can
// skip matching.
bool GlobMatchesAll(std::string_view pattern);

}  // namespace suma
