// Helpers shared by the libFuzzer targets: splitting one input into fields and
// failing loudly (abort, so libFuzzer saves the input) when an invariant breaks.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace suma::fuzz {

#define FUZZ_CHECK(cond)                                                           \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                \
    }                                                                              \
  } while (0)

inline std::string_view View(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits at every NUL byte (so fields may hold any other byte).
inline std::vector<std::string> SplitNul(std::string_view s, size_t max_fields = 64) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < max_fields) {
    size_t z = s.find('\0', start);
    if (z == std::string_view::npos) break;
    out.emplace_back(s.substr(start, z - start));
    start = z + 1;
  }
  out.emplace_back(s.substr(start));
  return out;
}

// Every error reply is "CODE message": an upper-case code, a space, a message.
inline bool WellFormedError(const Status& s) {
  const std::string& r = s.reply();
  size_t sp = r.find(' ');
  if (sp == std::string::npos || sp == 0 || sp + 1 >= r.size()) return false;
  for (size_t i = 0; i < sp; ++i)
    if (r[i] < 'A' || r[i] > 'Z') return false;
  // A reply is sent as one RESP error line: no CR/LF inside.
  return r.find('\r') == std::string::npos && r.find('\n') == std::string::npos;
}

}  // namespace suma::fuzz
