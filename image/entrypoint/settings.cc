#include "settings.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "core/net.h"

namespace entry {
namespace {

std::string Get(const Env& env, const std::string& k, const std::string& def = "") {
  auto it = env.find(k);
  return it == env.end() || it->second.empty() ? def : it->second;
}

bool ParsePort(const std::string& s, int* out) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  int p = std::stoi(s);
  if (p < 1 || p > 65535) return false;
  *out = p;
  return true;
}

// Safe to put in redis.conf unquoted: no spaces, quotes or control characters.
bool PlainToken(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c >= 0x7f) return false;
  return true;
}

// redis.conf quoting: a double-quoted string with \" \\ and \xHH escapes.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < ' ' || c >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Digits with an optional unit, as redis.conf writes memory sizes (1gb, 512mb, 1048576).
bool MemorySize(const std::string& s) {
  size_t digits = s.find_first_not_of("0123456789");
  if (digits == 0 || s.empty()) return false;
  if (digits == std::string::npos) return true;
  std::string unit = s.substr(digits);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* u : {"b", "k", "kb", "m", "mb", "g", "gb"})
    if (unit == u) return true;
  return false;
}

// An IPv4/IPv6 address, or a host name (letters, digits, '-', '.'), but
// never something that only looks like an IPv4 address (10.0.0.300).
bool HostOrAddress(const std::string& s) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1) return true;
  if (s.empty() || s.size() > 253 || s.find_first_not_of("0123456789.") == std::string::npos) return false;
  return s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
         std::string::npos;
}

bool ParseCount(const std::string& s, uint64_t lo, uint64_t hi, uint64_t* out) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  uint64_t v = std::stoull(s);
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool IsDir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

bool LoadSettings(const Env& env, const std::vector<std::string>& args, Settings* s, std::string* err) {
  s->bind = Get(env, "SUMA_BIND", "0.0.0.0");
  if (!PlainToken(s->bind)) return *err = "invalid SUMA_BIND", false;
  if (!ParsePort(Get(env, "SUMA_RESP_PORT", "8090"), &s->resp_port))
    return *err = "invalid SUMA_RESP_PORT", false;
  if (!ParsePort(Get(env, "SUMA_CONSOLE_PORT", "10082"), &s->console_port))
    return *err = "invalid SUMA_CONSOLE_PORT", false;

  s->password = Get(env, "SUMA_PASSWORD");
  std::string file = Get(env, "SUMA_PASSWORD_FILE");
  if (s->password.empty() && !file.empty()) {
    std::ifstream f(file, std::ios::binary);
    if (!f) return *err = "cannot read SUMA_PASSWORD_FILE " + file, false;
    std::stringstream ss;
    ss << f.rdbuf();
    s->password = ss.str();
    while (!s->password.empty() && (s->password.back() == '\n' || s->password.back() == '\r'))
      s->password.pop_back();
  }
  if (s->password.empty() && !suma::IsLoopbackHost(s->bind))
    return *err = "a password is required when listening on " + s->bind +
                  ": set SUMA_PASSWORD or mount a file and set SUMA_PASSWORD_FILE "
                  "(or SUMA_BIND=127.0.0.1)",
           false;

  s->console_user = Get(env, "SUMA_CONSOLE_USER", "admin");
  s->console_password = Get(env, "SUMA_CONSOLE_PASSWORD");
  s->metrics_token = Get(env, "SUMA_METRICS_TOKEN");
  s->owner = Get(env, "APOLLO_OWNER_ID");
  s->business = Get(env, "APOLLO_BUINESS_ID", Get(env, "APOLLO_BUSINESS_ID"));
  if (Get(env, "SUMA_NO_TENANT") != "1") {
    if (s->owner.empty() || s->business.empty())
      return *err = "APOLLO_OWNER_ID and APOLLO_BUINESS_ID name the tenant this server is locked to "
                    "(set SUMA_NO_TENANT=1 to run unlocked)",
             false;
    if (!PlainToken(s->owner) || !PlainToken(s->business))
      return *err = "APOLLO_OWNER_ID / APOLLO_BUINESS_ID must not contain spaces or quotes", false;
  } else {
    s->owner.clear();
    s->business.clear();
  }

  s->local_ip = Get(env, "LOCAL_IP");
  if (!s->local_ip.empty() && !HostOrAddress(s->local_ip))
    return *err = "invalid LOCAL_IP \"" + s->local_ip + "\": an IPv4/IPv6 address or a host name", false;
  s->apollo_port = Get(env, "APOLLO_PORT");
  int ignored = 0;
  if (!s->apollo_port.empty() && !ParsePort(s->apollo_port, &ignored))
    return *err = "invalid APOLLO_PORT \"" + s->apollo_port + "\": a port number 1-65535", false;
  s->container_type = Get(env, "CONTAINER_TYPE", "master");
  if (s->container_type == "replica" || s->container_type == "slave") {
    s->primary = Get(env, "SUMA_PRIMARY");
    auto colon = s->primary.rfind(':');
    int p = 0;
    if (colon == std::string::npos || !PlainToken(s->primary) ||
        !ParsePort(s->primary.substr(colon + 1), &p))
      return *err = "CONTAINER_TYPE=" + s->container_type + " needs SUMA_PRIMARY=host:port", false;
  }

  std::string data = Get(env, "SUMA_DATA_DIR", "/data");
  if (!PlainToken(data)) return *err = "invalid SUMA_DATA_DIR", false;
  if (IsDir(data)) s->data_dir = data;
  s->maxmemory = Get(env, "SUMA_MAXMEMORY");
  if (!s->maxmemory.empty() && !MemorySize(s->maxmemory))
    return *err = "invalid SUMA_MAXMEMORY \"" + s->maxmemory + "\": bytes, or a size like 512mb or 2gb", false;
  std::string logs = Get(env, "SUMA_LOG_DIR", "/home/admin/logs");
  if (IsDir(logs)) s->log_dir = logs;
  uint64_t n = 0;
  if (!ParseCount(Get(env, "SUMA_LOG_MAX_BYTES", "10485760"), 1024, uint64_t{1} << 40, &n))
    return *err = "invalid SUMA_LOG_MAX_BYTES: a size in bytes, at least 1024", false;
  s->log_max_bytes = n;
  if (!ParseCount(Get(env, "SUMA_LOG_FILES", "5"), 1, 100, &n))
    return *err = "invalid SUMA_LOG_FILES: 1 to 100 old files to keep", false;
  s->log_files = static_cast<int>(n);
  if (!ParseCount(Get(env, "SUMA_UID", "10001"), 1, 4294967294u, &n))
    return *err = "invalid SUMA_UID: a uid from 1 to 4294967294 (never root)", false;
  s->uid = static_cast<uint32_t>(n);
  s->console_threads = Get(env, "SUMA_CONSOLE_THREADS");
  if (!s->console_threads.empty() && !ParseCount(s->console_threads, 2, 256, &n))
    return *err = "invalid SUMA_CONSOLE_THREADS: 2 to 256 HTTP workers", false;
  s->redis_extra = args;
  return true;
}

std::string RedisConfig(const Settings& s) {
  std::ostringstream c;
  // The console always reaches Redis on 127.0.0.1, so a specific address gets loopback too.
  c << "bind " << s.bind << (s.bind == "0.0.0.0" || suma::IsLoopbackHost(s.bind) ? "" : " 127.0.0.1")
    << "\nport " << s.resp_port << "\n";
  // The password (or loopback) is the protection; protected-mode would refuse
  // every outside client of a passwordless server anyway.
  c << "protected-mode " << (s.password.empty() ? "yes" : "no") << "\n";
  if (!s.password.empty()) c << "requirepass " << Quote(s.password) << "\n";
  c << "daemonize no\nlogfile \"\"\n";
  c << "loadmodule /sumavlib.so";
  if (!s.owner.empty()) c << " tenant " << s.owner << " " << s.business;
  c << "\n";
  if (!s.data_dir.empty()) {
    c << "dir " << Quote(s.data_dir) << "\nappendonly yes\nappendfsync everysec\n"
      << "save 3600 1 300 100 60 10000\n";
  } else {
    c << "dir /\nappendonly no\nsave \"\"\n";
  }
  if (!s.maxmemory.empty()) c << "maxmemory " << s.maxmemory << "\n";
  c << "maxmemory-policy noeviction\n";
  if (!s.local_ip.empty()) c << "replica-announce-ip " << s.local_ip << "\n";
  if (!s.apollo_port.empty()) c << "replica-announce-port " << s.apollo_port << "\n";
  if (!s.primary.empty()) {
    auto colon = s.primary.rfind(':');
    c << "replicaof " << s.primary.substr(0, colon) << " " << s.primary.substr(colon + 1) << "\n";
    if (!s.password.empty()) c << "masterauth " << Quote(s.password) << "\n";
  }
  return c.str();
}

std::vector<std::string> ConsoleEnv(const Settings& s) {
  std::vector<std::string> e = {
      "SUMA_CONSOLE_LISTEN=" + s.bind + ":" + std::to_string(s.console_port),
      "SUMA_REDIS=127.0.0.1:" + std::to_string(s.resp_port),
      "SUMA_CONSOLE_USER=" + s.console_user,
  };
  if (!s.password.empty()) e.push_back("SUMA_REDIS_PASSWORD=" + s.password);
  std::string login = s.console_password.empty() ? s.password : s.console_password;
  if (!login.empty()) e.push_back("SUMA_CONSOLE_PASSWORD=" + login);
  if (!s.metrics_token.empty()) e.push_back("SUMA_METRICS_TOKEN=" + s.metrics_token);
  if (!s.console_threads.empty()) e.push_back("SUMA_CONSOLE_THREADS=" + s.console_threads);
  return e;
}

}  // namespace entry
