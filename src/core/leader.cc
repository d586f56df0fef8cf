#include "core/leader.h"

namespace suma {

LeaderDecision TryLeader(const LeaderState& cur, std::string_view vip, int64_t now,
                         int64_t lease_ms) {
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
    d.next.epoch = cur.epoch + 1;
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

}  // namespace suma
