#include "agent/agent.h"

#include <event2/event.h>
#include <signal.h>

#include "agent/log.h"
#include "suma_version.h"

namespace suma::agent {

Agent::Agent(event_base* base, Config config)
    : base_(base),
      cfg_(std::move(config)),
      client_(base, cfg_.client),
      reaper_(base),
      leader_hooks_(base, "leader", cfg_.hook_timeout_ms),
      config_hooks_(base, "config", cfg_.hook_timeout_ms),
      message_hooks_(base, "message", cfg_.hook_timeout_ms),
      task_hooks_(base, "task", cfg_.hook_timeout_ms),
      files_(cfg_, config_hooks_),
      membership_(base, cfg_, client_, leader_hooks_),
      pump_(base, cfg_, client_, files_,
            EventHandlers{
                [this](bool drained) { SetDrained(drained, "event"); },
                [this](int64_t seq, const std::string& data) { RunMessageHook(seq, data); },
                [this] { tasks_.Poke(); },
                [this](const std::string& vip, int64_t epoch) { membership_.OnLeaderEvent(vip, epoch); },
                [this](const std::string& vip, int64_t epoch) { membership_.OnResignEvent(vip, epoch); },
            }),
      tasks_(base, cfg_, client_, task_hooks_),
      health_(base, [this] { return Snapshot(); }) {
  for (HookQueue* q : {&leader_hooks_, &config_hooks_, &message_hooks_, &task_hooks_})
    reaper_.Add(q);
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
  event_free(exit_timer_);
  for (event* e : signals_) event_free(e);
}

bool Agent::Init(std::string* error) {
  pump_.Load();
  if (cfg_.health_listen.empty()) return true;
  return health_.Listen(cfg_.health_listen, error);
}

void Agent::Start() {
  Log(Level::Info, "agent.start")
      .Kv("version", kVersion)
      .Kv("group", cfg_.group)
      .Kv("vip", cfg_.vip)
      .Kv("server", cfg_.client.server ? cfg_.client.server->str()
                                       : "sentinel:" + cfg_.client.sentinel_master)
      .Kv("config_dir", cfg_.config_dir)
      .Kv("applied_seq", static_cast<long long>(pump_.applied_seq()));
  client_.on_log = [](const std::string& pairs) { Log(Level::Info, "redis").Pairs(pairs); };
  client_.on_ready = [this] { OnReady(); };
  client_.on_lost = [this](const std::string& reason) { OnLost(reason); };
  client_.on_message = [this](const std::string&, const std::string&) { pump_.OnPush(); };
  client_.Start();
  membership_.Start();
}

void Agent::OnReady() {
  if (stopping_) return;
  Log(Level::Info, "server.connected").Kv("server", client_.address());
  membership_.Tick();
  ReadDrainState();
  pump_.OnConnected();
  tasks_.Poke();
}

void Agent::OnLost(const std::string& reason) {
  Log(Level::Warn, "server.lost").Kv("reason", reason);
  // Without the server no renewal can succeed; leading on would be a guess.
  membership_.StepDown("connection lost", false);
}

void Agent::ReadDrainState() {
  client_.GetVipInfo(cfg_.group, cfg_.vip, [this](const Result<VipInfo>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "drain.read_failed").Kv("error", r.error());
      return;
    }
    SetDrained(r->drained, "vip_info");
  });
}

void Agent::SetDrained(bool drained, const char* source) {
  if (drained_ && *drained_ == drained) return;
  drained_ = drained;
  Log(Level::Info, drained ? "traffic.drained" : "traffic.restored").Kv("source", source);
}

void Agent::RunMessageHook(int64_t seq, const std::string& data) {
  Log(Level::Info, "message.received").Kv("seq", static_cast<long long>(seq))
      .Kv("bytes", static_cast<long long>(data.size()));
  if (cfg_.on_message.empty()) return;
  auto env = HookEnv(cfg_, "message");
  env["SUMA_SEQ"] = std::to_string(seq);
  if (data.size() <= 65536) env["SUMA_PAYLOAD"] = data;
  message_hooks_.Run({cfg_.on_message, env, data, nullptr});
}

HealthSnapshot Agent::Snapshot() const {
  HealthSnapshot s;
  s.group = cfg_.group;
  s.vip = cfg_.vip;
  s.server = client_.address();
  s.connected = client_.ready();
  s.leader = membership_.leading();
  s.epoch = membership_.epoch();
  s.drained = drained_;
  s.applied_seq = pump_.applied_seq();
  return s;
}

void Agent::OnSignal(int sig, short, void* arg) {
  static_cast<Agent*>(arg)->Shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

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
  membership_.Stop();
  tasks_.Stop();
  pump_.Stop();
  membership_.StepDown("shutdown", false);
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
