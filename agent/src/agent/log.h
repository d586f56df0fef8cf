// Log lines for journald and container logs: one line per event on stderr,
//   level=info event=leader.elected group=g vip=10.0.0.7:9001 epoch=3
// written with a single write() so concurrent hook output cannot split it.
// No timestamp: journald and container runtimes add their own.
#pragma once

#include <string>
#include <string_view>

namespace suma::agent {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

[[nodiscard]] bool ParseLevel(std::string_view text, Level* out);
void SetLevel(Level level);

// A line under construction: Log(Level::Info, "hook.done").Kv("exit", 0);
// the line is written when the object goes out of scope.
class Log {
 public:
  Log(Level level, std::string_view event);
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  // Values with spaces, quotes or '=' are quoted with \" and \\ escapes.
  Log& Kv(std::string_view key, std::string_view value);
  Log& Kv(std::string_view key, const std::string& value) { return Kv(key, std::string_view(value)); }
  Log& Kv(std::string_view key, const char* value) { return Kv(key, std::string_view(value)); }
  Log& Kv(std::string_view key, long long value);
  Log& Kv(std::string_view key, long value) { return Kv(key, static_cast<long long>(value)); }
  Log& Kv(std::string_view key, int value) { return Kv(key, static_cast<long long>(value)); }
  Log& Kv(std::string_view key, bool value) { return Kv(key, value ? "true" : "false"); }
  // Appends already formatted key=value pairs.
  Log& Pairs(std::string_view pairs);

 private:
  bool on_;
  std::string line_;
};

}  // namespace suma::agent
