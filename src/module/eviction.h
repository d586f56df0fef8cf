// The eviction sweep's lifecycle (see eviction.cc for the algorithm).
#pragma once

#include <cstddef>

#include "abi/rm_abi.h"

namespace suma::mod {

// Arms the 10 ms sweep timer. Call once from OnLoad.
void StartSweeper(rm::Ctx* ctx);
// Starts a grace period of host-ttl-ms without evictions and rediscovers the
// groups present in the keyspace. Call at load, after loading, on promotion.
void StartGrace();
// Drops the in-memory group list (FLUSHALL/FLUSHDB).
void ForgetGroups();
size_t TrackedGroupCount();

}  // namespace suma::mod
