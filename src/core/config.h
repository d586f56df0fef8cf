// Module configuration: defaults, limits and the parsing of the module's load
// arguments ("name value" pairs; "tenant <owner> <business>" takes two values).
//
// The same names are exposed as CONFIG GET/SET sumavlib.<name> on Redis 7.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/names.h"
#include "core/status.h"

namespace suma {

struct Config {
  int64_t host_ttl_ms = 10000;     // a host not heard from for this long is offline
  int64_t lease_ms = 10000;        // default leader lease
  int64_t max_hosts = 100000;      // per group
  int64_t event_log_len = 1000;    // per group
  int64_t max_payload = 65536;     // bytes of a message, config value, meta or task
  int64_t max_tasks = 100000;      // queued + claimed tasks per group
  int64_t task_lease_ms = 30000;   // default claim lease
  int64_t history_len = 10;        // config versions kept per key
  int64_t sweep_budget_us = 1000;  // eviction work per tick (every 10 ms)
  std::string tenant;              // "<owner>_<business>", empty: any group

  // Ok when group may be used on this server (tenant lock).
  Status CheckTenant(const Group& g) const;
};

struct NumericSpec {
  const char* name;
  int64_t Config::*field;
  int64_t def;
  int64_t min;
  int64_t max;
};

// The numeric options, in the order they are registered and documented.
const std::vector<NumericSpec>& NumericSpecs();

// Applies "name value" load arguments on top of cfg. On error cfg is unchanged
// and the status names the argument.
Status ApplyModuleArgs(const std::vector<std::string>& args, Config* cfg);

// Sets the tenant from "<owner> <business>" (or "" to unlock); validates both.
Status SetTenant(std::string_view owner_space_business, Config* cfg);

}  // namespace suma
