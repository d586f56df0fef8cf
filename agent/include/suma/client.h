// suma client library: the sumavlib coordination commands over hiredis'
// asynchronous API, driven by a libevent event_base the caller owns.
//
// Usage:
//   event_base* base = event_base_new();
//   suma::ClientOptions o;
//   o.server = suma::Endpoint{"127.0.0.1", 6379};
//   o.channel = "agent.zy_test_channel";          // optional pubsub
//   suma::Client c(base, o);
//   c.on_ready = [&] { c.KeepAlive("agent.zy_test", "10.0.0.7:9001", ...); };
//   c.on_message = [](const std::string& ch, const std::string& json) { ... };
//   c.Start();
//   event_base_dispatch(base);
//
// Contract:
// - Every callback runs on the event loop thread, never re-entrantly from the
//   call that issued the command.
// - Every command callback runs exactly once: with the reply, or with an error
//   ("ERR not connected", "ERR connection lost", "ERR command timeout") when
//   the connection is not ready or goes away while the command is pending.
// - Any transport failure, a command timeout or a READONLY reply (the server
//   became a replica) tears down both connections, calls on_lost, and
//   reconnects after a capped exponential backoff with full jitter. With
//   Sentinel, each attempt asks the sentinels (in turn) for the primary.
// - on_ready runs after each successful (re)connect: AUTH done and, when a
//   channel is set, the subscriber connection subscribed. Pubsub messages
//   sent while disconnected are lost; catch up with Events().
// - Cluster mode (options.cluster, seed nodes): each attempt asks the seeds
//   in turn for CLUSTER SLOTS and connects to the primary of
//   KeySlot(cluster_key): one Client serves the keys of one slot (one
//   group), as the agent does; use a Client per group otherwise. After a
//   MOVED of that slot the next attempt connects to the node it named
//   (asking the seeds again if that fails). A MOVED reply refreshes the map and reconnects,
//   and the command is re-sent there once ready (it fails with "ERR command
//   timeout" if that takes longer than command_timeout_ms); on_lost does not
//   run for this re-route (on_ready does, once connected to the new owner),
//   only if the new owner cannot be reached; an ASK reply
//   runs the command once on the target after ASKING; TRYAGAIN and
//   CLUSTERDOWN are retried with backoff (up to 10 times). Commands inside
//   MULTI are not followed: a redirected transaction fails (EXECABORT) and
//   the map is refreshed. cluster_redirects() counts what was followed.
// - The Client must outlive neither its event_base nor be destroyed from
//   inside one of its own callbacks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "suma/cluster.h"
#include "suma/reply.h"

struct event_base;
struct event;

namespace suma {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};

// Parses "host:port" or "[v6]:port"; nullopt when malformed.
std::optional<Endpoint> ParseEndpoint(const std::string& text);

struct ClientOptions {
  std::optional<Endpoint> server;       // direct connection, or
  std::vector<Endpoint> sentinels;      // Sentinel discovery of sentinel_master
  std::string sentinel_master;
  std::vector<Endpoint> cluster;        // Redis Cluster seed nodes, or
  std::string cluster_key;              // cluster: the key whose slot's primary to use
  std::string sentinel_password;        // AUTH to the sentinels, when set
  std::string username;                 // ACL user (AUTH user pass), optional
  std::string password;                 // AUTH to the server, when set
  std::string channel;                  // pubsub channel to subscribe, optional
  int reconnect_min_ms = 100;           // first retry delay bound
  int reconnect_max_ms = 5000;          // cap of the exponential backoff
  int command_timeout_ms = 3000;        // a reply later than this drops the link
};

struct KeepAliveReply {
  enum class Role { NoLeader, Follower, Leader };
  Role role = Role::NoLeader;
  std::string leader;              // Follower: the leader's vip
  std::vector<std::string> hosts;  // Leader: live undrained vips
};

struct LeaderClaim {
  bool leading = false;
  int64_t epoch = 0;          // the epoch of the current tenure (0: none)
  int64_t lease_left_ms = 0;
};

struct LeaderInfo {
  std::optional<std::string> vip;  // nullopt when nobody leads
  int64_t epoch = 0;
  int64_t lease_left_ms = 0;
};

struct VipInfo {
  std::string state;  // live | drained | offline | unknown
  bool leader = false;
  bool drained = false;
};

struct DiamondValue {
  std::string value;
  int64_t version = 0;
  int64_t ts_ms = 0;
};

struct Task {
  int64_t id = 0;
  std::string payload;
  int64_t attempt = 0;
};

class Conn;

class Client {
 public:
  using ReplyFn = std::function<void(const Reply&)>;
  template <typename T>
  using Fn = std::function<void(const Outcome<T>&)>;

  Client(event_base* base, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Start();  // connect (and keep reconnecting) until Stop()
  void Stop();   // drop the connections; pending commands fail
  bool ready() const { return state_ == State::Ready; }
  // The server currently connected to ("" when none).
  std::string address() const { return ready() ? current_.str() : ""; }
  // Redirections and cluster retries followed so far (cluster mode).
  uint64_t cluster_redirects() const { return redirects_; }

  std::function<void()> on_ready;
  std::function<void(const std::string& reason)> on_lost;
  std::function<void(const std::string& channel, const std::string& payload)> on_message;
  // Connection news worth a log line, as logfmt key=value pairs
  // ("state=connected server=10.0.0.2:6379").
  std::function<void(const std::string& line)> on_log;

  // Any command, e.g. {"sumavlib.suma_vip_kill", "g_channel", "10.0.0.7:9001"}.
  void Command(std::vector<std::string> argv, ReplyFn cb);

  // Typed wrappers; `group` is the bare group name ("agent.zy_test").
  void KeepAlive(const std::string& group, const std::string& vip, Fn<KeepAliveReply> cb);
  // try_leader and leader_info in one MULTI/EXEC, so the epoch is the
  // tenure this call took or renewed.
  void TryLeader(const std::string& group, const std::string& vip, int64_t lease_ms,
                 Fn<LeaderClaim> cb);
  void GetLeaderInfo(const std::string& group, Fn<LeaderInfo> cb);
  void Resign(const std::string& group, const std::string& vip, Fn<bool> cb);
  void GetVipInfo(const std::string& group, const std::string& vip, Fn<VipInfo> cb);
  void Leave(const std::string& group, const std::string& vip, Fn<bool> cb);
  void DiamondGet(const std::string& group, const std::string& key,
                  Fn<std::optional<DiamondValue>> cb);
  // All config keys of the group (pages through CURSOR until done).
  void DiamondListAll(const std::string& group, Fn<std::vector<std::string>> cb);
  // Event JSON strings with seq > after_seq, oldest first.
  void Events(const std::string& group, int64_t after_seq, int count,
              Fn<std::vector<std::string>> cb);
  void TaskClaim(const std::string& group, const std::string& vip, int64_t lease_ms,
                 Fn<std::optional<Task>> cb);
  void TaskAck(const std::string& group, int64_t id, const std::string& vip, Fn<bool> cb);
  void TaskExtend(const std::string& group, int64_t id, const std::string& vip,
                  int64_t lease_ms, Fn<bool> cb);

 private:
  enum class State { Stopped, Waiting, Resolving, Connecting, Ready };

  void Attempt();
  void ResolveVia(size_t sentinel_index, size_t tried);
  void ResolveCluster(size_t seed_index, size_t tried);
  // follow: act on MOVED/ASK/TRYAGAIN/CLUSTERDOWN (never inside MULTI).
  void Send(std::vector<std::string> argv, ReplyFn cb, bool follow, int tries);
  void Ask(const Redirect& to, std::vector<std::string> argv, ReplyFn cb, int tries);
  void FlushParked();
  void ConnectTo(const Endpoint& ep);
  void Fail(const std::string& reason);
  void ScheduleRetry();
  void Log(const std::string& line);
  void Defer(std::function<void()> fn);
  void CheckTimeouts();
  void ListPage(const std::string& group, std::string cursor,
                std::shared_ptr<std::vector<std::string>> acc, Fn<std::vector<std::string>> cb);
  static void OnTimer(int, short, void* arg);
  static void OnWatchdog(int, short, void* arg);

  event_base* base_;
  ClientOptions opt_;
  State state_ = State::Stopped;
  Endpoint current_;
  std::unique_ptr<Conn> cmd_, sub_, sentinel_;
  event* retry_timer_ = nullptr;
  event* watchdog_ = nullptr;
  int failures_ = 0;
  size_t next_sentinel_ = 0;
  uint64_t attempt_id_ = 0;  // invalidates callbacks of abandoned attempts
  std::chrono::steady_clock::time_point attempt_started_;
  std::string last_failure_;
  int repeats_ = 0;
  SlotMap slots_;
  size_t next_seed_ = 0;
  uint64_t redirects_ = 0;
  // False once destroyed: delayed retries (TRYAGAIN backoff) check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<Endpoint> moved_to_;  // where a MOVED of cluster_key's slot pointed
  bool rerouting_ = false;     // the next Fail() follows a MOVED
  bool lost_pending_ = false;  // on_lost owed if the re-route fails
  struct Parked {
    std::vector<std::string> argv;
    ReplyFn cb;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<Parked> parked_;  // MOVED commands waiting for the new owner
};

}  // namespace suma
