#include "core/series.h"

#include <algorithm>
#include <limits>

#include "core/errors.h"

namespace suma {
namespace {
// 2^53 - 1: the largest value exact in JSON and JavaScript, and as a zset score.
// TimeFloor reaches it in the year 2248; a counter written by hand at or above
// it leaves nothing to grant, and is refused rather than wrapped or rounded.
constexpr int64_t kLimit = (int64_t{1} << 53) - 1;
// How far above TimeFloor(now) granted_high may lie and still be one of this
// process's recent grants (bursts of up to 2^30 values), rather than a value
// some other group's hand-written counter pushed up: only a recent grant may
// raise another series' next value.
constexpr int64_t kRecentWindow = int64_t{1} << 30;

int64_t RecentHigh(int64_t granted_high, int64_t now_ms) {
  return granted_high < TimeFloor(now_ms) + kRecentWindow ? granted_high : 0;
}
}  // namespace

int64_t TimeFloor(int64_t now_ms) { return std::clamp<int64_t>(now_ms, 0, kLimit / 1024) * 1024; }

Result<int64_t> NextFenced(std::string_view what, int64_t last, int64_t now_ms,
                           int64_t granted_high) {
  if (last >= kLimit) return err::CounterExhausted(what, last);
  return std::max(
      {std::max<int64_t>(last, 0) + 1, TimeFloor(now_ms), RecentHigh(granted_high, now_ms) + 1});
}

Result<int64_t> NextSeq(std::optional<int64_t> last, int64_t now_ms, int64_t restart_floor,
                        int64_t granted_high) {
  if (last && *last >= kLimit) return err::CounterExhausted("seq", *last);
  if (last && *last >= 0) return std::max(*last + 1, restart_floor);
  return std::max({TimeFloor(now_ms), restart_floor, RecentHigh(granted_high, now_ms) + 1});
}

}  // namespace suma
