// suma-console settings: command-line flags, each with an environment
// variable fallback (flags win). Secrets are best given by env or file, since
// flags are visible in `ps`.
//
//   --listen HOST:PORT          SUMA_CONSOLE_LISTEN         default 127.0.0.1:10082
//   --redis HOST:PORT           SUMA_REDIS                  default 127.0.0.1:6379
//   --cluster H:P,H:P,...       SUMA_CLUSTER                Redis Cluster seeds (instead of --redis)
//   --redis-user NAME           SUMA_REDIS_USER             ACL user (default: none)
//   --redis-password PW         SUMA_REDIS_PASSWORD
//   --redis-password-file PATH  SUMA_REDIS_PASSWORD_FILE
//   --user NAME                 SUMA_CONSOLE_USER           default admin
//   --password PW               SUMA_CONSOLE_PASSWORD
//   --password-file PATH        SUMA_CONSOLE_PASSWORD_FILE
//   --metrics-token TOKEN       SUMA_METRICS_TOKEN          if set, /metrics wants "Authorization: Bearer TOKEN"
//   --session-ttl SECONDS       SUMA_SESSION_TTL            default 43200 (12 h)
//   --cookie-secure             SUMA_COOKIE_SECURE=1        mark the cookie Secure (behind a TLS proxy)
//   --fleet URL                 SUMA_FLEET_URL              suma-fleet's API (http://host:port): enables the Tenants page
//   --fleet-token TOKEN         SUMA_FLEET_TOKEN            bearer token the console sends to the fleet
//   --fleet-token-file PATH     SUMA_FLEET_TOKEN_FILE
//   --threads N                 SUMA_CONSOLE_THREADS        HTTP workers, 2..256, default 16; each open
//                                                           page's live feed holds one
//
// A console without a login password only starts when it listens on loopback.
#pragma once

#include <string>
#include <vector>

#include "redis.h"

namespace console {

struct Options {
  std::string listen_host = "127.0.0.1";
  int listen_port = 10082;
  RedisTarget redis;
  std::vector<RedisTarget> cluster;  // --cluster seeds (user, password from --redis-*)
  std::string user = "admin";
  std::string password;
  std::string metrics_token;
  long long session_ttl_s = 43200;
  bool cookie_secure = false;
  std::string fleet_url;    // "" = no Tenants page
  std::string fleet_token;
  int threads = 16;
};

// Parses argv and the environment. On error returns false and sets *err.
// "--help" sets *err to the usage text and returns false.
[[nodiscard]] bool ParseOptions(int argc, char** argv, Options* o, std::string* err);

}  // namespace console
