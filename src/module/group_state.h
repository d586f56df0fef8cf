// Reads and writes of a group's coordination state, shared by the families.
//
// Internal keys of group G (all prefixed "G:", see names.h):
//   G:hosts    zset  vip -> last heartbeat (ms, primary's clock)
//   G:drained  hash  vip -> ms when drained
//   G:meta     hash  leader, epoch, lease_until, lease_ms, seq, taskseq, evictions
//   G:events   stream id "<seq>-0", field e = event JSON (last event-log-len)
#pragma once

#include <string>
#include <string_view>

#include "core/leader.h"
#include "module/common.h"

namespace suma::mod {

// Lowest last-seen score that still counts as live at `now`.
int64_t LiveCutoff(int64_t now);

// Checks the group's membership keys have the right types (before writes).
Status CheckMembershipTypes(rm::Ctx* ctx, const Group& g);

// Records a heartbeat of vip: score = now. Emits "online" when vip is new or
// was offline. When the group is at max-hosts, a new vip replaces the least
// recently seen host if that one is offline, and is refused otherwise.
// Checks the types of the keys it writes before its first write.
Status Heartbeat(rm::Ctx* ctx, const Group& g, rm::Str* vip, int64_t now);

inline constexpr std::string_view kReasonExpired = "expired";

// Removes vip from the live set (eviction, leave, max-hosts), emits "offline"
// with the reason, and requeues tasks it had claimed. Returns false if absent.
bool RemoveHost(rm::Ctx* ctx, const Group& g, rm::Str* vip, int64_t now, std::string_view reason);

// True when vip is drained.
bool IsDrained(rm::Key* drained, rm::Str* vip);

// Replies with the live, undrained vips matching pattern, most recent first.
void ReplyLiveList(rm::Ctx* ctx, const Group& g, std::string_view pattern, int64_t now);

// Ends vip's tenure if it leads now and emits "resign". Returns whether it led.
bool ResignIfLeader(rm::Ctx* ctx, const Group& g, std::string_view vip, int64_t now);

// The group's leader state; a default state when G:meta is absent. When
// G:meta holds another type the state is default and *type_error (if given)
// is set to the WRONGTYPE error.
LeaderState LoadLeader(rm::Ctx* ctx, const Group& g, Status* type_error = nullptr);
// Moves the current leader's lease_until (keep_alive renewal).
void RenewLease(rm::Ctx* ctx, const Group& g, int64_t lease_until);
// Writes the leader fields of `s` to G:meta and replicates them.
void StoreLeader(rm::Ctx* ctx, const Group& g, const LeaderState& s);

// Ok when epoch names the group's current, unexpired leadership (IFEPOCH).
Status CheckEpochGuard(rm::Ctx* ctx, const Group& g, int64_t epoch);

// Requeues every task claimed by vip (tasks family).
void RequeueClaimsOf(rm::Ctx* ctx, const Group& g, std::string_view vip, int64_t now);

// Eviction sweep (eviction.cc): remembers groups that have hosts.
void RememberGroup(const Group& g);

}  // namespace suma::mod
