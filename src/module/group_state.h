// Reads and writes of a group's coordination state, shared by the families.
//
// Internal keys of group G (all prefixed "G:", see names.h):
//   G:hosts    zset  vip -> last heartbeat (ms, primary's clock)
//   G:drained  hash  vip -> ms when drained
//   G:meta     hash  epoch (last granted), lease ("<vip> <lease_until> <lease_ms>"
//                    while someone led, "" after a resign), seq (last event),
//                    taskseq (last task id), evictions
//   G:events   stream id "<seq>-0", field e = event JSON (last event-log-len)
#pragma once

#include <string>
#include <string_view>

#include "core/leader.h"
#include "module/common.h"
#include "module/group_keys.h"
#include "module/txn.h"

namespace suma::mod {

// Internal keys a command touches, for OpenGroup's type checks.
enum KeyKinds : unsigned {
  kMetaKey = 1,
  kHostsKey = 2,
  kDrainedKey = 4,
  kEventsKey = 8,
  kTaskKeys = 16,  // tasks, tqueue, tclaims, towners, tattempts
  kMembershipKeys = kMetaKey | kHostsKey | kDrainedKey | kEventsKey,
};

// The shared first step of every command on a group: db 0, the group named by
// arg, the tenant lock, the cluster slot (ResolveGroup), then the types of the
// internal keys in `keys`, all before the command's first write.
Result<Group> OpenGroup(rm::Ctx* ctx, rm::Str* arg, unsigned keys);

// Lowest last-seen score that still counts as live at `now`.
int64_t LiveCutoff(int64_t now);

// Checks the group's membership keys have the right types (before writes).
Status CheckMembershipTypes(rm::Ctx* ctx, const Group& g);

// Records a heartbeat of vip: score = now. Emits "online" when vip is new or
// was offline. When the group is at max-hosts, a new vip replaces the least
// recently seen host if that one is offline, and is refused otherwise.
// Checks the types of the keys it writes before its first write.
Status Heartbeat(Txn& txn, const Group& g, rm::Str* vip, int64_t now);

inline constexpr std::string_view kReasonExpired = "expired";

// Every G:hosts zset holds this member at score -inf. Why: a zset of up to 128
// short members is listpack-encoded, and there a heartbeat (moving a member to
// the tail) scans and memmoves the whole listpack; one member longer than
// zset-max-listpack-value keeps the zset skiplist-encoded for good (also across
// RDB/AOF reloads), so a heartbeat is O(log n) in any group. It contains
// spaces, which no vip may, and every read or sweep excludes score -inf.
inline constexpr std::string_view kEncodingMarker =
    "sumavlib marker: keeps this zset skiplist-encoded so heartbeats stay O(log n)";

// Number of hosts in an opened G:hosts (without the marker).
long long HostCount(rm::Key* hosts);

// Removes vip from the live set (eviction, leave, max-hosts), emits "offline"
// with the reason, and requeues tasks it had claimed. Returns false if absent.
bool RemoveHost(Txn& txn, const Group& g, rm::Str* vip, int64_t now, std::string_view reason);

// True when vip is drained.
bool IsDrained(rm::Key* drained, rm::Str* vip);

// Replies with the live, undrained vips matching pattern, most recent first.
void ReplyLiveList(rm::Ctx* ctx, const GroupKeys& keys, std::string_view pattern, int64_t now);

// Ends vip's tenure if it leads now and emits "resign". Returns whether it led.
bool ResignIfLeader(Txn& txn, const Group& g, std::string_view vip, int64_t now);

// The group's leader state; a default state when G:meta is absent. When
// G:meta holds another type the state is default and *type_error (if given)
// is set to the WRONGTYPE error.
// with_epoch false skips reading the epoch (left 0): keep_alive's renewal
// does not need it.
LeaderState LoadLeader(rm::Ctx* ctx, rm::Str* meta_key, Status* type_error = nullptr,
                       bool with_epoch = true);
LeaderState LoadLeader(rm::Ctx* ctx, const Group& g);
// Stores a renewed lease (keep_alive); the epoch is unchanged. `cur` is the
// state it replaces.
void RenewLease(Txn& txn, rm::Str* meta_key, const LeaderState& cur, const LeaderState& renewed);
// Writes the leader fields of `s` to G:meta.
void StoreLeader(Txn& txn, const Group& g, const LeaderState& s);

}  // namespace suma::mod
