// Container settings: the seed's environment variables turned into the
// redis-server configuration and the console's environment.
//
// Variables (the seed's first):
//   LOCAL_IP            address clients reach this container at (announced to replicas/Sentinel)
//   CONTAINER_TYPE      master (default) | replica | slave; a replica needs SUMA_PRIMARY=host:port
//   APOLLO_OWNER_ID, APOLLO_BUINESS_ID [sic; APOLLO_BUSINESS_ID accepted too]
//                       the tenant: the module refuses every other tenant's group
//   APOLLO_PORT         host port mapped to 8090 (announced with LOCAL_IP)
//   SUMA_PASSWORD / SUMA_PASSWORD_FILE   Redis password (also the console login);
//                       required unless SUMA_BIND is loopback
//   SUMA_BIND           listen address inside the container, default 0.0.0.0
//   SUMA_RESP_PORT, SUMA_CONSOLE_PORT    default 8090 and 10082
//   SUMA_CONSOLE_USER   console login name, default admin
//   SUMA_CONSOLE_PASSWORD  a separate console login password (default: the Redis password)
//   SUMA_METRICS_TOKEN  if set, /metrics wants "Authorization: Bearer <token>"
//   SUMA_NO_TENANT=1    run without a tenant lock (otherwise the tenant is required)
//   SUMA_DATA_DIR       default /data (the image's VOLUME): when it exists, persist there (AOF + RDB)
//   SUMA_MAXMEMORY      Redis maxmemory (e.g. 512mb); default 3/4 of the container's memory
//                       limit (--memory), none without a limit; policy always noeviction
//   SUMA_LOG_DIR        default /home/admin/logs: when it is a directory (mounted), redis.log
//                       and console.log are also written there
//   SUMA_LOG_MAX_BYTES, SUMA_LOG_FILES  rotate a log file at this size (default 10485760),
//                       keeping this many old ones (default 5)
//   SUMA_UID            the uid (and gid) root drops to, default 10001: give each
//                       tenant its own, so their threads never share one RLIMIT_NPROC
//   SUMA_CONSOLE_THREADS  the console's HTTP workers (default 16)
// Extra entrypoint arguments are passed to redis-server as options (--maxmemory 1gb).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace entry {

struct Settings {
  std::string bind = "0.0.0.0";
  int resp_port = 8090;
  int console_port = 10082;
  std::string password;
  std::string console_user = "admin";
  std::string console_password;  // empty: the Redis password
  std::string metrics_token;
  std::string owner, business;
  std::string local_ip, apollo_port, container_type = "master", primary;
  std::string data_dir;  // empty: no persistence
  std::string maxmemory;  // empty: no maxmemory line (main fills it from the cgroup limit)
  std::string log_dir;    // empty: logs on stdout only
  uint64_t log_max_bytes = 10 << 20;
  int log_files = 5;
  uint32_t uid = 10001;  // also the gid
  std::string console_threads;  // empty: the console's default
  std::vector<std::string> redis_extra;
};

using Env = std::map<std::string, std::string>;

// Reads the settings; returns false with *err on a missing or invalid one.
bool LoadSettings(const Env& env, const std::vector<std::string>& args, Settings* s, std::string* err);

// redis.conf text for `redis-server -` (read from stdin, so the password is
// neither in argv nor in a file).
std::string RedisConfig(const Settings& s);

// Environment of suma-console.
std::vector<std::string> ConsoleEnv(const Settings& s);

}  // namespace entry
