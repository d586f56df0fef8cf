#include "agent/task_worker.h"

#include <event2/event.h>

#include "agent/log.h"

namespace suma::agent {

TaskWorker::TaskWorker(event_base* base, const Config& cfg, Client& client, HookQueue& hooks)
    : cfg_(cfg), client_(client), hooks_(hooks) {
  poll_timer_ = evtimer_new(base, OnPollTimer, this);
  extend_timer_ = event_new(base, -1, EV_PERSIST, OnExtendTimer, this);
}

TaskWorker::~TaskWorker() {
  event_free(poll_timer_);
  event_free(extend_timer_);
}

void TaskWorker::Stop() {
  stopping_ = true;
  event_del(poll_timer_);
  event_del(extend_timer_);
}

void TaskWorker::OnPollTimer(int, short, void* arg) { static_cast<TaskWorker*>(arg)->Poke(); }
void TaskWorker::OnExtendTimer(int, short, void* arg) { static_cast<TaskWorker*>(arg)->Extend(); }

void TaskWorker::SchedulePoll() {
  if (stopping_) return;
  long ms = static_cast<long>(cfg_.task_poll_ms);
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  evtimer_add(poll_timer_, &tv);
}

void TaskWorker::Poke() {
  if (cfg_.on_task.empty() || stopping_ || busy_ || !client_.ready()) return;
  busy_ = true;
  evtimer_del(poll_timer_);
  client_.TaskClaim(cfg_.group, cfg_.vip, cfg_.task_lease_ms,
                    [this](const Result<std::optional<Task>>& r) {
    if (!r.ok() || !*r) {
      if (!r.ok()) Log(Level::Warn, "task.claim_failed").Kv("error", r.error());
      busy_ = false;
      return SchedulePoll();
    }
    Task t = **r;
    task_id_ = t.id;
    Log(Level::Info, "task.claimed").Kv("id", static_cast<long long>(t.id)).Kv("attempt", static_cast<long long>(t.attempt));
    auto env = HookEnv(cfg_, "task");
    env["SUMA_TASK_ID"] = std::to_string(t.id);
    env["SUMA_TASK_ATTEMPT"] = std::to_string(t.attempt);
    if (t.payload.size() <= 65536) env["SUMA_PAYLOAD"] = t.payload;
    long half = static_cast<long>(cfg_.task_lease_ms / 2);
    timeval tv{half / 1000, (half % 1000) * 1000};
    event_add(extend_timer_, &tv);
    hooks_.Run({cfg_.on_task, env, t.payload, [this, t](int code) {
      event_del(extend_timer_);
      if (code != 0) {
        Log(Level::Warn, "task.failed").Kv("id", static_cast<long long>(t.id)).Kv("exit", code)
            .Kv("attempt", static_cast<long long>(t.attempt));
        busy_ = false;
        return SchedulePoll();
      }
      client_.TaskAck(cfg_.group, t.id, cfg_.vip, [this, t](const Result<bool>& r) {
        if (!r.ok())
          Log(Level::Warn, "task.ack_failed").Kv("id", static_cast<long long>(t.id)).Kv("error", r.error());
        else
          Log(*r ? Level::Info : Level::Warn, *r ? "task.acked" : "task.ack_refused")
              .Kv("id", static_cast<long long>(t.id));
        busy_ = false;
        Poke();
      });
    }});
  });
}

void TaskWorker::Extend() {
  int64_t id = task_id_;
  client_.TaskExtend(cfg_.group, id, cfg_.vip, cfg_.task_lease_ms, [id](const Result<bool>& r) {
    if (!r.ok() || !*r)
      Log(Level::Warn, "task.extend_failed").Kv("id", static_cast<long long>(id))
          .Kv("error", r.ok() ? "not claimed by this host" : r.error());
  });
}

}  // namespace suma::agent
