#include "adapters/serve.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "adapters/docker_engine.h"
#include "adapters/http_api.h"
#include "adapters/redis_adapters.h"
#include "adapters/system.h"
#include "core/fleet.h"

namespace fleet {
namespace {

// Tenants' servers bind ports of --ports on the host; inside the kernel's
// ephemeral range an outgoing connection may hold one when they start.
void WarnIfEphemeral(int lo, int hi) {
  std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
  if (!f) return;
  int elo = 0, ehi = 0;
  bool read = std::fscanf(f, "%d %d", &elo, &ehi) == 2;
  std::fclose(f);
  if (read && lo <= ehi && elo <= hi)
    std::fprintf(stderr,
                 "suma-fleet: warning: --ports %d-%d overlaps the ephemeral ports %d-%d "
                 "(net.ipv4.ip_local_port_range); a tenant's server may find its port taken\n",
                 lo, hi, elo, ehi);
}

constexpr const char* kServeUsage =
    "usage: suma-fleet serve [--listen 127.0.0.1:10090] [--engine /run/docker.sock]\n"
    "         [--control 127.0.0.1:6390] [--control-password PW] [--image suma-apollo-redis:latest]\n"
    "         [--ports 16000-16999] [--bind 127.0.0.1] [--advertise 127.0.0.1]\n"
    "         [--max-tenants 50] [--max-memory-mb 8192] [--max-cpus 8] [--min-memory-mb 32]\n"
    "         [--reconcile-ms 2000] [--workers 4] [--ready-timeout-ms 30000] [--step-delay-ms 0]\n"
    "         [--uid-base 200000]\n"
    "Environment: SUMA_FLEET_TOKEN (bearer token of the API), SUMA_FLEET_CONTROL_PASSWORD,\n"
    "DOCKER_HOST=unix:///path (when --engine is not given).\n";

std::atomic<bool> g_stop{false};
httplib::Server* g_server = nullptr;

void OnSignal(int) {
  g_stop = true;
  if (g_server) g_server->stop();
}

bool SplitHostPort(const std::string& s, std::string* host, int* port) {
  auto c = s.rfind(':');
  if (c == std::string::npos || c == 0) return false;
  *host = s.substr(0, c);
  char* end = nullptr;
  long p = std::strtol(s.c_str() + c + 1, &end, 10);
  if (*end || p < 1 || p > 65535) return false;
  *port = static_cast<int>(p);
  return true;
}

bool Num(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && !*end;
}

}  // namespace

int Serve(const std::vector<std::string>& args) {
  FleetConfig cfg;
  std::string listen = "127.0.0.1:10090", control = "127.0.0.1:6390";
  std::string engine_sock = "/run/docker.sock";
  if (const char* dh = std::getenv("DOCKER_HOST"); dh && std::string(dh).rfind("unix://", 0) == 0)
    engine_sock = std::string(dh).substr(7);
  std::string control_pw = std::getenv("SUMA_FLEET_CONTROL_PASSWORD") ? std::getenv("SUMA_FLEET_CONTROL_PASSWORD") : "";
  std::string token = std::getenv("SUMA_FLEET_TOKEN") ? std::getenv("SUMA_FLEET_TOKEN") : "";
  int64_t reconcile_ms = 2000;
  int workers = 4;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") return std::fputs(kServeUsage, stdout), 0;
    if (i + 1 >= args.size()) return std::fprintf(stderr, "suma-fleet serve: %s needs a value\n%s", a.c_str(), kServeUsage), 2;
    const std::string& v = args[++i];
    auto bad = [&] { return std::fprintf(stderr, "suma-fleet serve: invalid %s '%s'\n", a.c_str(), v.c_str()), 2; };
    if (a == "--listen") listen = v;
    else if (a == "--engine") engine_sock = v.rfind("unix://", 0) == 0 ? v.substr(7) : v;
    else if (a == "--control") control = v;
    else if (a == "--control-password") control_pw = v;
    else if (a == "--image") cfg.image = v;
    else if (a == "--bind") cfg.bind = v;
    else if (a == "--advertise") cfg.advertise = v;
    else if (a == "--ports") {
      if (std::sscanf(v.c_str(), "%d-%d", &cfg.port_lo, &cfg.port_hi) != 2 || cfg.port_lo < 1 ||
          cfg.port_hi > 65535 || cfg.port_lo >= cfg.port_hi)
        return bad();
    } else {
      std::map<std::string, std::function<void(double)>> numeric = {
          {"--max-tenants", [&](double n) { cfg.max_tenants = static_cast<int>(n); }},
          {"--max-memory-mb", [&](double n) { cfg.max_memory_mb = static_cast<int64_t>(n); }},
          {"--max-cpus", [&](double n) { cfg.max_cpus = n; }},
          {"--min-memory-mb", [&](double n) { cfg.min_memory_mb = static_cast<int>(n); }},
          {"--reconcile-ms", [&](double n) { reconcile_ms = std::max<int64_t>(50, static_cast<int64_t>(n)); }},
          {"--workers", [&](double n) { workers = std::max(1, static_cast<int>(n)); }},
          {"--ready-timeout-ms", [&](double n) { cfg.ready_timeout_ms = static_cast<int64_t>(n); }},
          {"--step-delay-ms", [&](double n) { cfg.step_delay_ms = static_cast<int64_t>(n); }},
          {"--uid-base", [&](double n) { cfg.uid_base = static_cast<int64_t>(n); }},
      };
      auto it = numeric.find(a);
      if (it == numeric.end())
        return std::fprintf(stderr, "suma-fleet serve: unknown option %s\n%s", a.c_str(), kServeUsage), 2;
      double n = 0;
      if (!Num(v, &n) || n < 0) return bad();
      it->second(n);
    }
  }
  if (cfg.uid_base < 1 || cfg.uid_base + 65535 > 4294967294LL)
    return std::fprintf(stderr, "suma-fleet serve: --uid-base must leave room for uid base+port (1..4294901759)\n"), 2;
  std::string lhost, chost;
  int lport = 0, cport = 0;
  if (!SplitHostPort(listen, &lhost, &lport)) return std::fprintf(stderr, "suma-fleet serve: invalid --listen '%s'\n", listen.c_str()), 2;
  if (!SplitHostPort(control, &chost, &cport)) return std::fprintf(stderr, "suma-fleet serve: invalid --control '%s'\n", control.c_str()), 2;

  DockerEngine engine(engine_sock);
  RedisControl ctl(chost, cport, control_pw);
  RedisServers servers(cfg.bind == "0.0.0.0" ? "127.0.0.1" : cfg.bind);
  servers.bind_address = cfg.bind;
  SystemClock clock;
  OpenSslSecrets secrets;
  Fleet f(cfg, engine, ctl, servers, clock, secrets);

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  // The control server holds every record: wait for it (bounded) rather than start empty.
  std::optional<Error> se;
  for (int i = 0; i < 100 && !g_stop; ++i) {
    if (!(se = f.Start())) break;
    std::fprintf(stderr, "suma-fleet: %s (retrying)\n", se->message.c_str());
    clock.SleepMs(100);
  }
  if (se) return std::fprintf(stderr, "suma-fleet: giving up: %s\n", se->message.c_str()), 1;
  WarnIfEphemeral(cfg.port_lo, cfg.port_hi);
  if (EngineError pe = engine.Ping(); !pe.ok())
    std::fprintf(stderr, "suma-fleet: engine %s not answering yet: %s\n", engine_sock.c_str(), pe.message.c_str());

  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i)
    threads.emplace_back([&] {
      while (!g_stop) f.RunOne(200);
    });
  threads.emplace_back([&] {
    while (!g_stop) {
      f.Reconcile();
      for (int64_t slept = 0; slept < reconcile_ms && !g_stop; slept += 50) clock.SleepMs(50);
    }
  });

  httplib::Server srv;
  g_server = &srv;
  InstallRoutes(srv, f, token);
  if (!srv.bind_to_port(lhost.c_str(), lport)) {
    std::fprintf(stderr, "suma-fleet: cannot listen on %s\n", listen.c_str());
    g_stop = true;
  } else {
    std::fprintf(stderr, "suma-fleet: listening on %s, engine %s, control %s, image %s, ports %d-%d\n",
                 listen.c_str(), engine_sock.c_str(), control.c_str(), cfg.image.c_str(), cfg.port_lo, cfg.port_hi);
    srv.listen_after_bind();
  }
  g_stop = true;
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace fleet
