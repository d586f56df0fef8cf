#include "agent/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/group_name.h"
#include "core/limits.h"

extern char** environ;

namespace suma::agent {
namespace {

struct Option {
  const char* name;  // flag and config file key
  const char* env;
  const char* def;   // nullptr: no default
  const char* help;
};

// The single source of the option list: parsing and --help both read it.
const std::vector<Option>& Options() {
  static const std::vector<Option> kOptions = {
      {"config", "SUMA_AGENT_CONFIG", nullptr, "config file of 'key = value' lines (keys: the option names below)"},
      {"redis", "SUMA_REDIS", nullptr, "server host:port (direct connection; or use sentinels)"},
      {"sentinels", "SUMA_SENTINELS", nullptr, "Sentinel host:port list, comma separated"},
      {"cluster", "SUMA_CLUSTER", nullptr, "Redis Cluster seed host:port list, comma separated (group in {braces})"},
      {"sentinel-master", "SUMA_SENTINEL_MASTER", nullptr, "primary name known to the sentinels"},
      {"sentinel-password", "SUMA_SENTINEL_PASSWORD", nullptr, "AUTH password of the sentinels"},
      {"username", "SUMA_USERNAME", nullptr, "ACL user (AUTH username password)"},
      {"password", "SUMA_PASSWORD", nullptr, "server password"},
      {"group", "SUMA_GROUP", nullptr, "group; default APOLLO_OWNER_ID + '_' + APOLLO_BUINESS_ID"},
      {"vip", "SUMA_VIP", nullptr, "this host's vip; default LOCAL_IP + ':' + APOLLO_PORT"},
      {"host-ttl-ms", "SUMA_HOST_TTL_MS", "10000", "the server's host-ttl-ms; heartbeats every third of it"},
      {"lease-ms", "SUMA_LEASE_MS", "10000", "leader lease asked for; must exceed host-ttl-ms/3"},
      {"health-listen", "SUMA_HEALTH_LISTEN", "0.0.0.0:9901", "HTTP health endpoint address, or 'off'"},
      {"config-dir", "SUMA_CONFIG_DIR", "/var/lib/suma-agent", "directory for the group's config files and .suma-state"},
      {"on-leader", "SUMA_ON_LEADER", nullptr, "executable run on becoming leader"},
      {"on-lost-leader", "SUMA_ON_LOST_LEADER", nullptr, "executable run on losing leadership"},
      {"on-config", "SUMA_ON_CONFIG", nullptr, "executable run after a config file changed"},
      {"on-message", "SUMA_ON_MESSAGE", nullptr, "executable run per broadcast message (JSON on stdin)"},
      {"on-task", "SUMA_ON_TASK", nullptr, "executable run per claimed task (payload on stdin); tasks are claimed only when set"},
      {"task-lease-ms", "SUMA_TASK_LEASE_MS", "30000", "claim lease of a task, extended while its hook runs"},
      {"task-poll-ms", "SUMA_TASK_POLL_MS", "1000", "how often to look for tasks when the queue was empty"},
      {"hook-timeout-ms", "SUMA_HOOK_TIMEOUT_MS", "60000", "a hook running longer is killed (counts as failure)"},
      {"reconnect-min-ms", "SUMA_RECONNECT_MIN_MS", "100", "first reconnect delay"},
      {"reconnect-max-ms", "SUMA_RECONNECT_MAX_MS", "5000", "cap of the exponential reconnect backoff"},
      {"command-timeout-ms", "SUMA_COMMAND_TIMEOUT_MS", "3000", "a reply later than this drops the connection"},
      {"log-level", "SUMA_LOG_LEVEL", "info", "debug, info, warn or error"},
  };
  return kOptions;
}

const Option* Find(const std::string& name) {
  for (const Option& o : Options())
    if (name == o.name) return &o;
  return nullptr;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool ReadFile(const std::string& path, std::map<std::string, std::string>* out,
              std::string* err) {
  std::ifstream in(path);
  if (!in) {
    *err = "config file '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    auto eq = t.find('=');
    std::string key = eq == std::string::npos ? t : Trim(t.substr(0, eq));
    if (eq == std::string::npos || !Find(key) || key == "config") {
      *err = "config file '" + path + "' line " + std::to_string(n) +
             (eq == std::string::npos ? ": expected 'key = value'" : ": unknown key '" + key + "'");
      return false;
    }
    (*out)[key] = Trim(t.substr(eq + 1));
  }
  return true;
}

bool ParseMs(const std::map<std::string, std::string>& v, const char* name, int64_t lo,
             int64_t hi, int64_t* out, std::string* err) {
  const std::string& s = v.at(name);
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || errno || n < lo || n > hi) {
    *err = std::string(name) + " '" + s + "' must be an integer between " + std::to_string(lo) +
           " and " + std::to_string(hi);
    return false;
  }
  *out = n;
  return true;
}

bool CheckHook(const std::string& name, const std::string& path, std::string* err) {
  if (path.empty()) return true;
  struct stat st{};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) {
    *err = name + " '" + path + "' is not an executable file";
    return false;
  }
  return true;
}

bool MakeDirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i < dir.size() && dir[i] != '/') continue;
    std::string part = dir.substr(0, i);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return access(dir.c_str(), W_OK | X_OK) == 0;
}

bool Validate(std::map<std::string, std::string>& v, const std::map<std::string, std::string>& env,
              Config* c, std::string* err) {
  auto get = [&](const char* k) { return v.count(k) ? v[k] : std::string(); };
  auto envv = [&](const char* k) { return env.count(k) ? env.at(k) : std::string(); };

  c->group = get("group");
  if (c->group.empty()) {
    std::string owner = envv("APOLLO_OWNER_ID");
    std::string business = envv("APOLLO_BUINESS_ID");
    if (business.empty()) business = envv("APOLLO_BUSINESS_ID");
    if (owner.empty() || business.empty()) {
      *err = "group is not set: give --group, SUMA_GROUP, or APOLLO_OWNER_ID and APOLLO_BUINESS_ID";
      return false;
    }
    c->group = owner + "_" + business;
    // On a cluster a group is written in hash-tag form (docs/commands.md).
    if (!get("cluster").empty()) c->group = "{" + c->group + "}";
  }
  if (!IsGroupName(c->group)) {
    *err = "group '" + c->group + "' is invalid: letters, digits and . _ - only, at most 128, "
           "optionally wrapped whole in {}";
    return false;
  }
  c->vip = get("vip");
  if (c->vip.empty()) {
    std::string ip = envv("LOCAL_IP");
    std::string port = envv("APOLLO_PORT");
    if (ip.empty() || port.empty()) {
      *err = "vip is not set: give --vip, SUMA_VIP, or LOCAL_IP and APOLLO_PORT";
      return false;
    }
    c->vip = (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + port;
  }
  if (!IsVip(c->vip)) {
    *err = "vip '" + c->vip + "' is invalid: printable ASCII without spaces, at most 256 bytes";
    return false;
  }

  ClientOptions& o = c->client;
  std::string redis = get("redis"), sentinels = get("sentinels"), cluster = get("cluster");
  if (int(!redis.empty()) + int(!sentinels.empty()) + int(!cluster.empty()) > 1) {
    *err = "set one of redis, sentinels or cluster, not several";
    return false;
  }
  if (redis.empty() && sentinels.empty() && cluster.empty()) {
    *err = "no server: give --redis host:port (SUMA_REDIS), --sentinels (SUMA_SENTINELS) "
           "or --cluster (SUMA_CLUSTER)";
    return false;
  }
  if (!cluster.empty() && (c->group.size() < 3 || c->group.front() != '{' || c->group.back() != '}')) {
    *err = "group '" + c->group + "' must be in hash-tag form on Redis Cluster, e.g. {" +
           c->group + "}";
    return false;
  }
  for (size_t start = 0; !cluster.empty() && start <= cluster.size();) {
    size_t comma = cluster.find(',', start);
    std::string item = Trim(cluster.substr(start, comma - start));
    auto ep = ParseEndpoint(item);
    if (!ep) {
      *err = "cluster entry '" + item + "' is not host:port";
      return false;
    }
    o.cluster.push_back(*ep);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!cluster.empty()) o.cluster_key = c->group + "_master";
  if (!redis.empty()) {
    o.server = ParseEndpoint(redis);
    if (!o.server) {
      *err = "redis '" + redis + "' is not host:port";
      return false;
    }
  }
  size_t start = 0;
  while (!sentinels.empty() && start <= sentinels.size()) {
    size_t comma = sentinels.find(',', start);
    std::string item = Trim(sentinels.substr(start, comma - start));
    auto ep = ParseEndpoint(item);
    if (!ep) {
      *err = "sentinels entry '" + item + "' is not host:port";
      return false;
    }
    o.sentinels.push_back(*ep);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  o.sentinel_master = get("sentinel-master");
  if (!o.sentinels.empty() && o.sentinel_master.empty()) {
    *err = "sentinels are set but sentinel-master (SUMA_SENTINEL_MASTER) is not";
    return false;
  }
  o.sentinel_password = get("sentinel-password");
  o.username = get("username");
  o.password = get("password");
  if (!o.username.empty() && o.password.empty()) {
    *err = "username is set but password is not";
    return false;
  }
  o.channel = c->group + "_channel";

  int64_t n = 0;
  if (!ParseMs(v, "host-ttl-ms", kMinLeaseMs, kMaxLeaseMs, &c->host_ttl_ms, err) ||
      !ParseMs(v, "lease-ms", kMinLeaseMs, kMaxLeaseMs, &c->lease_ms, err) ||
      !ParseMs(v, "task-lease-ms", kMinLeaseMs, kMaxLeaseMs, &c->task_lease_ms, err) ||
      !ParseMs(v, "task-poll-ms", 10, 3600000, &c->task_poll_ms, err) ||
      !ParseMs(v, "hook-timeout-ms", 100, 86400000, &c->hook_timeout_ms, err) ||
      !ParseMs(v, "reconnect-min-ms", 1, 3600000, &n, err))
    return false;
  o.reconnect_min_ms = static_cast<int>(n);
  if (!ParseMs(v, "reconnect-max-ms", o.reconnect_min_ms, 3600000, &n, err)) return false;
  o.reconnect_max_ms = static_cast<int>(n);
  if (!ParseMs(v, "command-timeout-ms", 10, 3600000, &n, err)) return false;
  o.command_timeout_ms = static_cast<int>(n);
  // A lease no longer than the renewal interval would lapse between renewals.
  if (c->lease_ms <= c->renew_interval_ms()) {
    *err = "lease-ms " + std::to_string(c->lease_ms) +
           " must be longer than the renewal interval host-ttl-ms/3 (" +
           std::to_string(c->renew_interval_ms()) + ")";
    return false;
  }

  std::string health = get("health-listen");
  if (health != "off") {
    if (!ParseEndpoint(health)) {
      *err = "health-listen '" + health + "' is not host:port (or 'off')";
      return false;
    }
    c->health_listen = health;
  }
  c->config_dir = get("config-dir");
  if (c->config_dir.empty() || !MakeDirs(c->config_dir)) {
    *err = "config-dir '" + c->config_dir + "' cannot be created or is not writable";
    return false;
  }
  c->on_leader = get("on-leader");
  c->on_lost_leader = get("on-lost-leader");
  c->on_config = get("on-config");
  c->on_message = get("on-message");
  c->on_task = get("on-task");
  if (!CheckHook("on-leader", c->on_leader, err) ||
      !CheckHook("on-lost-leader", c->on_lost_leader, err) ||
      !CheckHook("on-config", c->on_config, err) ||
      !CheckHook("on-message", c->on_message, err) || !CheckHook("on-task", c->on_task, err))
    return false;
  if (!ParseLevel(get("log-level"), &c->log_level)) {
    *err = "log-level '" + get("log-level") + "' must be debug, info, warn or error";
    return false;
  }
  return true;
}

}  // namespace

std::map<std::string, std::string> HookEnv(const Config& cfg, const char* event) {
  return {{"SUMA_EVENT", event}, {"SUMA_GROUP", cfg.group}, {"SUMA_VIP", cfg.vip}};
}

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, eq - *e)] = eq + 1;
  }
  return env;
}

LoadResult LoadConfig(int argc, char** argv, const std::map<std::string, std::string>& env) {
  LoadResult res;
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      res.kind = LoadResult::Kind::Help;
      return res;
    }
    if (a.rfind("--", 0) != 0) {
      res.error = "unexpected argument '" + a + "' (see --help)";
      return res;
    }
    std::string name = a.substr(2), value;
    auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      res.error = "flag --" + name + " needs a value";
      return res;
    }
    if (!Find(name)) {
      res.error = "unknown flag --" + name + " (see --help)";
      return res;
    }
    flags[name] = value;
  }
  std::map<std::string, std::string> values;
  for (const Option& o : Options())
    if (o.def) values[o.name] = o.def;
  std::string file = flags.count("config") ? flags["config"]
                     : env.count("SUMA_AGENT_CONFIG") ? env.at("SUMA_AGENT_CONFIG") : "";
  if (!file.empty() && !ReadFile(file, &values, &res.error)) return res;
  for (const Option& o : Options())
    if (env.count(o.env)) values[o.name] = env.at(o.env);
  for (auto& [k, v] : flags) values[k] = v;
  if (!Validate(values, env, &res.config, &res.error)) return res;
  res.kind = LoadResult::Kind::Run;
  return res;
}

std::string HelpText() {
  std::string h =
      "usage: suma-agent [--option value | --option=value]... | --version\n"
      "\n"
      "Joins this host to its sumavlib group: heartbeats, leader election with\n"
      "hooks, HTTP health that turns 503 when drained, config files, broadcast\n"
      "messages and tasks. Precedence: flags > environment > config file > defaults.\n"
      "\n"
      "Seed variables (used when group / vip are not given):\n"
      "  LOCAL_IP, APOLLO_PORT               vip = LOCAL_IP:APOLLO_PORT\n"
      "  APOLLO_OWNER_ID, APOLLO_BUINESS_ID  group = <owner>_<business>\n"
      "                                      (APOLLO_BUSINESS_ID is accepted too)\n"
      "\n"
      "Options (flag / environment variable / default):\n";
  for (const Option& o : Options()) {
    h += "  --" + std::string(o.name) + "  (" + o.env + ")";
    if (o.def) h += "  default: " + std::string(o.def);
    h += "\n      " + std::string(o.help) + "\n";
  }
  h +=
      "\n"
      "Hooks get SUMA_GROUP, SUMA_VIP and SUMA_EVENT in their environment, plus:\n"
      "  on-leader / on-lost-leader  SUMA_EPOCH (lost: also SUMA_REASON)\n"
      "  on-config    SUMA_KEY, SUMA_VERSION, SUMA_FILE, SUMA_DELETED (0|1)\n"
      "  on-message   SUMA_SEQ; the message JSON on stdin and in SUMA_PAYLOAD\n"
      "  on-task      SUMA_TASK_ID, SUMA_TASK_ATTEMPT; the payload on stdin and in SUMA_PAYLOAD\n"
      "               exit 0 acks the task; anything else lets its lease lapse (redelivery)\n"
      "\n"
      "HTTP: GET /health -> 200 'ok' (live, undrained), 503 'drained' or 'starting';\n"
      "      GET /status -> JSON state.\n"
      "Signals: SIGTERM/SIGINT leave the group (suma_vip_leave) and exit 0.\n";
  return h;
}

}  // namespace suma::agent
