// One hiredis asynchronous connection attached to a libevent loop.
//
// Contract: Open() reports its outcome once through `opened`; afterwards
// `dropped` runs once if the link fails (not after Close()). Every Send()
// callback runs exactly once, always from the event loop and never inside
// Send() or Close(): with the reply, or with an error reply when the link is
// closed or fails first. Subscribe() callbacks run once per pubsub message.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "suma/reply.h"

struct event_base;
struct redisAsyncContext;

namespace suma {

class Conn {
 public:
  using Clock = std::chrono::steady_clock;
  using ReplyFn = std::function<void(const Reply&)>;

  explicit Conn(event_base* base) : base_(base) {}
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void Open(const std::string& host, int port, std::function<void(const std::string& err)> opened,
            std::function<void(const std::string& why)> dropped);
  void Send(const std::vector<std::string>& argv, ReplyFn cb);
  void Subscribe(const std::string& channel, std::function<void(const std::string&)> on_payload);
  // Frees the link; pending callbacks get `why` as an error.
  void Close(const std::string& why = "ERR connection lost");
  bool open() const { return ac_ != nullptr && connected_; }
  // Send time of the oldest command still waiting for its reply.
  bool oldest_pending(Clock::time_point* t) const;

  // Runs fn on the next loop iteration (used for all error deliveries).
  static void Defer(event_base* base, std::function<void()> fn, int delay_ms = 0);

 private:
  struct Pending;
  static void OnReply(redisAsyncContext* ac, void* r, void* priv);
  static void OnConnect(const redisAsyncContext* ac, int status);
  static void OnDisconnect(const redisAsyncContext* ac, int status);
  void Detach(const std::string& why);

  event_base* base_;
  redisAsyncContext* ac_ = nullptr;
  bool connected_ = false;
  std::function<void(const std::string&)> opened_, dropped_;
  std::unordered_set<Pending*> pending_;
  std::deque<Clock::time_point> sent_;  // replies arrive in order
};

}  // namespace suma
