// /entrypoint of the suma image: PID 1 of a FROM scratch container (no shell).
//
//   /entrypoint [redis-server options...]   run the server (the image's ENTRYPOINT)
//   /entrypoint health                      the HEALTHCHECK (health.h)
//
// Refuses to start (exit 2, one line naming the variable) on a missing or
// invalid setting. Started as root (the default), it hands /data and the log
// directory to uid/gid SUMA_UID (10001) and drops to it before anything else runs;
// started as another user (--user), it runs as that user. It starts
// redis-server with sumavlib (configuration on stdin, see settings.h) and
// suma-console, forwards stop signals to them (and the others to Redis),
// reaps every child, and exits with redis-server's status when it stops. If
// only the console dies it is restarted after a second: the coordination
// service must not go down with its web page. Logs go to stdout; when the
// log directory is mounted, also to redis.log and console.log there (logs.h).
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "health.h"
#include "logs.h"
#include "memory.h"
#include "settings.h"

extern char** environ;

namespace entry {
namespace {

constexpr const char* kRedis = "/redis-server";
constexpr const char* kConsole = "/suma-console";
uid_t g_uid = 10001;  // Settings::uid, for nftw's callback

void Log(const std::string& msg) { std::fprintf(stderr, "entrypoint: %s\n", msg.c_str()); }

Env ReadEnv() {
  Env env;
  for (char** e = environ; *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, eq - *e)] = eq + 1;
  }
  return env;
}

int ChownEntry(const char* path, const struct stat*, int, FTW*) {
  if (lchown(path, g_uid, g_uid) != 0) Log(std::string("cannot chown ") + path + ": " + std::strerror(errno));
  return 0;
}

// Root only: the volume and the log directory become the server user's (a
// fresh bind mount is root's), then root is given up for good.
bool DropRoot(const Settings& s, std::string* err) {
  g_uid = s.uid;
  for (const std::string& dir : {s.data_dir, s.log_dir})
    if (!dir.empty()) nftw(dir.c_str(), ChownEntry, 16, FTW_PHYS);
  if (setgroups(0, nullptr) != 0 || setgid(s.uid) != 0 || setuid(s.uid) != 0) {
    *err = std::string("cannot switch to uid ") + std::to_string(s.uid) + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

// fork + exec with the signal mask cleared in the child; stdin_data, when
// given, is written to the child's stdin through a pipe; out_fd, when >= 0,
// becomes the child's stdout and stderr.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& envv,
            const std::string* stdin_data, int out_fd) {
  int fds[2] = {-1, -1};
  if (stdin_data && pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (stdin_data) dup2(fds[0], 0);
    if (out_fd >= 0) {
      dup2(out_fd, 1);
      dup2(out_fd, 2);
    }
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

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// One child's output: a pipe read here, copied to stdout and to a rotating file.
struct LogTee {
  int read_fd = -1, write_fd = -1;
  std::unique_ptr<RotatingFile> file;

  bool Open(const std::string& path, const Settings& s) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read_fd = fds[0];
    write_fd = fds[1];
    fcntl(read_fd, F_SETFL, O_NONBLOCK);
    file = std::make_unique<RotatingFile>(path, s.log_max_bytes, s.log_files);
    if (!file->ok()) Log("cannot write " + path + ": " + std::strerror(errno) + "; stdout only");
    return true;
  }
  // Copies what is buffered now (never blocks).
  void Drain() {
    char buf[16384];
    ssize_t n;
    while ((n = read(read_fd, buf, sizeof buf)) > 0) {
      WriteAll(1, buf, static_cast<size_t>(n));
      file->Write(buf, static_cast<size_t>(n));
    }
  }
};

std::string Describe(const Settings& s) {
  return "RESP on " + s.bind + ":" + std::to_string(s.resp_port) + ", console on " + s.bind + ":" +
         std::to_string(s.console_port) + ", tenant " +
         (s.owner.empty() ? "(none)" : s.owner + "_" + s.business) + ", " +
         (s.data_dir.empty() ? "no persistence" : "data in " + s.data_dir) + ", maxmemory " +
         (s.maxmemory.empty() ? "none" : s.maxmemory) + " (noeviction)" +
         (s.local_ip.empty() ? "" : ", announced as " + s.local_ip + ":" + s.apollo_port) +
         ", type " + s.container_type + ", uid " + std::to_string(getuid()) +
         (s.log_dir.empty() ? "" : ", logs also in " + s.log_dir);
}

}  // namespace
}  // namespace entry

int main(int argc, char** argv) {
  using namespace entry;
  Settings s;
  std::string err;
  bool health = argc == 2 && std::strcmp(argv[1], "health") == 0;
  if (!LoadSettings(ReadEnv(), std::vector<std::string>(argv + 1, argv + argc), &s, &err)) {
    if (health) return std::printf("unhealthy: %s\n", err.c_str()), 1;
    Log("refusing to start: " + err);
    return 2;
  }
  if (health) return HealthCheck(s);

  if (geteuid() == 0 && !DropRoot(s, &err)) {
    Log("refusing to start: " + err);
    return 2;
  }
  if (!s.data_dir.empty() && access(s.data_dir.c_str(), W_OK | X_OK) != 0) {
    Log("refusing to start: the data directory " + s.data_dir + " is not writable by uid " +
        std::to_string(getuid()) + " (give it to that user, e.g. chown " + std::to_string(getuid()) +
        ", or use a named volume)");
    return 2;
  }
  if (!s.log_dir.empty() && access(s.log_dir.c_str(), W_OK | X_OK) != 0) {
    Log("cannot write to " + s.log_dir + " as uid " + std::to_string(getuid()) + "; logs go to stdout only");
    s.log_dir.clear();
  }
  if (s.maxmemory.empty()) {
    if (auto limit = CgroupMemoryLimit()) s.maxmemory = std::to_string(MaxMemoryFor(*limit));
  }

  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGTERM, SIGINT, SIGQUIT, SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&handled, sig);
  sigprocmask(SIG_BLOCK, &handled, nullptr);
  int sigfd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);

  LogTee redis_log, console_log;
  if (!s.log_dir.empty()) {
    redis_log.Open(s.log_dir + "/redis.log", s);
    console_log.Open(s.log_dir + "/console.log", s);
  }
  std::string conf = RedisConfig(s);
  std::vector<std::string> redis_argv = {kRedis, "-"};
  redis_argv.insert(redis_argv.end(), s.redis_extra.begin(), s.redis_extra.end());
  // Redis gets no secrets in its environment; the console gets only its own.
  std::vector<std::string> base_env = {"PATH=/"};
  pid_t redis = Spawn(redis_argv, base_env, &conf, redis_log.write_fd);
  if (redis < 0) {
    Log("cannot start redis-server");
    return 1;
  }
  std::vector<std::string> console_env = base_env;
  for (const auto& e : ConsoleEnv(s)) console_env.push_back(e);
  pid_t console = Spawn({kConsole}, console_env, nullptr, console_log.write_fd);
  Log("started: " + Describe(s));

  bool stopping = false;
  timespec console_restart_at{0, 0};
  for (;;) {
    pollfd fds[3] = {{sigfd, POLLIN, 0}, {redis_log.read_fd, POLLIN, 0}, {console_log.read_fd, POLLIN, 0}};
    poll(fds, 3, 1000);
    if (redis_log.file) redis_log.Drain();
    if (console_log.file) console_log.Drain();
    signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) == sizeof si) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) continue;
      // Every other signal is Redis's to handle (it ignores SIGHUP, SIGUSR1
      // kills its fork child); stop signals also stop the console.
      kill(redis, sig);
      if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
        if (!stopping) Log(std::string("received ") + strsignal(sig) + ", stopping redis-server");
        stopping = true;
        if (console > 0) kill(console, SIGTERM);
      }
    }
    // Reap everything: as PID 1 we also inherit orphans.
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == redis) {
        if (console > 0) {
          kill(console, SIGTERM);
          for (int i = 0; i < 200 && waitpid(console, nullptr, WNOHANG) == 0; ++i) usleep(10000);
          kill(console, SIGKILL);
          waitpid(console, nullptr, WNOHANG);
        }
        if (redis_log.file) redis_log.Drain();
        if (console_log.file) console_log.Drain();
        int code = ExitCode(status);
        Log("redis-server exited with " + std::to_string(code));
        return stopping ? code : (code == 0 ? 1 : code);
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
        console = Spawn({kConsole}, console_env, nullptr, console_log.write_fd);
        console_restart_at = {0, 0};
      }
    }
  }
}
