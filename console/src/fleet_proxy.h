// The console's side of suma-fleet (issue 13): the Tenants page's /api/fleet/*
// routes, proxied server-side to the fleet's HTTP API (docs/fleet.md).
//
// Contract:
// - The browser talks only to the console. Every route needs a console session,
//   and every POST the X-Suma-Console header, like every other action.
// - The console adds the fleet's bearer token (--fleet-token); the token never
//   reaches the browser. A one-time password from the fleet passes through
//   to the page (which shows it once) and is never logged.
// - Form fields become the fleet's JSON types. A number that does not parse, a
//   missing field or a tenant name that is not a plain path segment is a 400
//   naming the field, and nothing is sent to the fleet.
// - The fleet's 2xx replies pass through unchanged. Its error object
//   {"error":{"code","message"}} becomes the console's {"ok":false,"error":
//   message,"code":CODE} with the fleet's status (400/404/409/422/503/500).
// - A fleet that is unreachable, answers with something that is not JSON, or
//   refuses the console's token gives 502 (code FLEET_UNREACHABLE or
//   FLEET_AUTH): never 401, which the page would take for its own session
//   ending.
// - Without --fleet every /api/fleet/ route answers 404 (code NO_FLEET), but
//   GET /api/fleet/info, which says {"enabled":false}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace console {

// One request to the fleet and what came back. status 0: no answer (error says why).
struct FleetReply {
  int status = 0;
  std::string body;
  std::string error;
};

class FleetClient {
 public:
  // base: "http://host:port" (https:// too); token: "" for none.
  FleetClient(std::string base, std::string token) : base_(std::move(base)), token_(std::move(token)) {}
  FleetReply Call(const std::string& method, const std::string& path, const std::string& json_body = "") const;
  const std::string& base() const { return base_; }

 private:
  std::string base_, token_;
};

// Form fields -> the fleet's JSON request bodies. On bad input returns nullopt and
// sets *err to a message naming the field.
using Form = std::map<std::string, std::string>;
std::optional<std::string> CreateBody(const Form& f, std::string* err);
std::optional<std::string> ScaleBody(const Form& f, std::string* err);

// One call to the fleet: method, path (with query), JSON body, and a log line ("delete T (purge)").
struct FleetCall {
  std::string method, path, body, what;
};
// The fleet call for a console action: "tenants", "tenant", "create", "scale",
// "delete", "credentials" (the /api/fleet/<action> routes), from the form. On
// bad input returns nullopt and sets *err.
std::optional<FleetCall> BuildCall(std::string_view action, const Form& f, std::string* err);

// True for a tenant name safe to put in a URL path: [A-Za-z0-9._-]+, not "." or "..".
// (The fleet applies the real naming rules; this only keeps the path intact.)
bool IsPathSafeName(const std::string& name);

// The fleet's reply as the console answers it: {status, json} per the contract above.
struct ProxiedReply {
  int status;
  std::string json;
};
ProxiedReply TranslateReply(const FleetReply& r);

// The routes themselves: InstallFleetRoutes() in app.h.

}  // namespace console
