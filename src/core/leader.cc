#include "core/leader.h"

#include <algorithm>
#include <charconv>

#include "core/limits.h"
#include "core/series.h"

namespace suma {

Result<LeaderDecision> TryLeader(const LeaderState& cur, std::string_view vip, int64_t now,
                                 int64_t lease_ms, int64_t granted_high) {
  LeaderDecision d;
  std::string_view holder = cur.Current(now);
  if (!holder.empty() && holder != vip) return d;
  d.leader = true;
  d.next = cur;
  d.next.lease_until = now + lease_ms;
  d.next.lease_ms = lease_ms;
  if (holder.empty()) {
    d.new_term = true;
    d.next.vip = std::string(vip);
    auto epoch = NextFenced("epoch", cur.epoch, now, granted_high);
    if (!epoch.ok()) return epoch.status();
    d.next.epoch = *epoch;
  }
  return d;
}

bool RenewIfLeader(const LeaderState& cur, std::string_view vip, int64_t now, LeaderState* next) {
  if (cur.Current(now) != vip || vip.empty()) return false;
  *next = cur;
  next->lease_until = now + cur.lease_ms;
  return true;
}

int64_t LeaseLeft(const LeaderState& s, int64_t now) {
  return s.Current(now).empty() ? 0 : s.lease_until - now;
}

bool EpochIsCurrent(const LeaderState& s, int64_t epoch, int64_t now) {
  return !s.Current(now).empty() && s.epoch == epoch;
}

std::string EncodeLease(const LeaderState& s) {
  if (s.vip.empty()) return {};
  return s.vip + " " + std::to_string(s.lease_until) + " " + std::to_string(s.lease_ms);
}

bool DecodeLease(std::string_view text, LeaderState* s) {
  if (text.empty()) {
    s->vip.clear();
    s->lease_until = s->lease_ms = 0;
    return true;
  }
  size_t a = text.find(' ');
  size_t b = a == std::string_view::npos ? a : text.find(' ', a + 1);
  if (a == 0 || b == std::string_view::npos) return false;
  auto num = [](std::string_view t, int64_t* out) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
    return ec == std::errc() && p == t.data() + t.size();
  };
  int64_t until = 0, ms = 0;
  if (!num(text.substr(a + 1, b - a - 1), &until) || !num(text.substr(b + 1), &ms)) return false;
  // Only what EncodeLease can have written: a hand-written lease of any length
  // would make `now + lease_ms` at renewal overflow.
  if (until < 0 || until > kMaxLeaseUntilMs || ms < 0 || ms > kMaxLeaseMs) return false;
  s->vip = std::string(text.substr(0, a));
  s->lease_until = until;
  s->lease_ms = ms;
  return true;
}

}  // namespace suma
