#include "core/series.h"

#include <algorithm>
#include <limits>

#include "core/errors.h"

namespace suma {
namespace {
// Far beyond any clock-derived value (TimeFloor reaches it in the year 143,000),
// so last + 1 and the maxima below never overflow.
constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / 2;
}  // namespace

int64_t TimeFloor(int64_t now_ms) { return std::clamp<int64_t>(now_ms, 0, kLimit / 1024) * 1024; }

Result<int64_t> NextFenced(std::string_view what, int64_t last, int64_t now_ms,
                           int64_t granted_high) {
  if (last >= kLimit) return err::CounterExhausted(what, last);
  if (granted_high >= kLimit) return err::CounterExhausted(what, granted_high);
  return std::max({std::max<int64_t>(last, 0) + 1, TimeFloor(now_ms), granted_high + 1});
}

Result<int64_t> NextSeq(std::optional<int64_t> last, int64_t now_ms, int64_t restart_floor,
                        int64_t granted_high) {
  if (last && *last >= kLimit) return err::CounterExhausted("seq", *last);
  if (granted_high >= kLimit) return err::CounterExhausted("seq", granted_high);
  if (last && *last >= 0) return std::max(*last + 1, restart_floor);
  return std::max({TimeFloor(now_ms), restart_floor, granted_high + 1});
}

}  // namespace suma
