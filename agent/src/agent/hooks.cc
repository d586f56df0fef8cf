#include "agent/hooks.h"

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "agent/log.h"

extern char** environ;

namespace suma::agent {

HookQueue::HookQueue(event_base* base, std::string name, int64_t timeout_ms)
    : base_(base), name_(std::move(name)), timeout_ms_(timeout_ms) {
  timer_ = evtimer_new(base_, OnTimeout, this);
}

HookQueue::~HookQueue() { event_free(timer_); }

void HookQueue::Run(HookCall call) {
  queue_.push_back(std::move(call));
  if (pid_ == 0) StartNext();
}

namespace {

// stdin for the hook: an unlinked temp file holding the input.
int InputFd(const std::string& input) {
  char path[] = "/tmp/suma-hook-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  unlink(path);
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = write(fd, input.data() + off, input.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

void HookQueue::StartNext() {
  while (pid_ == 0 && !queue_.empty()) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    std::vector<std::string> env_strings;
    for (char** e = environ; e && *e; ++e) {
      std::string s = *e;
      std::string name = s.substr(0, s.find('='));
      // Hooks need no credentials of the agent's.
      if (name == "SUMA_PASSWORD" || name == "SUMA_SENTINEL_PASSWORD") continue;
      if (!current_.env.count(name)) env_strings.push_back(s);
    }
    for (auto& [k, v] : current_.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    char* argv[] = {current_.path.data(), nullptr};

    int fd = InputFd(current_.input);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (fd >= 0) posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The agent ignores SIGPIPE, and an ignored signal stays ignored across
    // exec: give the hook the default, as a shell started it would have.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, current_.path.c_str(), &fa, &attr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (fd >= 0) close(fd);
    if (rc != 0) {
      Log(Level::Error, "hook.failed").Kv("hook", name_).Kv("path", current_.path).Kv("error", strerror(rc));
      auto done = std::move(current_.done);
      if (done) done(-1);
      continue;
    }
    pid_ = pid;
    Log(Level::Debug, "hook.start").Kv("hook", name_).Kv("pid", static_cast<long long>(pid));
    timeval tv{static_cast<time_t>(timeout_ms_ / 1000), static_cast<suseconds_t>((timeout_ms_ % 1000) * 1000)};
    evtimer_add(timer_, &tv);
  }
}

bool HookQueue::Reaped(pid_t pid, int status) {
  if (pid == 0 || pid != pid_) return false;
  pid_ = 0;
  evtimer_del(timer_);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  Log(code == 0 ? Level::Debug : Level::Warn, "hook.exit").Kv("hook", name_).Kv("exit", code);
  auto done = std::move(current_.done);
  if (done) done(code);
  StartNext();
  return true;
}

void HookQueue::OnTimeout(int, short, void* arg) {
  auto* self = static_cast<HookQueue*>(arg);
  if (self->pid_ == 0) return;
  Log(Level::Warn, "hook.timeout").Kv("hook", self->name_).Kv("timeout_ms", static_cast<long long>(self->timeout_ms_));
  kill(self->pid_, SIGKILL);
}

HookReaper::HookReaper(event_base* base) {
  ev_ = evsignal_new(base, SIGCHLD, OnSigchld, this);
  event_add(ev_, nullptr);
}

HookReaper::~HookReaper() { event_free(ev_); }

void HookReaper::OnSigchld(int, short, void* arg) {
  auto* self = static_cast<HookReaper*>(arg);
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
    for (HookQueue* q : self->queues_)
      if (q->Reaped(pid, status)) break;
}

}  // namespace suma::agent
