// Key names of a group's membership state, and the cache of groups that have
// hosts (which the eviction sweep walks).
//
// Why a cache: a heartbeat needs two or three key names; building and
// allocating them on every call was a measurable share of its cost, so the
// groups that hold hosts keep theirs for as long as they hold hosts. Commands
// that add a host insert here, and so does the sweep for G:hosts keys that
// arrive by other means (RESTORE, MIGRATE, RENAME, MOVE, COPY, start-up
// discovery), so the cache follows the G:hosts keys in the keyspace and cannot
// be grown by reads of arbitrary names.
//
// The cache may be stale: Redis, an operator or maxmemory can delete, expire,
// evict or migrate a G:hosts key at any time. The sweep re-validates each
// group on every visit and forgets it when its key is gone or not a zset; a
// stale entry is only key names. Entries are erased by the sweep alone (never
// from a notification), so a reference a command holds stays valid.
#pragma once

#include <string>
#include <unordered_map>

#include "abi/rm_abi.h"
#include "core/names.h"

namespace suma::mod {

struct GroupKeys {
  rm::Str* hosts = nullptr;
  rm::Str* meta = nullptr;
  rm::Str* drained = nullptr;
  rm::Str* events = nullptr;
  int64_t grace_until = 0;  // no eviction before (ms): the group just arrived here
};

// Key names owned by the caller's scope (for commands on any group).
class ScopedKeys {
 public:
  ScopedKeys(rm::Ctx* ctx, const Group& g);
  ~ScopedKeys();
  ScopedKeys(const ScopedKeys&) = delete;
  ScopedKeys& operator=(const ScopedKeys&) = delete;
  const GroupKeys& get() const { return keys_; }

 private:
  rm::Ctx* ctx_;
  GroupKeys keys_;
};

using GroupMap = std::unordered_map<std::string, GroupKeys>;

// The cached keys of g, inserting g into the tracked groups on first use.
const GroupKeys& TrackedKeys(const Group& g);
// Every tracked group, by name. The sweep iterates and erases through these.
GroupMap& TrackedGroups();
GroupMap::iterator ForgetGroup(GroupMap::iterator it);
void ForgetAllGroups();

}  // namespace suma::mod
