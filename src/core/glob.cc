#include "core/glob.h"

#include <utility>

namespace suma {
namespace {

// Matches the class starting at pattern[p] == '[' against c, with Redis's
// rules: a ']' right after '[' or '[^' closes an empty class, "x-y" is a range
// (also when y is ']'), '\\' escapes one character, an unterminated class runs to
// the end of the pattern. Sets next to the index after the class.
bool MatchClass(std::string_view pat, size_t p, unsigned char c, size_t* next) {
  ++p;
  bool negate = p < pat.size() && pat[p] == '^';
  if (negate) ++p;
  bool hit = false;
  for (;; ++p) {
    size_t left = pat.size() - p;
    if (left == 0) break;
    unsigned char pc = static_cast<unsigned char>(pat[p]);
    if (pc == '\\' && left >= 2) {
      if (static_cast<unsigned char>(pat[++p]) == c) hit = true;
    } else if (pc == ']') {
      break;
    } else if (left >= 3 && pat[p + 1] == '-') {
      unsigned char lo = pc, hi = static_cast<unsigned char>(pat[p + 2]);
      if (lo > hi) std::swap(lo, hi);
      if (c >= lo && c <= hi) hit = true;
      p += 2;
    } else if (pc == c) {
      hit = true;
    }
  }
  *next = p < pat.size() ? p + 1 : p;
  return hit != negate;
}

}  // namespace

bool GlobMatch(std::string_view pat, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pat.size()) {
      char pc = pat[p];
      if (pc == '*') {
        while (p < pat.size() && pat[p] == '*') ++p;
        if (p == pat.size()) return true;
        star_p = p;
        star_t = t;
        continue;
      }
      unsigned char c = static_cast<unsigned char>(text[t]);
      bool ok;
      size_t next;
      if (pc == '?') {
        ok = true;
        next = p + 1;
      } else if (pc == '[') {
        ok = MatchClass(pat, p, c, &next);
      } else if (pc == '\\' && p + 1 < pat.size()) {
        ok = static_cast<unsigned char>(pat[p + 1]) == c;
        next = p + 2;
      } else {
        ok = static_cast<unsigned char>(pc) == c;
        next = p + 1;
      }
      if (ok) {
        p = next;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool GlobMatchesAll(std::string_view pattern) {
  if (pattern.empty()) return false;
  for (char c : pattern)
    if (c != '*') return false;
  return true;
}

}  // namespace suma
