// suma-console on Redis Cluster (--cluster seeds): which node to ask.
//
// Contract: without seeds every function answers the single --redis target.
// With seeds, each call asks the seeds in turn for CLUSTER SLOTS (one round
// trip on loopback, so no map is cached and a reshard or failover is seen at
// the next request). Primaries() lists every primary once, in slot order;
// ForGroup() is the primary owning the group's slot. Both throw RedisError
// when no seed answers or the group's slot has no owner.
#pragma once

#include <string>
#include <vector>

#include "options.h"

namespace console {

std::vector<RedisTarget> Primaries(const Options& o);
RedisTarget ForGroup(const Options& o, const std::string& group);
// "host:port" of a target, the `node` label of per-node metrics.
std::string NodeName(const RedisTarget& t);

}  // namespace console
