// HTTP health endpoint on the agent's event loop (libevent evhttp).
//   GET /health  200 "ok"        live and undrained
//                503 "drained"   drained with suma_vip_kill
//                503 "starting"  drain state not read yet
//   GET /status  200 JSON        group, vip, leader, epoch, drained, ...
// While the server is unreachable the last known state stands: a host that
// serves traffic keeps serving it when only the coordination is away.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

struct event_base;
struct evhttp;
struct evhttp_request;

namespace suma::agent {

// What /health and /status report, read at each request.
struct HealthSnapshot {
  std::string group, vip, server;
  bool connected = false;
  bool leader = false;
  int64_t epoch = 0;
  std::optional<bool> drained;  // unknown until first read
  int64_t applied_seq = 0;
};

class HealthServer {
 public:
  HealthServer(event_base* base, std::function<HealthSnapshot()> snapshot)
      : base_(base), snapshot_(std::move(snapshot)) {}
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Listens on host:port; false (with *error) when it cannot.
  [[nodiscard]] bool Listen(const std::string& host_port, std::string* error);

  static std::string StatusJson(const HealthSnapshot& s);

 private:
  static void OnHttp(evhttp_request* req, void* arg);

  event_base* base_;
  std::function<HealthSnapshot()> snapshot_;
  evhttp* http_ = nullptr;
};

}  // namespace suma::agent
