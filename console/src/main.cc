// suma-console: web console and Prometheus endpoint for a sumavlib server.
// Usage and settings: src/options.h. Stops cleanly on SIGTERM/SIGINT.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "app.h"
#include "suma_version.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("suma-console %s\n", suma::kVersion);
    return 0;
  }
  console::Options opt;
  std::string err;
  if (!console::ParseOptions(argc, argv, &opt, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return err.rfind("usage", 0) == 0 ? 0 : 2;
  }
  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  console::App app(opt);
  httplib::Server svr;
  // SSE streams hold a worker each, so the pool bounds the open pages. Every
  // thread counts against the user's RLIMIT_NPROC, shared by every container
  // running as that uid: a micro-container keeps few (--threads, default 16).
  const int threads = opt.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Bodies are small forms; a config value above ~5 MB belongs in redis-cli.
  svr.set_payload_max_length(16u << 20);
  svr.set_read_timeout(10, 0);
  svr.set_write_timeout(10, 0);
  console::InstallRoutes(svr, app);
  app.hub.Start();

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    app.hub.Stop();
    svr.stop();
  });
  waiter.detach();

  if (!svr.bind_to_port(opt.listen_host.c_str(), opt.listen_port)) {
    std::fprintf(stderr, "suma-console: cannot listen on %s:%d\n", opt.listen_host.c_str(), opt.listen_port);
    app.hub.Stop();
    return 1;
  }
  std::fprintf(stderr, "suma-console %s: listening on http://%s:%d (redis %s:%d%s)\n",
               suma::kVersion, opt.listen_host.c_str(), opt.listen_port, opt.redis.host.c_str(), opt.redis.port,
               app.sessions.enabled() ? "" : ", no login: loopback only");
  svr.listen_after_bind();
  app.hub.Stop();
  return 0;
}
