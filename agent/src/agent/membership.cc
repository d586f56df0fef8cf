#include "agent/membership.h"

#include <event2/event.h>

#include "agent/log.h"

namespace suma::agent {

Membership::Membership(event_base* base, const Config& cfg, Client& client, HookQueue& hooks)
    : cfg_(cfg), client_(client), hooks_(hooks) {
  tick_ = event_new(base, -1, EV_PERSIST, OnTick, this);
  lease_end_ = evtimer_new(base, OnLeaseEnd, this);
}

Membership::~Membership() {
  event_free(tick_);
  event_free(lease_end_);
}

void Membership::Start() {
  long ms = static_cast<long>(cfg_.renew_interval_ms());
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  event_add(tick_, &tv);
}

void Membership::Stop() {
  stopping_ = true;
  event_del(tick_);
}

void Membership::OnTick(int, short, void* arg) { static_cast<Membership*>(arg)->Tick(); }
void Membership::OnLeaseEnd(int, short, void* arg) {
  static_cast<Membership*>(arg)->StepDown("lease would lapse before a renewal", true);
}

void Membership::Tick() {
  if (stopping_ || !client_.ready()) return;
  auto now = Clock::now();
  auto interval = std::chrono::milliseconds(cfg_.renew_interval_ms());
  if (claim_in_flight_) {
    // The previous renewal has not been answered; if the lease ends before
    // another one could be sent, stop leading now rather than at the edge.
    if (leading_ && lease_deadline_ <= now + interval)
      StepDown("renewal unanswered and the lease would lapse before the next one", true);
    return;
  }
  if (leading_) return Claim(true);
  claim_in_flight_ = true;
  client_.KeepAlive(cfg_.group, cfg_.vip, [this](const Result<KeepAliveReply>& r) {
    claim_in_flight_ = false;
    if (stopping_) return;
    if (!r.ok()) {
      Log(Level::Warn, "heartbeat.failed").Kv("error", r.error());
      return;
    }
    switch (r->role) {
      case KeepAliveReply::Role::Follower:
        if (r->leader != leader_vip_) Log(Level::Info, "leader.seen").Kv("leader", r->leader);
        leader_vip_ = r->leader;
        break;
      case KeepAliveReply::Role::NoLeader:
      case KeepAliveReply::Role::Leader:  // server says we lead: learn our epoch
        Claim(false);
        break;
    }
  });
}

void Membership::Claim(bool renewal) {
  claim_in_flight_ = true;
  auto sent = Clock::now();
  uint64_t gen = tenure_gen_;
  client_.TryLeader(cfg_.group, cfg_.vip, cfg_.lease_ms,
                    [this, sent, gen, renewal](const Result<LeaderClaim>& r) {
    claim_in_flight_ = false;
    if (stopping_) return;
    // We stepped down while this was in flight (and resigned): it is void.
    if (gen != tenure_gen_) return;
    if (!r.ok()) {
      Log(Level::Warn, renewal ? "leader.renew_failed" : "leader.claim_failed").Kv("error", r.error());
      StepDown("renewal failed: " + r.error(), false);
      return;
    }
    if (!r->leading) {
      StepDown("another host holds the lease", false);
      return;
    }
    auto deadline = sent + std::chrono::milliseconds(cfg_.lease_ms);
    if (deadline <= Clock::now()) {
      StepDown("renewal answered after the lease lapsed", true);
      return;
    }
    if (leading_ && r->epoch != epoch_) StepDown("tenure changed", false);
    lease_deadline_ = deadline;
    if (!leading_) BecomeLeader(r->epoch);
    auto left = deadline - Clock::now();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
    timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
    evtimer_add(lease_end_, &tv);
  });
}

void Membership::BecomeLeader(int64_t epoch) {
  leading_ = true;
  epoch_ = epoch;
  leader_vip_ = cfg_.vip;
  Log(Level::Info, "leader.elected").Kv("epoch", static_cast<long long>(epoch)).Kv("vip", cfg_.vip);
  if (cfg_.on_leader.empty()) return;
  auto env = HookEnv(cfg_, "became-leader");
  env["SUMA_EPOCH"] = std::to_string(epoch);
  hooks_.Run({cfg_.on_leader, env, "", nullptr});
}

void Membership::StepDown(const std::string& reason, bool resign) {
  if (!leading_) return;
  leading_ = false;
  ++tenure_gen_;
  evtimer_del(lease_end_);
  leader_vip_.clear();
  Log(Level::Warn, "leader.lost").Kv("epoch", static_cast<long long>(epoch_)).Kv("reason", reason);
  if (!cfg_.on_lost_leader.empty()) {
    auto env = HookEnv(cfg_, "lost-leadership");
    env["SUMA_EPOCH"] = std::to_string(epoch_);
    env["SUMA_REASON"] = reason;
    hooks_.Run({cfg_.on_lost_leader, env, "", nullptr});
  }
  // Make the server agree at once, so a follower can take over without
  // waiting for the rest of a lease we no longer use.
  if (resign && client_.ready())
    client_.Resign(cfg_.group, cfg_.vip, [](const Result<bool>& r) {
      if (!r.ok()) Log(Level::Warn, "leader.resign_failed").Kv("error", r.error());
    });
}

void Membership::OnLeaderEvent(const std::string& vip, int64_t epoch) {
  if (leading_ && vip != cfg_.vip && epoch > epoch_) StepDown("another host was elected", false);
}

void Membership::OnResignEvent(const std::string& vip, int64_t epoch) {
  if (leading_ && vip == cfg_.vip && epoch == epoch_) StepDown("resigned on the server", false);
}

}  // namespace suma::agent
