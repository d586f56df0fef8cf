// /entrypoint of the suma image: PID 1 of a FROM scratch container (no shell).
//
// Starts redis-server with sumavlib (configuration on stdin, see settings.h)
// and suma-console, forwards SIGTERM/SIGINT to both, reaps every child, and
// exits with redis-server's status when it stops. If only the console dies it
// is restarted after a second: the coordination service must not go down with
// its web page.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "settings.h"

extern char** environ;

namespace entry {
namespace {

constexpr const char* kRedis = "/redis-server";
constexpr const char* kConsole = "/suma-console";

void Log(const std::string& msg) { std::fprintf(stderr, "entrypoint: %s\n", msg.c_str()); }

Env ReadEnv() {
  Env env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, eq - *e)] = eq + 1;
  }
  return env;
}

// fork + exec with the stop signals unblocked again in the child.
// stdin_data, when given, is written to the child's stdin through a pipe.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& envv,
            const std::string* stdin_data, const sigset_t& blocked) {
  int fds[2] = {-1, -1};
  if (stdin_data && pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    sigprocmask(SIG_UNBLOCK, &blocked, nullptr);
    if (stdin_data) dup2(fds[0], 0);
    std::vector<char*> a, e;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : envv) e.push_back(const_cast<char*>(s.c_str()));
    e.push_back(nullptr);
    execve(a[0], a.data(), e.data());
    std::fprintf(stderr, "entrypoint: exec %s: %s\n", a[0], std::strerror(errno));
    _exit(127);
  }
  if (stdin_data) {
    close(fds[0]);
    // The config is small (far below the pipe buffer), so this never blocks.
    size_t off = 0;
    while (pid > 0 && off < stdin_data->size()) {
      ssize_t n = write(fds[1], stdin_data->data() + off, stdin_data->size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
  }
  return pid;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace
}  // namespace entry

int main(int argc, char** argv) {
  using namespace entry;
  Settings s;
  std::string err;
  if (!LoadSettings(ReadEnv(), std::vector<std::string>(argv + 1, argv + argc), &s, &err)) {
    Log("refusing to start: " + err);
    return 2;
  }
  sigset_t blocked;
  sigemptyset(&blocked);
  for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGHUP}) sigaddset(&blocked, sig);
  sigprocmask(SIG_BLOCK, &blocked, nullptr);

  std::string conf = RedisConfig(s);
  std::vector<std::string> redis_argv = {kRedis, "-"};
  redis_argv.insert(redis_argv.end(), s.redis_extra.begin(), s.redis_extra.end());
  // Redis gets no secrets in its environment; the console gets only its own.
  std::vector<std::string> base_env = {"PATH=/"};
  pid_t redis = Spawn(redis_argv, base_env, &conf, blocked);
  if (redis < 0) {
    Log("cannot start redis-server");
    return 1;
  }
  std::vector<std::string> console_env = base_env;
  for (const auto& e : ConsoleEnv(s)) console_env.push_back(e);
  pid_t console = Spawn({kConsole}, console_env, nullptr, blocked);
  Log("started: RESP on " + s.bind + ":" + std::to_string(s.resp_port) + ", console on " + s.bind +
      ":" + std::to_string(s.console_port) + ", tenant " +
      (s.owner.empty() ? "(none)" : s.owner + "_" + s.business) + ", " +
      (s.data_dir.empty() ? "no persistence" : "data in " + s.data_dir) +
      (s.local_ip.empty() ? "" : ", announced as " + s.local_ip + ":" + s.apollo_port) +
      ", type " + s.container_type);

  bool stopping = false;
  timespec console_restart_at{0, 0};
  for (;;) {
    siginfo_t info{};
    timespec tick{1, 0};
    int sig = sigtimedwait(&blocked, &info, &tick);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
      if (sig == SIGHUP) continue;
      stopping = true;
      kill(redis, SIGTERM);
      if (console > 0) kill(console, SIGTERM);
    }
    // Reap everything: as PID 1 we also inherit orphans.
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == redis) {
        if (console > 0) kill(console, SIGTERM);
        if (console > 0) waitpid(console, nullptr, 0);
        int code = ExitCode(status);
        Log("redis-server exited with " + std::to_string(code));
        return stopping ? (code == 0 ? 0 : code) : (code == 0 ? 1 : code);
      }
      if (pid == console) {
        console = -1;
        if (!stopping) {
          Log("suma-console exited with " + std::to_string(ExitCode(status)) + "; restarting in 1 s");
          clock_gettime(CLOCK_MONOTONIC, &console_restart_at);
          console_restart_at.tv_sec += 1;
        }
      }
    }
    if (console < 0 && !stopping && console_restart_at.tv_sec) {
      timespec now{};
      clock_gettime(CLOCK_MONOTONIC, &now);
      if (now.tv_sec >= console_restart_at.tv_sec) {
        console = Spawn({kConsole}, console_env, nullptr, blocked);
        console_restart_at = {0, 0};
      }
    }
  }
}
