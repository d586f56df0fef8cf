// Leader election with fencing epochs: the decision, free of storage.
//
// A group has at most one leader at a time: the vip holding an unexpired lease.
// Every new tenure gets epoch = last granted epoch + 1, so epochs only grow and
// a resource that remembers the highest epoch it has seen can reject a deposed
// leader (see suma_leader_check and IFEPOCH). The last granted epoch is kept
// even when nobody leads, so it survives resignations and lapsed leases.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace suma {

struct LeaderState {
  std::string vip;          // empty: nobody has ever led, or leadership was resigned
  int64_t epoch = 0;        // last granted epoch, 0 before the first election
  int64_t lease_until = 0;  // absolute ms on the primary's clock, last ms of the lease
  int64_t lease_ms = 0;     // lease length the leader asked for, reused on renewal

  // The leader's vip while its lease runs, otherwise empty. `now` is whole ms
  // (rounded down), so the lease also covers the millisecond lease_until: it
  // then lasts at least lease_ms after the request arrived, never ending before
  // the holder's own "sent + lease_ms" (the client-side lease rule).
  std::string_view Current(int64_t now) const {
    return !vip.empty() && lease_until >= now ? std::string_view(vip) : std::string_view();
  }
};

struct LeaderDecision {
  bool leader = false;    // vip holds the leadership after this call
  bool new_term = false;  // a new epoch was granted (publish a "leader" event)
  LeaderState next;       // state to store when leader is true
};

// try_leader: take the leadership if nobody holds it, renew it if vip holds it.
// A new tenure's epoch is NextFenced(last granted, now) (core/series.h): above
// every epoch granted before, also when the old primary granted epochs that
// never reached a promoted replica, or G:meta was deleted or rewritten.
// Error only when a hand-written epoch leaves no larger value.
// granted_high: see NextFenced.
Result<LeaderDecision> TryLeader(const LeaderState& cur, std::string_view vip, int64_t now,
                                 int64_t lease_ms, int64_t granted_high = 0);

// keep_alive renewal: extends the lease of vip if and only if it still holds it.
// Returns false (and leaves next untouched) when vip does not lead.
bool RenewIfLeader(const LeaderState& cur, std::string_view vip, int64_t now, LeaderState* next);

// Ms of lease left for the current leader, 0 when nobody leads.
int64_t LeaseLeft(const LeaderState& s, int64_t now);

// True when epoch names the tenure in force now.
bool EpochIsCurrent(const LeaderState& s, int64_t epoch, int64_t now);

// The tenure as stored in one hash field, "<vip> <lease_until> <lease_ms>"
// ("" when nobody holds it), so a heartbeat reads a single field. The epoch
// is stored apart: it outlives tenures.
std::string EncodeLease(const LeaderState& s);
// Fills vip, lease_until and lease_ms from an encoded lease. False (and s
// untouched) when the text is not one; "" decodes to no tenure.
bool DecodeLease(std::string_view text, LeaderState* s);

}  // namespace suma
