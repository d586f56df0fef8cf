#include "agent/log.h"

#include <unistd.h>

namespace suma::agent {
namespace {

Level g_level = Level::Info;

const char* Name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

}  // namespace

bool ParseLevel(std::string_view text, Level* out) {
  for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error})
    if (text == Name(l)) {
      *out = l;
      return true;
    }
  return false;
}

void SetLevel(Level level) { g_level = level; }

Log::Log(Level level, std::string_view event) : on_(level >= g_level) {
  if (!on_) return;
  line_ = "level=";
  line_ += Name(level);
  line_ += " event=";
  line_ += event;
}

Log& Log::Kv(std::string_view key, std::string_view value) {
  if (!on_) return *this;
  line_ += ' ';
  line_ += key;
  line_ += '=';
  bool quote = value.empty() || value.find_first_of(" \"=\\\t\n") != std::string_view::npos;
  if (!quote) {
    line_ += value;
    return *this;
  }
  line_ += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') line_ += '\\';
    if (c == '\n') {
      line_ += "\\n";
      continue;
    }
    line_ += c;
  }
  line_ += '"';
  return *this;
}

Log& Log::Pairs(std::string_view pairs) {
  if (on_) {
    line_ += ' ';
    line_ += pairs;
  }
  return *this;
}

Log& Log::Kv(std::string_view key, long long value) { return Kv(key, std::to_string(value)); }

Log::~Log() {
  if (!on_) return;
  line_ += '\n';
  ssize_t n = ::write(STDERR_FILENO, line_.data(), line_.size());
  (void)n;
}

}  // namespace suma::agent
