#include "adapters/http_api.h"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <sstream>

#include "core/fleet.h"
#include "core/record_json.h"

namespace fleet {
namespace {

std::string JsonStr(const std::string& s) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  return b.GetString();
}

void Send(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void SendError(httplib::Response& res, const Error& e) {
  Send(res, HttpStatus(e.code),
       std::string("{\"error\":{\"code\":\"") + CodeName(e.code) + "\",\"message\":" + JsonStr(e.message) + "}}");
}

// The body as a JSON object whose members are all in `allowed`.
std::optional<Error> ParseBody(const std::string& body, std::initializer_list<const char*> allowed,
                               rapidjson::Document* d) {
  d->Parse(body.c_str(), body.size());
  if (d->HasParseError() || !d->IsObject()) return err::NotAnObject();
  for (const auto& m : d->GetObject()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || m.name.GetString() == std::string(a);
    if (!ok) return err::UnknownField(m.name.GetString());
  }
  return std::nullopt;
}

std::optional<Error> GetInt(const rapidjson::Document& d, const char* k, std::optional<int>* out) {
  auto it = d.FindMember(k);
  if (it == d.MemberEnd() || it->value.IsNull()) return std::nullopt;  // null: not given
  if (!it->value.IsInt()) return err::WrongType(k, "an integer");
  *out = it->value.GetInt();
  return std::nullopt;
}

std::optional<Error> GetNum(const rapidjson::Document& d, const char* k, std::optional<double>* out) {
  auto it = d.FindMember(k);
  if (it == d.MemberEnd() || it->value.IsNull()) return std::nullopt;  // null: not given
  if (!it->value.IsNumber() || !std::isfinite(it->value.GetDouble()))
    return err::WrongType(k, "a number");
  *out = it->value.GetDouble();
  return std::nullopt;
}

std::optional<Error> GetStr(const rapidjson::Document& d, const char* k, std::string* out, bool required) {
  auto it = d.FindMember(k);
  if (it == d.MemberEnd() || it->value.IsNull()) {
    if (required) return err::MissingField(k);
    return std::nullopt;
  }
  if (!it->value.IsString()) return err::WrongType(k, "a string");
  *out = it->value.GetString();
  return std::nullopt;
}

std::string TenantReply(Fleet& f, const Tenant& t, const std::string& password = "") {
  std::string out = "{\"tenant\":" + ApiJson(t, f.config().advertise);
  if (!password.empty()) out += ",\"password\":" + JsonStr(password);
  return out + "}";
}

void Create(Fleet& f, const httplib::Request& req, httplib::Response& res) {
  rapidjson::Document d;
  if (auto e = ParseBody(req.body, {"owner", "business", "memory_mb", "cpus", "replicas", "persistence"}, &d))
    return SendError(res, *e);
  CreateRequest cr;
  std::optional<int> mem, replicas;
  std::optional<double> cpus;
  std::optional<Error> e;
  if ((e = GetStr(d, "owner", &cr.owner, true)) || (e = GetStr(d, "business", &cr.business, true)) ||
      (e = GetInt(d, "memory_mb", &mem)) || (e = GetNum(d, "cpus", &cpus)) ||
      (e = GetInt(d, "replicas", &replicas)) || (e = GetStr(d, "persistence", &cr.spec.persistence, false)))
    return SendError(res, *e);
  if (!mem) return SendError(res, err::MissingField("memory_mb"));
  if (!cpus) return SendError(res, err::MissingField("cpus"));
  cr.spec.memory_mb = *mem;
  cr.spec.cpus = *cpus;
  cr.spec.replicas = replicas.value_or(0);
  auto r = f.Create(cr);
  if (!r.ok()) return SendError(res, r.error());
  const Created& c = r.value();
  Send(res, c.password.empty() ? 200 : 202, TenantReply(f, c.tenant, c.password));
}

void Scale(Fleet& f, const std::string& name, const httplib::Request& req, httplib::Response& res) {
  rapidjson::Document d;
  if (auto e = ParseBody(req.body, {"memory_mb", "cpus", "replicas"}, &d)) return SendError(res, *e);
  ScaleRequest sr;
  std::optional<Error> e;
  if ((e = GetInt(d, "memory_mb", &sr.memory_mb)) || (e = GetNum(d, "cpus", &sr.cpus)) ||
      (e = GetInt(d, "replicas", &sr.replicas)))
    return SendError(res, *e);
  auto r = f.Scale(name, sr);
  if (!r.ok()) return SendError(res, r.error());
  Send(res, 202, TenantReply(f, r.value()));
}

std::string Label(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') continue;
    o += c;
  }
  return o;
}

}  // namespace

std::string MetricsText(Fleet& f) {
  std::ostringstream m;
  auto tenants = f.List(true);
  auto fm = f.Metrics();
  m << "# HELP suma_fleet_tenant_state 1 for the tenant's current state.\n# TYPE suma_fleet_tenant_state gauge\n";
  for (const auto& t : tenants)
    for (State s : {State::kCreating, State::kRunning, State::kChanging, State::kDeleting, State::kFailed})
      m << "suma_fleet_tenant_state{tenant=\"" << Label(t.name) << "\",state=\"" << StateName(s) << "\"} "
        << (t.state == s ? 1 : 0) << "\n";
  m << "# HELP suma_fleet_tenant_memory_mb Memory limit of each of the tenant's containers.\n"
       "# TYPE suma_fleet_tenant_memory_mb gauge\n";
  for (const auto& t : tenants) m << "suma_fleet_tenant_memory_mb{tenant=\"" << Label(t.name) << "\"} " << t.spec.memory_mb << "\n";
  m << "# TYPE suma_fleet_tenant_cpus gauge\n";
  for (const auto& t : tenants) m << "suma_fleet_tenant_cpus{tenant=\"" << Label(t.name) << "\"} " << t.spec.cpus << "\n";
  m << "# TYPE suma_fleet_tenant_replicas gauge\n";
  for (const auto& t : tenants) m << "suma_fleet_tenant_replicas{tenant=\"" << Label(t.name) << "\"} " << t.spec.replicas << "\n";
  m << "# HELP suma_fleet_tenant_used_memory_bytes INFO memory used_memory of the tenant's primary.\n"
       "# TYPE suma_fleet_tenant_used_memory_bytes gauge\n";
  for (const auto& t : tenants)
    if (t.usage) m << "suma_fleet_tenant_used_memory_bytes{tenant=\"" << Label(t.name) << "\"} " << t.usage->used_memory << "\n";
  m << "# TYPE suma_fleet_tenant_maxmemory_bytes gauge\n";
  for (const auto& t : tenants)
    if (t.usage) m << "suma_fleet_tenant_maxmemory_bytes{tenant=\"" << Label(t.name) << "\"} " << t.usage->maxmemory << "\n";
  m << "# TYPE suma_fleet_tenant_connected_clients gauge\n";
  for (const auto& t : tenants)
    if (t.usage) m << "suma_fleet_tenant_connected_clients{tenant=\"" << Label(t.name) << "\"} " << t.usage->connected_clients << "\n";
  m << "# HELP suma_fleet_operations_total Finished operations by kind and result.\n"
       "# TYPE suma_fleet_operations_total counter\n";
  std::map<std::string, int64_t> counts;
  for (const auto& [k, v] : fm.ops_total) {
    auto slash = k.find('/');
    m << "suma_fleet_operations_total{kind=\"" << k.substr(0, slash) << "\",result=\"" << k.substr(slash + 1)
      << "\"} " << v << "\n";
    counts[k.substr(0, slash)] += v;
  }
  m << "# HELP suma_fleet_operation_duration_seconds Time from request to the operation's end.\n"
       "# TYPE suma_fleet_operation_duration_seconds summary\n";
  for (const auto& [k, v] : fm.op_duration_ms) {
    m << "suma_fleet_operation_duration_seconds_sum{kind=\"" << k << "\"} " << v / 1000.0 << "\n";
    m << "suma_fleet_operation_duration_seconds_count{kind=\"" << k << "\"} " << counts[k] << "\n";
  }
  m << "# TYPE suma_fleet_restarts_total counter\nsuma_fleet_restarts_total " << fm.restarts << "\n";
  m << "# TYPE suma_fleet_reconciles_total counter\nsuma_fleet_reconciles_total " << fm.reconciles << "\n";
  m << "# HELP suma_fleet_unmanaged_containers Containers with a suma.tenant label but no record (left alone).\n"
       "# TYPE suma_fleet_unmanaged_containers gauge\nsuma_fleet_unmanaged_containers " << fm.unmanaged.size() << "\n";
  m << "# TYPE suma_fleet_engine_up gauge\nsuma_fleet_engine_up " << (fm.engine_up ? 1 : 0) << "\n";
  return m.str();
}

void InstallRoutes(httplib::Server& srv, Fleet& f, const std::string& token) {
  srv.set_pre_routing_handler([token](const httplib::Request& req, httplib::Response& res) {
    if (token.empty() || req.path == "/healthz") return httplib::Server::HandlerResponse::Unhandled;
    if (req.get_header_value("Authorization") == "Bearer " + token)
      return httplib::Server::HandlerResponse::Unhandled;
    res.status = 401;
    res.set_content("{\"error\":{\"code\":\"UNAUTHORIZED\",\"message\":\"missing or wrong bearer token\"}}",
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
  srv.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { Send(res, 200, "{\"ok\":true}"); });
  srv.Get("/metrics", [&f](const httplib::Request&, httplib::Response& res) {
    res.set_content(MetricsText(f), "text/plain; version=0.0.4");
  });
  srv.Post("/v1/tenants", [&f](const httplib::Request& req, httplib::Response& res) { Create(f, req, res); });
  srv.Get("/v1/tenants", [&f](const httplib::Request&, httplib::Response& res) {
    std::string out = "{\"tenants\":[";
    bool first = true;
    for (const auto& t : f.List(true)) {
      out += (first ? "" : ",") + ApiJson(t, f.config().advertise);
      first = false;
    }
    out += "],\"unmanaged\":[";
    first = true;
    for (const auto& c : f.Metrics().unmanaged) {
      auto lbl = c.labels.find("suma.tenant");
      out += std::string(first ? "" : ",") + "{\"id\":" + JsonStr(c.id) + ",\"name\":" + JsonStr(c.name) +
             ",\"tenant\":" + JsonStr(lbl == c.labels.end() ? "" : lbl->second) + ",\"status\":" + JsonStr(c.status) + "}";
      first = false;
    }
    Send(res, 200, out + "]}");
  });
  srv.Get(R"(/v1/tenants/([^/]+))", [&f](const httplib::Request& req, httplib::Response& res) {
    auto r = f.Get(req.matches[1], true);
    if (!r.ok()) return SendError(res, r.error());
    Send(res, 200, ApiJson(r.value(), f.config().advertise));
  });
  srv.Post(R"(/v1/tenants/([^/]+)/scale)", [&f](const httplib::Request& req, httplib::Response& res) {
    Scale(f, req.matches[1], req, res);
  });
  srv.Delete(R"(/v1/tenants/([^/]+))", [&f](const httplib::Request& req, httplib::Response& res) {
    std::string purge = req.get_param_value("purge");
    if (!purge.empty() && purge != "0" && purge != "1" && purge != "true" && purge != "false")
      return SendError(res, err::OutOfRange("purge", "'" + purge + "'", "0 or 1"));
    auto r = f.Delete(req.matches[1], purge == "1" || purge == "true");
    if (!r.ok()) return SendError(res, r.error());
    Send(res, 202, TenantReply(f, r.value()));
  });
  srv.Post(R"(/v1/tenants/([^/]+)/credentials)", [&f](const httplib::Request& req, httplib::Response& res) {
    auto r = f.Credentials(req.matches[1]);
    if (!r.ok()) return SendError(res, r.error());
    Send(res, 200, "{\"password\":" + JsonStr(r.value().password) + ",\"connection\":" +
                       JsonStr(ConnectionString(r.value().tenant, f.config().advertise)) + "}");
  });
  srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty() && res.status == 404)
      SendError(res, {Code::kNotFound, "no such endpoint"});
  });
  srv.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SendError(res, err::Internal(what));
  });
}

}  // namespace fleet
