// The eviction sweep's lifecycle (see eviction.cc for the algorithm).
#pragma once

#include <cstddef>

#include "abi/rm_abi.h"

namespace suma::mod {

// Subscribes to the keyspace events the sweep follows and arms its 10 ms
// timer. Call once from OnLoad; false when the server refused the subscription.
bool StartSweeper(rm::Ctx* ctx);
// Starts a grace period of host-ttl-ms without evictions and rediscovers the
// groups present in the keyspace. Call at load, after loading, on promotion.
void StartGrace();
// Drops the tracked groups and finds them again by a budgeted SCAN (db 0 was
// flushed or swapped with another db).
void Rediscover();
size_t TrackedGroupCount();

}  // namespace suma::mod
