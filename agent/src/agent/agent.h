// The suma-agent daemon: one event loop, one Client, and the host's duties
// in its group. Split by duty: agent.cc (wiring, signals, shutdown),
// membership.cc (heartbeats and leadership), events.cc (event log catch-up,
// drain state, config files, messages), resync.cc, tasks.cc, health.cc.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/config_dir.h"
#include "agent/hooks.h"
#include "suma/client.h"

struct event_base;
struct event;
struct evhttp;
struct evhttp_request;

namespace suma::agent {

class Agent {
 public:
  using Clock = std::chrono::steady_clock;

  Agent(event_base* base, Config config);
  ~Agent();
  // Binds the health endpoint and loads the state; false (with a message)
  // when the agent cannot run.
  bool Init(std::string* error);
  void Start();

 private:
  // agent.cc
  void OnReady();
  void OnLost(const std::string& reason);
  void Shutdown(const char* signal_name);
  void Exit();
  std::map<std::string, std::string> HookEnv(const char* event) const;
  static void OnSignal(int, short, void* arg);
  static void OnTick(int, short, void* arg);
  static void OnLeaseEnd(int, short, void* arg);
  static void OnTaskTimer(int, short, void* arg);
  static void OnExitTimer(int, short, void* arg);

  // membership.cc
  void Tick();
  void Claim(bool renewal);
  void BecomeLeader(int64_t epoch);
  void StepDown(const std::string& reason, bool resign);

  // events.cc and resync.cc
  void ReadDrainState();
  void Pump();
  void PumpAfterConnect();
  void PumpBatch(std::shared_ptr<std::vector<std::string>> events, size_t i);
  void FinishBatch(bool more);
  void AbortRound();
  void Resync();
  void SkipToHead(int64_t from, std::function<void(bool ok, int64_t head, int64_t ts)> done,
                  int64_t from_ts = 0);
  void DeleteGone(std::vector<std::string> keys, size_t i, std::function<void()> done);
  void SyncKeys(std::vector<std::string> keys, size_t i, bool by_content,
                std::function<void()> done);
  // False when the file could not be written or removed (logged).
  bool ApplyValue(const std::string& key, const std::string& value, int64_t version,
                  bool quiet);
  bool ApplyDelete(const std::string& key, int64_t version);
  void HandleEvent(const std::string& json, std::function<void()> next);
  void SaveState();
  void MarkApplied(int64_t seq, int64_t ts) {
    applied_seq_ = seq;
    applied_ts_ = ts;
  }
  void SetDrained(bool drained, const char* source);

  // tasks.cc
  void PokeTasks();
  void ScheduleTaskPoll();
  void ExtendTask(int64_t id);

  // health.cc
  bool StartHealth(std::string* error);
  static void OnHttp(evhttp_request* req, void* arg);
  std::string StatusJson() const;

  event_base* base_;
  Config cfg_;
  Client client_;
  ConfigDir dir_;
  HookReaper reaper_;
  HookQueue leader_hooks_, config_hooks_, message_hooks_, task_hooks_;

  event* tick_ = nullptr;
  event* lease_end_ = nullptr;
  event* task_timer_ = nullptr;
  event* exit_timer_ = nullptr;
  std::vector<event*> signals_;
  evhttp* http_ = nullptr;

  // Membership and leadership.
  bool leading_ = false;
  int64_t epoch_ = 0;
  Clock::time_point lease_deadline_;
  bool claim_in_flight_ = false;
  uint64_t tenure_gen_ = 0;  // bumped on step-down: late renewal replies are void
  std::string leader_vip_;
  bool stopping_ = false;

  // Event log position and drain state.
  std::optional<bool> drained_;  // unknown until first read
  int64_t applied_seq_ = 0;
  int64_t applied_ts_ = 0;  // ts of that event: tells a restarted log apart
  bool resync_needed_ = true;  // no state yet, or the log cannot bridge the gap
  bool forget_versions_ = false;  // the server lost data: versions restarted
  bool pumping_ = false;
  bool pump_again_ = false;
  bool connected_once_ = false;

  // Tasks.
  bool task_busy_ = false;
  int64_t task_id_ = 0;
  event* task_extend_ = nullptr;
  static void OnTaskExtend(int, short, void* arg);
};

}  // namespace suma::agent
