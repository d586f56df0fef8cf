#include "core/numbers.h"

#include <charconv>

#include "core/errors.h"

namespace suma {

Result<int64_t> ParseInt(std::string_view what, std::string_view text, int64_t min, int64_t max) {
  if (text.empty() || text.front() == '+') return err::NotInteger(what);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  // Syntax first: "99999999999999999999x" is not an integer, not out of range.
  if (ptr != text.data() + text.size()) return err::NotInteger(what);
  if (ec == std::errc::result_out_of_range) return err::OutOfRange(what, min, max);
  if (ec != std::errc()) return err::NotInteger(what);
  if (v < min || v > max) return err::OutOfRange(what, min, max);
  return v;
}

}  // namespace suma
