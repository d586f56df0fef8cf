// `suma-fleet serve`: options, wiring and the daemon's threads.
#pragma once

#include <string>
#include <vector>

namespace fleet {
int Serve(const std::vector<std::string>& args);
// `suma-fleet tenant ...`: the CLI, an HTTP client of the daemon.
int TenantCli(const std::vector<std::string>& args);
}  // namespace fleet
