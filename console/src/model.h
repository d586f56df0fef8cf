// What the console reads from and does to a sumavlib server.
//
// Every function takes an open connection and throws RedisError on I/O
// failure; a Redis error reply to an action comes back as ActionResult.error.
// Reads go through the module's commands wherever one exists; two internal
// keys are read directly, as docs/commands.md and group_state.h define them:
// "<group>:hosts" (zset vip -> last seen ms, for last-seen times in one round
// trip) and the "seq" field of "<group>:meta" (the group's event count).
#pragma once

#include <string>
#include <vector>

#include "redis.h"

namespace console {

inline constexpr const char* kCmdPrefix = "sumavlib.";

// Groups found by SCAN for "*:meta" hashes and "*:hosts" zsets whose keys the
// connection's ACL user may read, sorted. Cost: one full SCAN of the keyspace.
std::vector<std::string> DiscoverGroups(RedisConn& c);

// The group's state as the page shows it, as a JSON object (see routes.cc).
std::string GroupSnapshotJson(RedisConn& c, const std::string& group);

// Newest-first history of one config key as JSON [{version, ts_ms, value|null}].
std::string ConfigHistoryJson(RedisConn& c, const std::string& group, const std::string& key);

struct [[nodiscard]] ActionResult {
  int http_status = 200;
  std::string json;  // {"ok":true,...} or {"ok":false,"error":"..."}
};

ActionResult Drain(RedisConn& c, const std::string& group, const std::string& vip);
ActionResult Restore(RedisConn& c, const std::string& group, const std::string& vip);
// expected_version < 0: unconditional publish; otherwise compare-and-set, so an
// operator never overwrites a version they have not seen (409 on mismatch).
ActionResult Publish(RedisConn& c, const std::string& group, const std::string& key,
                     const std::string& value, long long expected_version);
// Publishes the value `version` had, as a new version, if nobody published
// since the history was read (CAS on the current version).
ActionResult Rollback(RedisConn& c, const std::string& group, const std::string& key,
                      long long version);

// Events of the group with seq > after (oldest first), as the module's JSON strings.
std::vector<std::string> EventsAfter(RedisConn& c, const std::string& group, long long after,
                                     int count);
// Last seq the group has assigned (0 when none).
long long LastSeq(RedisConn& c, const std::string& group);

}  // namespace console
