// Heartbeats and leadership of this host in its group.
//
// Invariant: leading() is true only while now < the lease deadline, where the
// deadline is measured from when the successful try_leader was SENT (the
// server starts the lease when it receives it, which is no earlier). So the
// agent never believes it leads after the server may have let the lease go.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/config.h"
#include "agent/hooks.h"
#include "suma/client.h"

struct event_base;
struct event;

namespace suma::agent {

class Membership {
 public:
  using Clock = std::chrono::steady_clock;

  Membership(event_base* base, const Config& cfg, Client& client, HookQueue& hooks);
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  void Start();  // heartbeat every renew interval
  void Stop();   // no more heartbeats or claims (shutdown)
  void Tick();   // one heartbeat (or renewal) now, unless one is in flight

  void StepDown(const std::string& reason, bool resign);
  // From the event log: a "leader" event of another vip with a newer epoch,
  // or a "resign" event of ours, ends our tenure.
  void OnLeaderEvent(const std::string& vip, int64_t epoch);
  void OnResignEvent(const std::string& vip, int64_t epoch);

  bool leading() const { return leading_; }
  int64_t epoch() const { return leading_ ? epoch_ : 0; }

 private:
  void Claim(bool renewal);
  void BecomeLeader(int64_t epoch);
  static void OnTick(int, short, void* arg);
  static void OnLeaseEnd(int, short, void* arg);

  const Config& cfg_;
  Client& client_;
  HookQueue& hooks_;
  event* tick_;
  event* lease_end_;
  bool stopping_ = false;
  bool leading_ = false;
  int64_t epoch_ = 0;
  Clock::time_point lease_deadline_;
  bool claim_in_flight_ = false;
  uint64_t tenure_gen_ = 0;  // bumped on step-down: late renewal replies are void
  std::string leader_vip_;
};

}  // namespace suma::agent
