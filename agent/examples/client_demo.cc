// Example of the suma client library on its own: joins a group once, prints
// what each typed wrapper returns (one "name: value" line each) and exits.
//   suma-client-demo <host:port> <group> <vip>
// Exit 0 when every call succeeded.
#include <event2/event.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "suma/client.h"

namespace {

// Runs steps one after another; each calls next() when its reply is in.
class Steps {
 public:
  using Step = std::function<void(std::function<void()> next)>;
  void Add(Step s) { steps_.push_back(std::move(s)); }
  void Run(size_t i, std::function<void()> done) {
    if (i == steps_.size()) return done();
    steps_[i]([this, i, done] { Run(i + 1, done); });
  }

 private:
  std::vector<Step> steps_;
};

int g_failures = 0;

template <typename T>
bool Ok(const char* what, const suma::Outcome<T>& r) {
  if (r.ok()) return true;
  std::printf("%s: error %s\n", what, r.error().c_str());
  ++g_failures;
  return false;
}

}  // namespace

void Run(event_base* base, const char* server, const std::string& group, const std::string& vip) {
  suma::ClientOptions opt;
  opt.server = suma::ParseEndpoint(server);
  suma::Client c(base, opt);
  Steps s;
  s.Add([&](auto next) {
    c.KeepAlive(group, vip, [next](const suma::Outcome<suma::KeepAliveReply>& r) {
      if (Ok("keep_alive", r))
        std::printf("keep_alive: %s\n", r->role == suma::KeepAliveReply::Role::NoLeader ? "no-leader"
                                        : r->role == suma::KeepAliveReply::Role::Follower
                                            ? ("follower of " + r->leader).c_str()
                                            : "leader");
      next();
    });
  });
  s.Add([&](auto next) {
    c.TryLeader(group, vip, 5000, [next](const suma::Outcome<suma::LeaderClaim>& r) {
      if (Ok("try_leader", r)) std::printf("try_leader: leading=%d epoch=%lld\n", r->leading, (long long)r->epoch);
      next();
    });
  });
  s.Add([&](auto next) {
    c.GetLeaderInfo(group, [next](const suma::Outcome<suma::LeaderInfo>& r) {
      if (Ok("leader_info", r))
        std::printf("leader_info: vip=%s epoch=%lld\n", r->vip ? r->vip->c_str() : "(none)", (long long)r->epoch);
      next();
    });
  });
  s.Add([&](auto next) {
    c.GetVipInfo(group, vip, [next](const suma::Outcome<suma::VipInfo>& r) {
      if (Ok("vip_info", r)) std::printf("vip_info: state=%s leader=%d drained=%d\n", r->state.c_str(), r->leader, r->drained);
      next();
    });
  });
  s.Add([&](auto next) {
    c.DiamondGet(group, "demo.key", [next](const suma::Outcome<std::optional<suma::DiamondValue>>& r) {
      if (Ok("diamond_get", r))
        std::printf("diamond_get: %s\n", *r ? ((*r)->value + " v" + std::to_string((*r)->version)).c_str() : "(nil)");
      next();
    });
  });
  s.Add([&](auto next) {
    c.DiamondListAll(group, [next](const suma::Outcome<std::vector<std::string>>& r) {
      if (Ok("diamond_list", r)) std::printf("diamond_list: %zu keys\n", r->size());
      next();
    });
  });
  s.Add([&](auto next) {
    c.Events(group, 0, 100, [next](const suma::Outcome<std::vector<std::string>>& r) {
      if (Ok("events", r)) std::printf("events: %zu\n", r->size());
      next();
    });
  });
  s.Add([&](auto next) {
    c.TaskClaim(group, vip, 5000, [&c, group, vip, next](const suma::Outcome<std::optional<suma::Task>>& r) {
      if (!Ok("task_claim", r) || !*r) {
        if (r.ok()) std::printf("task_claim: (none)\n");
        return next();
      }
      std::printf("task_claim: id=%lld attempt=%lld payload=%s\n", (long long)(*r)->id, (long long)(*r)->attempt, (*r)->payload.c_str());
      c.TaskAck(group, (*r)->id, vip, [next](const suma::Outcome<bool>& a) {
        if (Ok("task_ack", a)) std::printf("task_ack: %d\n", *a);
        next();
      });
    });
  });
  s.Add([&](auto next) {
    c.Leave(group, vip, [next](const suma::Outcome<bool>& r) {
      if (Ok("leave", r)) std::printf("leave: %d\n", *r);
      next();
    });
  });
  bool started = false;
  c.on_ready = [&] {
    if (started) return;
    started = true;
    s.Run(0, [&] { event_base_loopexit(base, nullptr); });
  };
  c.Start();
  event_base_dispatch(base);
  c.Stop();
}

int main(int argc, char** argv) {
  if (argc != 4 || !suma::ParseEndpoint(argv[1])) {
    std::fprintf(stderr, "usage: %s <host:port> <group> <vip>\n", argv[0]);
    return 2;
  }
  event_base* base = event_base_new();
  Run(base, argv[1], argv[2], argv[3]);
  event_base_free(base);
  return g_failures == 0 ? 0 : 1;
}
