// The console's HTTP surface: routes, authentication and the SSE feed.
#pragma once

#include <httplib.h>

#include "auth.h"
#include "events.h"
#include "options.h"

namespace console {

struct App {
  explicit App(const Options& o)
      : opt(o), sessions(o.user, o.password, o.session_ttl_s, o.cookie_secure), hub(o.cluster.empty() ? o.redis : o.cluster.front()) {}
  Options opt;
  Sessions sessions;
  EventHub hub;
};

// Installs every route on svr. Public: / and its assets, /login, /healthz,
// /metrics (unless a metrics token is set). Everything under /api/ needs a
// session; POSTs also need the header "X-Suma-Console: 1", which a
// cross-site form cannot send (second line of defence after SameSite=Strict).
void InstallRoutes(httplib::Server& svr, App& app);

// The /api/ access rule (routes.cc), also for handlers in other files: false
// (with 401/403 already sent) unless the request has a session and, on POST, the header.
bool Authorize(App& app, const httplib::Request& req, httplib::Response& res, bool is_post);
// A JSON reply that is never cached.
void SendApiJson(httplib::Response& res, int status, const std::string& body);
// The Tenants page's /api/fleet/* routes (fleet_proxy.h), installed by InstallRoutes.
void InstallFleetRoutes(httplib::Server& svr, App& app);

// Embedded page assets (generated from console/web/ at build time).
struct Asset {
  const char* path;
  const char* content_type;
  const char* body;
};
extern const Asset kAssets[];
extern const int kAssetCount;

}  // namespace console
