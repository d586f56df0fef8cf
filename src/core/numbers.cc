#include "core/numbers.h"

#include <charconv>
#include <cmath>

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

// 2^63 as a double: the first value above INT64_MAX.
constexpr double kTwo63 = 9223372036854775808.0;

int64_t ScoreToInt(double score) {
  if (std::isnan(score) || score < -kTwo63) return INT64_MIN;
  if (score >= kTwo63) return INT64_MAX;
  return static_cast<int64_t>(score);
}

bool ScoreIsInt(double score, int64_t* out) {
  if (!(score >= -kTwo63 && score < kTwo63) || std::trunc(score) != score) return false;
  *out = static_cast<int64_t>(score);
  return true;
}

}  // namespace suma
