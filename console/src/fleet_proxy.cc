#include "fleet_proxy.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "app.h"

namespace console {
namespace {

using httplib::Request;
using httplib::Response;
// Refuses (String() returns false) bytes that are not UTF-8, so the fleet gets valid JSON.
using JsonOut = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                  rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;
constexpr unsigned kStrictParse = rapidjson::kParseValidateEncodingFlag;

bool ParseInt(const std::string& s, long long* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(*out);
}

const std::string* Field(const Form& f, const char* name) {
  auto it = f.find(name);
  return it == f.end() || it->second.empty() ? nullptr : &it->second;
}

bool StrField(const Form& f, const char* name, bool required, JsonOut& w, std::string* err) {
  const std::string* v = Field(f, name);
  if (!v) {
    if (required) *err = std::string("missing ") + name;
    return !required;
  }
  w.Key(name);
  if (!w.String(v->data(), static_cast<rapidjson::SizeType>(v->size())))
    return *err = std::string(name) + " is not valid UTF-8", false;
  return true;
}

// Adds an optional numeric field; false (with *err) when present but not a number.
bool IntField(const Form& f, const char* name, bool required, JsonOut& w, std::string* err) {
  const std::string* v = Field(f, name);
  if (!v) {
    if (required) *err = std::string("missing ") + name;
    return !required;
  }
  long long n = 0;
  if (!ParseInt(*v, &n)) return *err = std::string(name) + " must be a whole number", false;
  w.Key(name);
  w.Int64(n);
  return true;
}

bool NumberField(const Form& f, const char* name, bool required, JsonOut& w, std::string* err) {
  const std::string* v = Field(f, name);
  if (!v) {
    if (required) *err = std::string("missing ") + name;
    return !required;
  }
  double d = 0;
  if (!ParseNumber(*v, &d)) return *err = std::string(name) + " must be a number", false;
  w.Key(name);
  w.Double(d);
  return true;
}

// Not yet validated text for a log line: control characters cannot start a fake line.
std::string Loggable(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

Form FormOf(const Request& req) {
  Form f;
  for (const auto& [k, v] : req.params) f[k] = v;
  return f;
}

// code and message are valid UTF-8: our own texts, or strings out of a strictly parsed reply.
std::string ErrorJson(const std::string& code, const std::string& message) {
  rapidjson::StringBuffer buf;
  JsonOut w(buf);
  w.StartObject();
  w.Key("ok");
  w.Bool(false);
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("code");
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.EndObject();
  return buf.GetString();
}

}  // namespace

FleetReply FleetClient::Call(const std::string& method, const std::string& path,
                             const std::string& json_body) const {
  FleetReply out;
  httplib::Client cli(base_);
  if (!cli.is_valid()) {
    out.error = "invalid fleet URL " + base_;
    return out;
  }
  cli.set_connection_timeout(3, 0);
  cli.set_read_timeout(15, 0);
  cli.set_write_timeout(15, 0);
  httplib::Headers h = {{"Accept", "application/json"}};
  if (!token_.empty()) h.emplace("Authorization", "Bearer " + token_);
  httplib::Result r(nullptr, httplib::Error::Unknown);
  if (method == "GET") r = cli.Get(path.c_str(), h);
  else if (method == "DELETE") r = cli.Delete(path.c_str(), h);
  else r = cli.Post(path.c_str(), h, json_body, "application/json");
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  return out;
}

std::optional<std::string> CreateBody(const Form& f, std::string* err) {
  rapidjson::StringBuffer buf;
  JsonOut w(buf);
  w.StartObject();
  if (!StrField(f, "owner", true, w, err) || !StrField(f, "business", true, w, err) ||
      !IntField(f, "memory_mb", true, w, err) || !NumberField(f, "cpus", true, w, err) ||
      !IntField(f, "replicas", false, w, err) || !StrField(f, "persistence", false, w, err))
    return std::nullopt;
  w.EndObject();
  return std::string(buf.GetString());
}

std::optional<std::string> ScaleBody(const Form& f, std::string* err) {
  if (!Field(f, "memory_mb") && !Field(f, "cpus") && !Field(f, "replicas"))
    return *err = "nothing to scale: give memory_mb, cpus or replicas", std::nullopt;
  rapidjson::StringBuffer buf;
  JsonOut w(buf);
  w.StartObject();
  if (!IntField(f, "memory_mb", false, w, err) || !NumberField(f, "cpus", false, w, err) ||
      !IntField(f, "replicas", false, w, err))
    return std::nullopt;
  w.EndObject();
  return std::string(buf.GetString());
}

bool IsPathSafeName(const std::string& name) {
  if (name.empty() || name.size() > 256 || name == "." || name == "..") return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

ProxiedReply TranslateReply(const FleetReply& r) {
  if (r.status == 0) return {502, ErrorJson("FLEET_UNREACHABLE", "fleet unreachable: " + r.error)};
  if (r.status == 401 || r.status == 403)
    return {502, ErrorJson("FLEET_AUTH", "the fleet refused the console's token (SUMA_FLEET_TOKEN)")};
  rapidjson::Document d;
  d.Parse<kStrictParse>(r.body.c_str(), r.body.size());
  if (d.HasParseError() || !d.IsObject())
    return {502, ErrorJson("FLEET_UNREACHABLE",
                           "the fleet answered HTTP " + std::to_string(r.status) + " without a JSON object")};
  if (r.status >= 200 && r.status < 300) return {r.status, r.body};
  std::string code = "INTERNAL", message = "fleet error (HTTP " + std::to_string(r.status) + ")";
  if (auto e = d.FindMember("error"); e != d.MemberEnd() && e->value.IsObject()) {
    if (auto c = e->value.FindMember("code"); c != e->value.MemberEnd() && c->value.IsString())
      code = c->value.GetString();
    if (auto m = e->value.FindMember("message"); m != e->value.MemberEnd() && m->value.IsString())
      message = m->value.GetString();
  }
  return {r.status, ErrorJson(code, message)};
}

std::optional<FleetCall> BuildCall(std::string_view action, const Form& f, std::string* err) {
  if (action == "tenants") return FleetCall{"GET", "/v1/tenants", "", "list"};
  if (action == "create") {
    auto body = CreateBody(f, err);
    if (!body) return std::nullopt;
    return FleetCall{"POST", "/v1/tenants", *body, "create " + Loggable(f.at("owner") + "_" + f.at("business"))};
  }
  // Every other action names one tenant.
  const std::string* name = Field(f, "name");
  if (!name || !IsPathSafeName(*name)) return *err = "missing or invalid tenant name", std::nullopt;
  std::string path = "/v1/tenants/" + *name;
  if (action == "tenant") return FleetCall{"GET", path, "", "show " + *name};
  if (action == "credentials") return FleetCall{"POST", path + "/credentials", "{}", "credentials " + *name};
  if (action == "scale") {
    auto body = ScaleBody(f, err);
    if (!body) return std::nullopt;
    return FleetCall{"POST", path + "/scale", *body, "scale " + *name + " " + *body};
  }
  if (action == "delete") {
    // Deleting data is never the result of a value we do not understand.
    const std::string* purge = Field(f, "purge");
    if (purge && *purge != "0" && *purge != "1" && *purge != "false" && *purge != "true")
      return *err = "purge must be 1 or 0", std::nullopt;
    bool p = purge && (*purge == "1" || *purge == "true");
    return FleetCall{"DELETE", path + (p ? "?purge=1" : ""), "", "delete " + *name + (p ? " (purge)" : "")};
  }
  *err = "unknown fleet action";
  return std::nullopt;
}

void InstallFleetRoutes(httplib::Server& svr, App& app) {
  struct Route {
    const char* action;
    bool post;
  };
  static constexpr Route kRoutes[] = {{"tenants", false}, {"tenant", false},     {"create", true},
                                      {"scale", true},    {"delete", true},      {"credentials", true}};
  auto fleet = std::make_shared<FleetClient>(app.opt.fleet_url, app.opt.fleet_token);
  bool enabled = !app.opt.fleet_url.empty();
  // Whether this console has a fleet: the page asks once after login to show its Tenants tab.
  svr.Get("/api/fleet/info", [&app, enabled](const Request& req, Response& res) {
    if (!Authorize(app, req, res, false)) return;
    SendApiJson(res, 200, enabled ? R"({"enabled":true})" : R"({"enabled":false})");
  });
  for (const Route& r : kRoutes) {
    // Session and CSRF checks, then the fleet call; every change is logged with its result.
    auto handler = [&app, fleet, enabled, r](const Request& req, Response& res) {
      if (!Authorize(app, req, res, r.post)) return;
      if (!enabled)
        return SendApiJson(res, 404, ErrorJson("NO_FLEET", "no fleet configured (suma-console --fleet URL)"));
      std::string err;
      std::optional<FleetCall> call = BuildCall(r.action, FormOf(req), &err);
      if (!call) return SendApiJson(res, 400, ErrorJson("BAD_REQUEST", err));
      ProxiedReply p = TranslateReply(fleet->Call(call->method, call->path, call->body));
      if (r.post)
        std::fprintf(stderr, "suma-console: fleet %s by %s -> %d\n", call->what.c_str(),
                     app.sessions.user().c_str(), p.status);
      SendApiJson(res, p.status, p.json);
    };
    std::string path = std::string("/api/fleet/") + r.action;
    if (r.post) svr.Post(path, handler);
    else svr.Get(path, handler);
  }
}

}  // namespace console
