#include "agent/agent.h"

#include <event2/event.h>
#include <event2/http.h>
#include <signal.h>

#include "agent/log.h"

namespace suma::agent {

Agent::Agent(event_base* base, Config config)
    : base_(base),
      cfg_(std::move(config)),
      client_(base, cfg_.client),
      dir_(cfg_.config_dir),
      reaper_(base),
      leader_hooks_(base, "leader", cfg_.hook_timeout_ms),
      config_hooks_(base, "config", cfg_.hook_timeout_ms),
      message_hooks_(base, "message", cfg_.hook_timeout_ms),
      task_hooks_(base, "task", cfg_.hook_timeout_ms) {
  for (HookQueue* q : {&leader_hooks_, &config_hooks_, &message_hooks_, &task_hooks_})
    reaper_.Add(q);
  tick_ = event_new(base_, -1, EV_PERSIST, OnTick, this);
  lease_end_ = evtimer_new(base_, OnLeaseEnd, this);
  task_timer_ = evtimer_new(base_, OnTaskTimer, this);
  task_extend_ = event_new(base_, -1, EV_PERSIST, OnTaskExtend, this);
  exit_timer_ = evtimer_new(base_, OnExitTimer, this);
  for (int sig : {SIGTERM, SIGINT}) {
    event* e = evsignal_new(base_, sig, OnSignal, this);
    event_add(e, nullptr);
    signals_.push_back(e);
  }
  // A hook closing its end of a pipe must not kill the agent.
  signal(SIGPIPE, SIG_IGN);
}

Agent::~Agent() {
  client_.on_lost = nullptr;
  client_.Stop();
  for (event* e : {tick_, lease_end_, task_timer_, task_extend_, exit_timer_}) event_free(e);
  for (event* e : signals_) event_free(e);
  if (http_) evhttp_free(http_);
}

bool Agent::Init(std::string* error) {
  std::string err;
  if (dir_.Load(&err)) {
    resync_needed_ = false;
    applied_seq_ = dir_.seq();
    applied_ts_ = dir_.ts();
  }
  return StartHealth(error);
}

void Agent::Start() {
  Log(Level::Info, "agent.start")
      .Kv("group", cfg_.group)
      .Kv("vip", cfg_.vip)
      .Kv("server", cfg_.client.server ? cfg_.client.server->str()
                                       : "sentinel:" + cfg_.client.sentinel_master)
      .Kv("config_dir", cfg_.config_dir)
      .Kv("applied_seq", static_cast<long long>(applied_seq_));
  client_.on_log = [](const std::string& pairs) { Log(Level::Info, "redis").Pairs(pairs); };
  client_.on_ready = [this] { OnReady(); };
  client_.on_lost = [this](const std::string& reason) { OnLost(reason); };
  client_.on_message = [this](const std::string&, const std::string&) { Pump(); };
  client_.Start();
  long ms = static_cast<long>(cfg_.renew_interval_ms());
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  event_add(tick_, &tv);
}

void Agent::OnReady() {
  if (stopping_) return;
  Log(Level::Info, "server.connected").Kv("server", client_.address());
  connected_once_ = true;
  Tick();
  ReadDrainState();
  PumpAfterConnect();
  PokeTasks();
}

void Agent::OnLost(const std::string& reason) {
  Log(Level::Warn, "server.lost").Kv("reason", reason);
  // Without the server no renewal can succeed; leading on would be a guess.
  StepDown("connection lost", false);
}

std::map<std::string, std::string> Agent::HookEnv(const char* event) const {
  return {{"SUMA_EVENT", event}, {"SUMA_GROUP", cfg_.group}, {"SUMA_VIP", cfg_.vip}};
}

void Agent::OnSignal(int sig, short, void* arg) {
  static_cast<Agent*>(arg)->Shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

void Agent::OnTick(int, short, void* arg) { static_cast<Agent*>(arg)->Tick(); }
void Agent::OnLeaseEnd(int, short, void* arg) {
  static_cast<Agent*>(arg)->StepDown("lease would lapse before a renewal", true);
}
void Agent::OnTaskTimer(int, short, void* arg) { static_cast<Agent*>(arg)->PokeTasks(); }
void Agent::OnExitTimer(int, short, void* arg) {
  Log(Level::Warn, "agent.leave_timeout");
  static_cast<Agent*>(arg)->Exit();
}

// Clean goodbye: one suma_vip_leave resigns leadership, leaves the live set
// and requeues our claimed tasks on the server, so others need not wait out
// the TTL. Bounded by the command timeout.
void Agent::Shutdown(const char* signal_name) {
  if (stopping_) return;
  stopping_ = true;
  Log(Level::Info, "agent.stop").Kv("signal", signal_name);
  event_del(tick_);
  event_del(task_timer_);
  event_del(task_extend_);
  StepDown("shutdown", false);
  if (!client_.ready()) return Exit();
  client_.Leave(cfg_.group, cfg_.vip, [this](const Result<bool>& r) {
    if (r.ok())
      Log(Level::Info, "group.left").Kv("was_member", *r);
    else
      Log(Level::Warn, "group.leave_failed").Kv("error", r.error());
    Exit();
  });
  long ms = cfg_.client.command_timeout_ms;
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  evtimer_add(exit_timer_, &tv);
}

void Agent::Exit() {
  Log(Level::Info, "agent.exit");
  event_base_loopexit(base_, nullptr);
}

}  // namespace suma::agent
