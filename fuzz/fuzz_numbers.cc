// ParseInt on arbitrary text and bounds (the first 16 bytes give min and max).
// Accepts exactly: optional '-', one or more decimal digits, nothing else,
// inside [min, max]; errors are "not an integer" or "must be between".
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/numbers.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int64_t min = INT64_MIN, max = INT64_MAX;
  if (size >= 16) {
    std::memcpy(&min, data, 8);
    std::memcpy(&max, data + 8, 8);
    data += 16;
    size -= 16;
    if (min > max) std::swap(min, max);
  }
  std::string_view text = suma::fuzz::View(data, size);
  auto r = suma::ParseInt("n", text, min, max);

  // Reference: the syntax by hand, the value with strtoll on a copy.
  size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
  bool syntax = i < text.size();
  for (size_t j = i; j < text.size(); ++j)
    if (text[j] < '0' || text[j] > '9') syntax = false;
  if (!syntax) {
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(r.status().reply() == "ERR invalid n: not an integer");
    return 0;
  }
  std::string copy(text);
  errno = 0;
  long long v = std::strtoll(copy.c_str(), nullptr, 10);
  bool overflow = errno == ERANGE;
  if (!overflow && v >= min && v <= max) {
    FUZZ_CHECK(r.ok());
    FUZZ_CHECK(*r == v);
  } else {
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(r.status().reply() == "ERR invalid n: must be between " + std::to_string(min) +
                                         " and " + std::to_string(max));
  }
  return 0;
}
