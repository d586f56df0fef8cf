// suma-agent entry point: exit 0 after a clean shutdown, 2 on invalid
// configuration (with a message naming the problem).
#include <event2/event.h>

#include <cstdio>
#include <cstring>

#include "agent/agent.h"
#include "agent/log.h"
#include "suma_version.h"

int main(int argc, char** argv) {
  using namespace suma::agent;
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("suma-agent %s\n", suma::kVersion);
    return 0;
  }
  LoadResult r = LoadConfig(argc, argv, CurrentEnvironment());
  if (r.kind == LoadResult::Kind::Help) {
    std::fputs(HelpText().c_str(), stdout);
    return 0;
  }
  if (r.kind == LoadResult::Kind::Invalid) {
    Log(Level::Error, "config.invalid").Kv("problem", r.error);
    std::fprintf(stderr, "suma-agent: invalid configuration: %s\n", r.error.c_str());
    return 2;
  }
  SetLevel(r.config.log_level);
  event_base* base = event_base_new();
  int rc = 0;
  {
    Agent agent(base, r.config);
    std::string error;
    if (!agent.Init(&error)) {
      Log(Level::Error, "agent.refused").Kv("problem", error);
      std::fprintf(stderr, "suma-agent: %s\n", error.c_str());
      rc = 2;
    } else {
      agent.Start();
      event_base_dispatch(base);
    }
  }
  event_base_free(base);
  return rc;
}
