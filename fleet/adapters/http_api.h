// The HTTP JSON API of docs/fleet.md on cpp-httplib: parses, calls Fleet,
// replies. Also /metrics (Prometheus text) and /healthz.
#pragma once

#include <string>

namespace httplib {
class Server;
}

namespace fleet {

class Fleet;

// Installs the routes. token: when not empty, every route but /healthz needs
// "Authorization: Bearer <token>".
void InstallRoutes(httplib::Server& srv, Fleet& fleet, const std::string& token);

// The Prometheus text of /metrics.
std::string MetricsText(Fleet& fleet);

}  // namespace fleet
