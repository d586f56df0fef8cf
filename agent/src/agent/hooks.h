// Runs hook executables one at a time per queue, off the event loop's back.
//
// Contract: Run() enqueues; hooks of one HookQueue run strictly in order, one
// at a time, so a reload hook never overtakes an older one. `done` gets the
// exit code (128+signal when killed, -1 when it could not start) on the loop.
// The hook inherits the agent's environment (without SUMA_PASSWORD and
// SUMA_SENTINEL_PASSWORD) plus `env`, its stdout/stderr go
// to the agent's, and stdin reads `input` (from an unlinked temp file, so a
// hook that ignores stdin never blocks the agent). A hook running longer than
// the timeout is killed with SIGKILL.
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <map>
#include <vector>
#include <string>

struct event_base;
struct event;

namespace suma::agent {

struct HookCall {
  std::string path;
  std::map<std::string, std::string> env;
  std::string input;
  std::function<void(int exit_code)> done;
};

class HookQueue {
 public:
  HookQueue(event_base* base, std::string name, int64_t timeout_ms);
  ~HookQueue();
  HookQueue(const HookQueue&) = delete;
  HookQueue& operator=(const HookQueue&) = delete;

  void Run(HookCall call);
  bool idle() const { return pid_ == 0 && queue_.empty(); }
  // Called by the SIGCHLD handler for every reaped child.
  bool Reaped(pid_t pid, int status);

 private:
  void StartNext();
  static void OnTimeout(int, short, void* arg);

  event_base* base_;
  std::string name_;
  int64_t timeout_ms_;
  std::deque<HookCall> queue_;
  HookCall current_;
  pid_t pid_ = 0;
  event* timer_;
};

// Reaps children on SIGCHLD and hands each to the queue that started it.
class HookReaper {
 public:
  explicit HookReaper(event_base* base);
  ~HookReaper();
  void Add(HookQueue* q) { queues_.push_back(q); }

 private:
  static void OnSigchld(int, short, void* arg);
  event* ev_;
  std::vector<HookQueue*> queues_;
};

}  // namespace suma::agent
