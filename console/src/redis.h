// A small synchronous Redis client over hiredis, one connection per user.
//
// Contract: Connect() dials, authenticates (AUTH [user] password) and returns a
// connection, or throws RedisError. Command() and Pipeline() return owned
// replies; an error *reply* is a Reply of kind kError (not an exception), an
// I/O or protocol failure throws RedisError and leaves the connection unusable.
// Not thread-safe: use one connection per thread (the console opens one per
// HTTP request, which on loopback costs well under a millisecond).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

struct redisContext;

namespace console {

struct RedisTarget {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // ACL user; empty = "default"
  std::string password;  // empty = no AUTH
  int timeout_ms = 5000;
};

class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Reply {
  enum Kind { kNil, kInt, kStr, kStatus, kError, kArray };
  Kind kind = kNil;
  long long integer = 0;
  std::string str;  // kStr, kStatus, kError
  std::vector<Reply> elems;

  bool nil() const { return kind == kNil; }
  bool error() const { return kind == kError; }
  // Integer value of an integer reply or a numeric string; `def` otherwise.
  long long AsInt(long long def = 0) const;
  // Element i, or a nil reply when out of range / not an array.
  const Reply& at(size_t i) const;
};

using Argv = std::vector<std::string>;

class RedisConn {
 public:
  static RedisConn Connect(const RedisTarget& t);
  RedisConn(RedisConn&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  RedisConn& operator=(RedisConn&&) = delete;
  RedisConn(const RedisConn&) = delete;
  ~RedisConn();

  [[nodiscard]] Reply Command(const Argv& argv);
  // Sends every command, then reads every reply (one round trip).
  [[nodiscard]] std::vector<Reply> Pipeline(const std::vector<Argv>& cmds);
  // Sends a command without waiting for its reply (pub/sub: the reply arrives
  // through ReadPush like any pushed message).
  void Send(const Argv& argv);
  // For the pub/sub reader: waits up to the read timeout for the next pushed
  // message. Returns false on timeout (connection still usable); throws on
  // other failures.
  [[nodiscard]] bool ReadPush(Reply* out);
  void SetReadTimeout(int ms);

 private:
  explicit RedisConn(redisContext* c) : c_(c) {}
  redisContext* c_;
};

}  // namespace console
