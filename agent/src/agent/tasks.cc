// Task worker: one task at a time. Claim, run the hook with the payload,
// ACK on exit 0. On any other exit the agent does nothing: the claim lease
// lapses and the queue hands the task out again (at-least-once). While the
// hook runs, the claim is extended every half lease so a slow but healthy
// hook keeps its task.
#include <event2/event.h>

#include "agent/agent.h"
#include "agent/log.h"

namespace suma::agent {

void Agent::ScheduleTaskPoll() {
  if (stopping_) return;
  long ms = static_cast<long>(cfg_.task_poll_ms);
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  evtimer_add(task_timer_, &tv);
}

void Agent::PokeTasks() {
  if (cfg_.on_task.empty() || stopping_ || task_busy_ || !client_.ready()) return;
  task_busy_ = true;
  evtimer_del(task_timer_);
  client_.TaskClaim(cfg_.group, cfg_.vip, cfg_.task_lease_ms,
                    [this](const Result<std::optional<Task>>& r) {
    if (!r.ok() || !*r) {
      if (!r.ok()) Log(Level::Warn, "task.claim_failed").Kv("error", r.error());
      task_busy_ = false;
      return ScheduleTaskPoll();
    }
    Task t = **r;
    task_id_ = t.id;
    Log(Level::Info, "task.claimed").Kv("id", static_cast<long long>(t.id)).Kv("attempt", static_cast<long long>(t.attempt));
    auto env = HookEnv("task");
    env["SUMA_TASK_ID"] = std::to_string(t.id);
    env["SUMA_TASK_ATTEMPT"] = std::to_string(t.attempt);
    if (t.payload.size() <= 65536) env["SUMA_PAYLOAD"] = t.payload;
    long half = static_cast<long>(cfg_.task_lease_ms / 2);
    timeval tv{half / 1000, (half % 1000) * 1000};
    event_add(task_extend_, &tv);
    task_hooks_.Run({cfg_.on_task, env, t.payload, [this, t](int code) {
      event_del(task_extend_);
      if (code != 0) {
        Log(Level::Warn, "task.failed").Kv("id", static_cast<long long>(t.id)).Kv("exit", code)
            .Kv("attempt", static_cast<long long>(t.attempt));
        task_busy_ = false;
        return ScheduleTaskPoll();
      }
      client_.TaskAck(cfg_.group, t.id, cfg_.vip, [this, t](const Result<bool>& r) {
        if (!r.ok())
          Log(Level::Warn, "task.ack_failed").Kv("id", static_cast<long long>(t.id)).Kv("error", r.error());
        else
          Log(*r ? Level::Info : Level::Warn, *r ? "task.acked" : "task.ack_refused")
              .Kv("id", static_cast<long long>(t.id));
        task_busy_ = false;
        PokeTasks();
      });
    }});
  });
}

void Agent::OnTaskExtend(int, short, void* arg) {
  auto* self = static_cast<Agent*>(arg);
  self->ExtendTask(self->task_id_);
}

void Agent::ExtendTask(int64_t id) {
  client_.TaskExtend(cfg_.group, id, cfg_.vip, cfg_.task_lease_ms, [id](const Result<bool>& r) {
    if (!r.ok() || !*r)
      Log(Level::Warn, "task.extend_failed").Kv("id", static_cast<long long>(id))
          .Kv("error", r.ok() ? "not claimed by this host" : r.error());
  });
}

}  // namespace suma::agent
