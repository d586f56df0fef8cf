// Task worker: one task at a time. Claim, run the hook with the payload, ACK
// on exit 0. On any other exit the agent does nothing: the claim lease lapses
// and the queue hands the task out again (at-least-once). While the hook
// runs, the claim is extended every half lease so a slow but healthy hook
// keeps its task. Idle without an on-task hook.
#pragma once

#include <cstdint>

#include "agent/config.h"
#include "agent/hooks.h"
#include "suma/client.h"

struct event_base;
struct event;

namespace suma::agent {

class TaskWorker {
 public:
  TaskWorker(event_base* base, const Config& cfg, Client& client, HookQueue& hooks);
  ~TaskWorker();
  TaskWorker(const TaskWorker&) = delete;
  TaskWorker& operator=(const TaskWorker&) = delete;

  // Looks for a task now unless one is running (a push event, a reconnect).
  void Poke();
  void Stop();

 private:
  void SchedulePoll();
  void Extend();
  static void OnPollTimer(int, short, void* arg);
  static void OnExtendTimer(int, short, void* arg);

  const Config& cfg_;
  Client& client_;
  HookQueue& hooks_;
  event* poll_timer_;
  event* extend_timer_;
  bool stopping_ = false;
  bool busy_ = false;
  int64_t task_id_ = 0;
};

}  // namespace suma::agent
