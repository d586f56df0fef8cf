// GlobMatch on an arbitrary pattern and text (split at the first NUL byte).
// On small inputs the single-backtrack matcher must agree with a plain
// exhaustive matcher written here from the documented syntax; on large ones
// it must simply finish (libFuzzer's -timeout catches blow-ups).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/glob.h"
#include "fuzz_util.h"

namespace {

// One pattern token: '*', '?', a class or a literal byte.
struct Token {
  enum Kind { kStar, kAny, kClass, kLit } kind;
  unsigned char lit = 0;
  bool negate = false;
  std::vector<std::pair<unsigned char, unsigned char>> ranges;  // inclusive
};

// Tokenizes like Redis's stringmatchlen: "\x" is a literal x (a trailing "\"
// is itself); "[" starts a class: optional "^", then until "]" (a "]" right
// after "[" or "[^" closes an empty class) items: "\x" an escaped byte,
// "x-y" a range whenever two more bytes follow (y taken raw, also "]";
// reversed ranges count as swapped), else one byte. An unterminated class
// takes the rest of the pattern.
std::vector<Token> Tokenize(std::string_view p) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < p.size()) {
    Token t{};
    char c = p[i];
    if (c == '*') {
      t.kind = Token::kStar;
      ++i;
    } else if (c == '?') {
      t.kind = Token::kAny;
      ++i;
    } else if (c == '\\' && i + 1 < p.size()) {
      t.kind = Token::kLit;
      t.lit = static_cast<unsigned char>(p[i + 1]);
      i += 2;
    } else if (c == '[') {
      t.kind = Token::kClass;
      ++i;
      if (i < p.size() && p[i] == '^') {
        t.negate = true;
        ++i;
      }
      while (i < p.size()) {
        size_t left = p.size() - i;
        unsigned char pc = static_cast<unsigned char>(p[i]);
        if (pc == '\\' && left >= 2) {
          unsigned char e = static_cast<unsigned char>(p[i + 1]);
          t.ranges.emplace_back(e, e);
          i += 2;
        } else if (pc == ']') {
          break;
        } else if (left >= 3 && p[i + 1] == '-') {
          unsigned char lo = pc, hi = static_cast<unsigned char>(p[i + 2]);
          if (lo > hi) std::swap(lo, hi);
          t.ranges.emplace_back(lo, hi);
          i += 3;
        } else {
          t.ranges.emplace_back(pc, pc);
          ++i;
        }
      }
      if (i < p.size()) ++i;  // the closing ']'
    } else {
      t.kind = Token::kLit;
      t.lit = static_cast<unsigned char>(c);
      ++i;
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool One(const Token& t, unsigned char c) {
  switch (t.kind) {
    case Token::kAny:
      return true;
    case Token::kLit:
      return t.lit == c;
    case Token::kClass: {
      bool hit = false;
      for (auto [lo, hi] : t.ranges)
        if (c >= lo && c <= hi) hit = true;
      return hit != t.negate;
    }
    case Token::kStar:
      break;
  }
  return false;
}

// Exhaustive backtracking: exponential, so only used on small inputs.
bool Ref(const std::vector<Token>& toks, size_t k, std::string_view s) {
  if (k == toks.size()) return s.empty();
  if (toks[k].kind == Token::kStar) {
    for (size_t skip = 0; skip <= s.size(); ++skip)
      if (Ref(toks, k + 1, s.substr(skip))) return true;
    return false;
  }
  return !s.empty() && One(toks[k], static_cast<unsigned char>(s[0])) &&
         Ref(toks, k + 1, s.substr(1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = suma::fuzz::View(data, size);
  size_t z = in.find('\0');
  std::string_view pat = z == std::string_view::npos ? in : in.substr(0, z);
  std::string_view text = z == std::string_view::npos ? std::string_view() : in.substr(z + 1);
  bool got = suma::GlobMatch(pat, text);
  if (pat.size() <= 16 && text.size() <= 24) {
    auto toks = Tokenize(pat);
    size_t stars = 0;
    for (const auto& t : toks) stars += t.kind == Token::kStar;
    if (stars <= 4) FUZZ_CHECK(got == Ref(toks, 0, text));
  }
  if (suma::GlobMatchesAll(pat)) FUZZ_CHECK(got);
  // Every text matches itself once its glob specials are escaped.
  std::string escaped;
  for (char c : text.substr(0, 256)) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  FUZZ_CHECK(suma::GlobMatch(escaped, text.substr(0, 256)));
  return 0;
}
