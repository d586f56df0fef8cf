// suma-fleet: the tenants' control plane (docs/fleet.md).
//   suma-fleet serve [options]        the daemon
//   suma-fleet tenant COMMAND ...     the CLI, talking to the daemon over HTTP
#include <cstdio>
#include <string>
#include <vector>

#include "adapters/serve.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "serve") return fleet::Serve({args.begin() + 1, args.end()});
  if (!args.empty() && args[0] == "tenant") return fleet::TenantCli({args.begin() + 1, args.end()});
  std::fputs("usage: suma-fleet serve [options] | suma-fleet tenant COMMAND (see --help of each)\n",
             args.empty() || args[0] == "-h" || args[0] == "--help" ? stdout : stderr);
  return args.empty() || args[0] == "-h" || args[0] == "--help" ? 0 : 2;
}
