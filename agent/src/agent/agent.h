// The suma-agent daemon: one event loop, one Client, and the parts that do
// the host's duties in its group, each behind a narrow interface:
//   Membership    heartbeats and leadership (membership.h)
//   EventPump     event log catch-up and resync (event_pump.h, resync.cc)
//   ConfigFiles   the config directory and the reload hook (config_files.h)
//   TaskWorker    claims and runs tasks (task_worker.h)
//   HealthServer  GET /health and /status (health.h)
// The Agent wires them to the Client, holds the drain state, and shuts down.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/config_files.h"
#include "agent/event_pump.h"
#include "agent/health.h"
#include "agent/hooks.h"
#include "agent/membership.h"
#include "agent/task_worker.h"
#include "suma/client.h"

struct event_base;
struct event;

namespace suma::agent {

class Agent {
 public:
  Agent(event_base* base, Config config);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Binds the health endpoint and loads the state; false (with a message)
  // when the agent cannot run.
  [[nodiscard]] bool Init(std::string* error);
  void Start();

 private:
  void OnReady();
  void OnLost(const std::string& reason);
  void ReadDrainState();
  void SetDrained(bool drained, const char* source);
  void RunMessageHook(int64_t seq, const std::string& data);
  HealthSnapshot Snapshot() const;
  void Shutdown(const char* signal_name);
  void Exit();
  static void OnSignal(int, short, void* arg);
  static void OnExitTimer(int, short, void* arg);

  event_base* base_;
  Config cfg_;
  Client client_;
  HookReaper reaper_;
  HookQueue leader_hooks_, config_hooks_, message_hooks_, task_hooks_;
  ConfigFiles files_;
  Membership membership_;
  EventPump pump_;
  TaskWorker tasks_;
  HealthServer health_;

  event* exit_timer_ = nullptr;
  std::vector<event*> signals_;
  std::optional<bool> drained_;  // unknown until first read
  bool stopping_ = false;
};

}  // namespace suma::agent
