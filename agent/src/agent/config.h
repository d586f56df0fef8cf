// suma-agent configuration: defaults < config file < environment < flags.
//
// Every option has a flag (--name value or --name=value), a config file key
// (name = value, '#' comments) and an environment variable. The seed's
// variables give the defaults of vip (LOCAL_IP:APOLLO_PORT) and group
// (APOLLO_OWNER_ID_APOLLO_BUINESS_ID). LoadConfig validates everything and
// names the first problem it finds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/log.h"
#include "suma/client.h"

namespace suma::agent {

// The client library's outcome type was renamed from Result to Outcome (it
// collided with src/core's suma::Result); the agent keeps its old spelling
// until its refactor settles.
template <typename T>
using Result = ::suma::Outcome<T>;

struct Config {
  ClientOptions client;
  std::string group;
  std::string vip;
  int64_t host_ttl_ms = 0;
  int64_t lease_ms = 0;
  std::string health_listen;  // "" when disabled
  std::string config_dir;
  std::string on_leader, on_lost_leader, on_config, on_message, on_task;
  int64_t task_lease_ms = 0;
  int64_t task_poll_ms = 0;
  int64_t hook_timeout_ms = 0;
  Level log_level = Level::Info;

  int64_t renew_interval_ms() const { return host_ttl_ms / 3; }
};

// Outcome of parsing argv: run with config, print help, or refuse (error).
struct LoadResult {
  enum class Kind { Run, Help, Invalid } kind = Kind::Invalid;
  Config config;
  std::string error;
};

// The environment every hook gets: SUMA_EVENT, SUMA_GROUP and SUMA_VIP.
std::map<std::string, std::string> HookEnv(const Config& cfg, const char* event);

[[nodiscard]] LoadResult LoadConfig(int argc, char** argv, const std::map<std::string, std::string>& env);
std::map<std::string, std::string> CurrentEnvironment();
std::string HelpText();

}  // namespace suma::agent
