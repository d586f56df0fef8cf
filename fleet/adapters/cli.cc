// `suma-fleet tenant ...`: an HTTP client of the daemon (docs/fleet.md, CLI).
#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "adapters/serve.h"

namespace fleet {
namespace {

constexpr const char* kUsage =
    "usage: suma-fleet tenant [--fleet URL] [--json] COMMAND\n"
    "  create OWNER BUSINESS --memory MB --cpus N [--replicas 0..3] [--persistence everysec|always]\n"
    "         [--no-wait] [--timeout S]      (OWNER_BUSINESS as one word works too)\n"
    "  list\n"
    "  show NAME\n"
    "  scale NAME [--memory MB] [--cpus N] [--replicas N] [--no-wait] [--timeout S]\n"
    "  delete NAME [--purge] [--no-wait] [--timeout S]\n"
    "  credentials NAME                      (a new password, shown once)\n"
    "The fleet: --fleet URL, else SUMA_FLEET, else http://127.0.0.1:10090. SUMA_FLEET_TOKEN: bearer token.\n";

struct Cli {
  std::string url = "http://127.0.0.1:10090";
  std::string token;
  bool json = false, wait = true;
  double timeout_s = 120;
};

std::string Pretty(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return b.GetString();
}

std::string S(const rapidjson::Value& v, const char* k) {
  return v.IsObject() && v.HasMember(k) && v[k].IsString() ? v[k].GetString() : "";
}

// One request; 0 on a 2xx reply (parsed into *d), else prints the error, returns 1.
int Request(const Cli& c, const std::string& method, const std::string& path, const std::string& body,
            rapidjson::Document* d, int* status = nullptr) {
  httplib::Client cl(c.url);
  cl.set_connection_timeout(3);
  cl.set_read_timeout(120);
  httplib::Headers h;
  if (!c.token.empty()) h.emplace("Authorization", "Bearer " + c.token);
  httplib::Result r = method == "GET"    ? cl.Get(path.c_str(), h)
                      : method == "DELETE" ? cl.Delete(path.c_str(), h)
                                           : cl.Post(path.c_str(), h, body, "application/json");
  if (!r) {
    std::fprintf(stderr, "suma-fleet: cannot reach the fleet at %s (%s)\n", c.url.c_str(),
                 httplib::to_string(r.error()).c_str());
    return 1;
  }
  if (status) *status = r->status;
  d->Parse(r->body.c_str());
  if (r->status >= 200 && r->status < 300 && !d->HasParseError()) return 0;
  if (!d->HasParseError() && d->IsObject() && d->HasMember("error"))
    std::fprintf(stderr, "suma-fleet: %s (HTTP %d): %s\n", S((*d)["error"], "code").c_str(), r->status,
                 S((*d)["error"], "message").c_str());
  else
    std::fprintf(stderr, "suma-fleet: HTTP %d: %s\n", r->status, r->body.c_str());
  return 1;
}

void PrintTenant(const rapidjson::Value& t) {
  const auto& sp = t["spec"];
  std::printf("tenant     %s\nstate      %s%s%s\nspec       memory %d MB, cpus %g, replicas %d, persistence %s\n",
              S(t, "name").c_str(), S(t, "state").c_str(), S(t, "reason").empty() ? "" : ": ",
              S(t, "reason").c_str(), sp["memory_mb"].GetInt(), sp["cpus"].GetDouble(), sp["replicas"].GetInt(),
              S(sp, "persistence").c_str());
  std::printf("connection %s\n", S(t, "connection").c_str());
  if (t.HasMember("replica_ports") && !t["replica_ports"].Empty()) {
    std::printf("replicas  ");
    for (const auto& p : t["replica_ports"].GetArray()) std::printf(" %d", p.GetInt());
    std::printf("\n");
  }
  const auto& op = t["operation"];
  std::printf("operation  %s %s %s%s%s\n", S(op, "id").c_str(), S(op, "kind").c_str(), S(op, "state").c_str(),
              S(op, "error").empty() ? "" : ": ", S(op, "error").c_str());
  if (t.HasMember("usage"))
    std::printf("usage      used_memory %lld, maxmemory %lld, clients %lld\n",
                static_cast<long long>(t["usage"]["used_memory"].GetInt64()),
                static_cast<long long>(t["usage"]["maxmemory"].GetInt64()),
                static_cast<long long>(t["usage"]["connected_clients"].GetInt64()));
}

// Polls until the tenant's operation `op_id` ends; 0 if it ended done.
int Wait(const Cli& c, const std::string& name, const std::string& op_id, bool gone_ok) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(c.timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    rapidjson::Document d;
    int status = 0;
    httplib::Client cl(c.url);
    httplib::Headers h;
    if (!c.token.empty()) h.emplace("Authorization", "Bearer " + c.token);
    auto r = cl.Get(("/v1/tenants/" + name).c_str(), h);
    if (r) {
      status = r->status;
      if (status == 404 && gone_ok) return std::printf("deleted %s\n", name.c_str()), 0;
      d.Parse(r->body.c_str());
      if (status == 200 && !d.HasParseError() && d.IsObject()) {
        const auto& op = d["operation"];
        if (S(op, "id") != op_id || S(op, "state") != "running") {
          if (c.json) std::printf("%s\n", Pretty(d).c_str());
          else PrintTenant(d);
          return S(op, "state") == "done" && S(d, "state") != "failed" ? 0 : 1;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "suma-fleet: operation %s of %s still running after %g s\n", op_id.c_str(), name.c_str(), c.timeout_s);
  return 1;
}

std::string Esc(const std::string& s) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(s.c_str());
  return b.GetString();
}

}  // namespace

int TenantCli(const std::vector<std::string>& all) {
  Cli c;
  if (const char* u = std::getenv("SUMA_FLEET")) c.url = u;
  if (const char* t = std::getenv("SUMA_FLEET_TOKEN")) c.token = t;
  std::vector<std::string> pos;
  std::map<std::string, std::string> opt;
  bool purge = false;
  for (size_t i = 0; i < all.size(); ++i) {
    const std::string& a = all[i];
    if (a == "-h" || a == "--help") return std::fputs(kUsage, stdout), 0;
    if (a == "--json") c.json = true;
    else if (a == "--no-wait") c.wait = false;
    else if (a == "--purge") purge = true;
    else if (a.rfind("--", 0) == 0) {
      if (i + 1 >= all.size()) return std::fprintf(stderr, "suma-fleet: %s needs a value\n", a.c_str()), 2;
      opt[a] = all[++i];
    } else pos.push_back(a);
  }
  if (opt.count("--fleet")) c.url = opt["--fleet"];
  if (opt.count("--timeout")) c.timeout_s = std::atof(opt["--timeout"].c_str());
  opt.erase("--fleet");
  opt.erase("--timeout");
  if (pos.empty()) return std::fputs(kUsage, stderr), 2;
  std::string cmd = pos[0];
  auto num = [&](const char* k, std::string* out) -> bool {
    if (!opt.count(k)) return true;
    char* end = nullptr;
    std::strtod(opt[k].c_str(), &end);
    if (opt[k].empty() || *end) return std::fprintf(stderr, "suma-fleet: %s must be a number\n", k), false;
    *out = opt[k];
    opt.erase(k);
    return true;
  };
  rapidjson::Document d;
  if (cmd == "create") {
    std::string owner, business;
    if (pos.size() == 3) owner = pos[1], business = pos[2];
    else if (pos.size() == 2 && pos[1].find('_') != std::string::npos)
      owner = pos[1].substr(0, pos[1].find('_')), business = pos[1].substr(pos[1].find('_') + 1);
    else return std::fputs(kUsage, stderr), 2;
    std::string mem, cpus, replicas, persistence = opt.count("--persistence") ? opt["--persistence"] : "";
    opt.erase("--persistence");
    if (!num("--memory", &mem) || !num("--cpus", &cpus) || !num("--replicas", &replicas)) return 2;
    if (!opt.empty()) return std::fprintf(stderr, "suma-fleet: unknown option %s\n", opt.begin()->first.c_str()), 2;
    if (mem.empty() || cpus.empty()) return std::fprintf(stderr, "suma-fleet: create needs --memory and --cpus\n"), 2;
    std::string body = "{\"owner\":" + Esc(owner) + ",\"business\":" + Esc(business) + ",\"memory_mb\":" + mem +
                       ",\"cpus\":" + cpus + (replicas.empty() ? "" : ",\"replicas\":" + replicas) +
                       (persistence.empty() ? "" : ",\"persistence\":" + Esc(persistence)) + "}";
    if (Request(c, "POST", "/v1/tenants", body, &d)) return 1;
    const auto& t = d["tenant"];
    std::string password = S(d, "password");
    if (!password.empty()) std::printf("password   %s   (shown once: store it now)\n", password.c_str());
    else std::printf("(the tenant already exists with this spec; its password was shown when it was made)\n");
    if (!c.wait) return std::printf("%s\n", c.json ? Pretty(d).c_str() : S(t, "state").c_str()), 0;
    return Wait(c, S(t, "name"), S(t["operation"], "id"), false);
  }
  if (cmd == "list") {
    if (Request(c, "GET", "/v1/tenants", "", &d)) return 1;
    if (c.json) return std::printf("%s\n", Pretty(d).c_str()), 0;
    std::printf("%-32s %-9s %7s %5s %3s %6s  %s\n", "NAME", "STATE", "MEM_MB", "CPUS", "REP", "PORT", "CONNECTION");
    for (const auto& t : d["tenants"].GetArray())
      std::printf("%-32s %-9s %7d %5g %3d %6d  %s\n", S(t, "name").c_str(), S(t, "state").c_str(),
                  t["spec"]["memory_mb"].GetInt(), t["spec"]["cpus"].GetDouble(), t["spec"]["replicas"].GetInt(),
                  t["port"].GetInt(), S(t, "connection").c_str());
    for (const auto& u : d["unmanaged"].GetArray())
      std::printf("unmanaged container %s (%s) labelled suma.tenant=%s: no record, left alone\n",
                  S(u, "name").c_str(), S(u, "status").c_str(), S(u, "tenant").c_str());
    return 0;
  }
  if (pos.size() != 2) return std::fputs(kUsage, stderr), 2;
  std::string name = pos[1];
  if (cmd == "show") {
    if (Request(c, "GET", "/v1/tenants/" + name, "", &d)) return 1;
    if (c.json) std::printf("%s\n", Pretty(d).c_str());
    else PrintTenant(d);
    return 0;
  }
  if (cmd == "scale") {
    std::string mem, cpus, replicas;
    if (!num("--memory", &mem) || !num("--cpus", &cpus) || !num("--replicas", &replicas)) return 2;
    if (!opt.empty()) return std::fprintf(stderr, "suma-fleet: unknown option %s\n", opt.begin()->first.c_str()), 2;
    std::string body = "{";
    for (auto [k, v] : {std::pair<const char*, std::string>{"memory_mb", mem}, {"cpus", cpus}, {"replicas", replicas}})
      if (!v.empty()) body += (body.size() > 1 ? "," : "") + std::string("\"") + k + "\":" + v;
    body += "}";
    if (Request(c, "POST", "/v1/tenants/" + name + "/scale", body, &d)) return 1;
    if (!c.wait) return std::printf("%s\n", c.json ? Pretty(d).c_str() : "changing"), 0;
    return Wait(c, name, S(d["tenant"]["operation"], "id"), false);
  }
  if (cmd == "delete") {
    if (Request(c, "DELETE", "/v1/tenants/" + name + (purge ? "?purge=1" : ""), "", &d)) return 1;
    if (!c.wait) return std::printf("%s\n", c.json ? Pretty(d).c_str() : "deleting"), 0;
    return Wait(c, name, S(d["tenant"]["operation"], "id"), true);
  }
  if (cmd == "credentials") {
    if (Request(c, "POST", "/v1/tenants/" + name + "/credentials", "", &d)) return 1;
    if (c.json) return std::printf("%s\n", Pretty(d).c_str()), 0;
    std::printf("password   %s   (shown once: store it now)\nconnection %s\n", S(d, "password").c_str(),
                S(d, "connection").c_str());
    return 0;
  }
  std::fprintf(stderr, "suma-fleet: unknown command '%s'\n%s", cmd.c_str(), kUsage);
  return 2;
}

}  // namespace fleet
