#include "options.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "core/net.h"
#include "core/numbers.h"

namespace console {
namespace {

const char kUsage[] =
    "usage: suma-console --version | [--listen HOST:PORT] [--redis HOST:PORT | --cluster H:P,H:P,...]\n"
    "  [--redis-user U]\n"
    "  [--redis-password PW | --redis-password-file F] [--user U]\n"
    "  [--password PW | --password-file F] [--metrics-token T] [--session-ttl S] [--cookie-secure]\n"
    "  [--fleet URL] [--fleet-token T | --fleet-token-file F] [--threads N]\n"
    "Every flag also reads an environment variable (see console/src/options.h).\n";

struct Flag {
  const char* env;
  bool boolean;
};

const std::map<std::string, Flag>& Flags() {
  static const std::map<std::string, Flag> f = {
      {"--listen", {"SUMA_CONSOLE_LISTEN", false}},
      {"--redis", {"SUMA_REDIS", false}},
      {"--cluster", {"SUMA_CLUSTER", false}},
      {"--redis-user", {"SUMA_REDIS_USER", false}},
      {"--redis-password", {"SUMA_REDIS_PASSWORD", false}},
      {"--redis-password-file", {"SUMA_REDIS_PASSWORD_FILE", false}},
      {"--user", {"SUMA_CONSOLE_USER", false}},
      {"--password", {"SUMA_CONSOLE_PASSWORD", false}},
      {"--password-file", {"SUMA_CONSOLE_PASSWORD_FILE", false}},
      {"--metrics-token", {"SUMA_METRICS_TOKEN", false}},
      {"--session-ttl", {"SUMA_SESSION_TTL", false}},
      {"--cookie-secure", {"SUMA_COOKIE_SECURE", true}},
      {"--fleet", {"SUMA_FLEET_URL", false}},
      {"--fleet-token", {"SUMA_FLEET_TOKEN", false}},
      {"--fleet-token-file", {"SUMA_FLEET_TOKEN_FILE", false}},
      {"--threads", {"SUMA_CONSOLE_THREADS", false}},
  };
  return f;
}

bool SplitHostPort(const std::string& s, std::string* host, int* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  char* end = nullptr;
  long p = std::strtol(s.c_str() + colon + 1, &end, 10);
  if (!end || *end || p < 0 || p > 65535 || h.empty()) return false;
  *host = h;
  *port = static_cast<int>(p);
  return true;
}

// A secret file holds the secret; one trailing newline is not part of it.
bool ReadSecret(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  while (!out->empty() && (out->back() == '\n' || out->back() == '\r')) out->pop_back();
  return true;
}

}  // namespace

bool ParseOptions(int argc, char** argv, Options* o, std::string* err) {
  std::map<std::string, std::string> v;
  for (const auto& [name, flag] : Flags())
    if (const char* e = std::getenv(flag.env); e && *e) v[name] = e;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      *err = kUsage;
      return false;
    }
    std::string val;
    if (auto eq = a.find('='); eq != std::string::npos) {
      val = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    auto it = Flags().find(a);
    if (it == Flags().end()) {
      *err = "unknown flag " + a + "\n" + kUsage;
      return false;
    }
    if (it->second.boolean) {
      val = "1";
    } else if (val.empty()) {
      if (i + 1 >= argc) {
        *err = "flag " + a + " needs a value";
        return false;
      }
      val = argv[++i];
    }
    v[a] = val;
  }
  if (v.count("--listen") && !SplitHostPort(v["--listen"], &o->listen_host, &o->listen_port)) {
    *err = "invalid --listen, expected HOST:PORT";
    return false;
  }
  if (v.count("--redis") && !SplitHostPort(v["--redis"], &o->redis.host, &o->redis.port)) {
    *err = "invalid --redis, expected HOST:PORT";
    return false;
  }
  if (v.count("--redis-user")) o->redis.user = v["--redis-user"];
  if (v.count("--redis-password")) o->redis.password = v["--redis-password"];
  if (v.count("--redis-password-file") &&
      !ReadSecret(v["--redis-password-file"], &o->redis.password)) {
    *err = "cannot read --redis-password-file";
    return false;
  }
  if (v.count("--cluster")) {
    const std::string& list = v["--cluster"];
    for (size_t start = 0; start <= list.size();) {
      size_t comma = list.find(',', start);
      RedisTarget t = o->redis;
      std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
      while (!item.empty() && item.front() == ' ') item.erase(0, 1);
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!SplitHostPort(item, &t.host, &t.port)) {
        *err = "invalid --cluster entry '" + item + "', expected HOST:PORT,HOST:PORT,...";
        return false;
      }
      o->cluster.push_back(t);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (v.count("--user")) o->user = v["--user"];
  if (v.count("--password")) o->password = v["--password"];
  if (v.count("--password-file") && !ReadSecret(v["--password-file"], &o->password)) {
    *err = "cannot read --password-file";
    return false;
  }
  if (v.count("--metrics-token")) o->metrics_token = v["--metrics-token"];
  if (v.count("--session-ttl")) o->session_ttl_s = std::atoll(v["--session-ttl"].c_str());
  if (o->session_ttl_s <= 0) o->session_ttl_s = 43200;
  o->cookie_secure = v.count("--cookie-secure") && v["--cookie-secure"] != "0";
  if (o->password.empty() && !suma::IsLoopbackHost(o->listen_host)) {
    *err = "refusing to listen on " + o->listen_host +
           " without a console password (--password, --password-file or SUMA_CONSOLE_PASSWORD)";
    return false;
  }
  if (v.count("--fleet")) {
    o->fleet_url = v["--fleet"];
    while (!o->fleet_url.empty() && o->fleet_url.back() == '/') o->fleet_url.pop_back();
    if (o->fleet_url.rfind("http://", 0) != 0 && o->fleet_url.rfind("https://", 0) != 0) {
      *err = "invalid --fleet, expected http://HOST:PORT";
      return false;
    }
  }
  if (v.count("--threads")) {
    auto n = suma::ParseInt("--threads", v["--threads"], 2, 256);
    if (!n.ok()) {
      *err = "invalid --threads '" + v["--threads"] + "': a number of HTTP workers, 2 to 256";
      return false;
    }
    o->threads = static_cast<int>(*n);
  }
  if (v.count("--fleet-token")) o->fleet_token = v["--fleet-token"];
  if (v.count("--fleet-token-file") && !ReadSecret(v["--fleet-token-file"], &o->fleet_token)) {
    *err = "cannot read --fleet-token-file";
    return false;
  }
  return true;
}

}  // namespace console
