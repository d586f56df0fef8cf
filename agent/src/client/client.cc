// Client connection management: Sentinel discovery, AUTH, subscription,
// command timeouts and reconnect with backoff.
#include <event2/event.h>

#include <algorithm>
#include <random>

#include "client/conn.h"
#include "suma/client.h"

namespace suma {

std::optional<Endpoint> ParseEndpoint(const std::string& text) {
  std::string host;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) return std::nullopt;
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  int p = std::stoi(port);
  if (p < 1 || p > 65535) return std::nullopt;
  return Endpoint{host, p};
}

namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

}  // namespace

Client::Client(event_base* base, ClientOptions options)
    : base_(base),
      opt_(std::move(options)),
      cmd_(std::make_unique<Conn>(base)),
      sub_(std::make_unique<Conn>(base)),
      sentinel_(std::make_unique<Conn>(base)) {
  retry_timer_ = evtimer_new(base_, OnTimer, this);
  watchdog_ = event_new(base_, -1, EV_PERSIST, OnWatchdog, this);
}

Client::~Client() {
  *alive_ = false;
  on_ready = nullptr;
  on_lost = nullptr;
  on_message = nullptr;
  on_log = nullptr;
  event_free(retry_timer_);
  event_free(watchdog_);
  cmd_.reset();
  sub_.reset();
  sentinel_.reset();
}

void Client::Log(const std::string& line) {
  if (on_log) on_log(line);
}

void Client::Defer(std::function<void()> fn) { Conn::Defer(base_, std::move(fn)); }

void Client::Start() {
  if (state_ != State::Stopped) return;
  timeval tick{0, 200 * 1000};
  event_add(watchdog_, &tick);
  Attempt();
}

void Client::Stop() {
  ++attempt_id_;
  bool was_ready = ready();
  state_ = State::Stopped;
  event_del(retry_timer_);
  event_del(watchdog_);
  cmd_->Close();
  sub_->Close();
  sentinel_->Close();
  auto parked = std::move(parked_);
  parked_.clear();
  for (auto& p : parked) Defer([cb = p.cb] { cb(Reply::Error("ERR connection lost")); });
  if (was_ready && on_lost) on_lost("client stopped");
}

void Client::Attempt() {
  ++attempt_id_;
  attempt_started_ = std::chrono::steady_clock::now();
  if (!opt_.cluster.empty()) {
    // Straight to the node a MOVED named; the next attempt asks the seeds.
    if (moved_to_) {
      Endpoint ep = *moved_to_;
      moved_to_.reset();
      ConnectTo(ep);
      return;
    }
    state_ = State::Resolving;
    ResolveCluster(next_seed_ % opt_.cluster.size(), 0);
    return;
  }
  if (opt_.sentinels.empty()) {
    ConnectTo(*opt_.server);
    return;
  }
  state_ = State::Resolving;
  ResolveVia(next_sentinel_ % opt_.sentinels.size(), 0);
}

// Asks one sentinel for the primary; on any failure moves on to the next one,
// and after all of them failed gives up this attempt.
void Client::ResolveVia(size_t index, size_t tried) {
  if (tried >= opt_.sentinels.size()) {
    Fail("no sentinel knows primary '" + opt_.sentinel_master + "'");
    return;
  }
  const Endpoint ep = opt_.sentinels[index];
  uint64_t id = attempt_id_;
  auto done = std::make_shared<bool>(false);
  auto next = [this, index, tried, id, ep, done](const std::string& why) {
    if (id != attempt_id_ || *done) return;
    *done = true;
    Log("sentinel=" + ep.str() + " error=" + Quote(why));
    sentinel_->Close();
    next_sentinel_ = index + 1;
    ResolveVia((index + 1) % opt_.sentinels.size(), tried + 1);
  };
  sentinel_->Open(
      ep.host, ep.port,
      [this, id, next, done](const std::string& err) {
        if (id != attempt_id_) return;
        if (!err.empty()) return next(err);
        if (!opt_.sentinel_password.empty())
          sentinel_->Send({"AUTH", opt_.sentinel_password}, [next](const Reply& r) {
            if (r.is_error()) next("AUTH: " + r.str);
          });
        sentinel_->Send({"SENTINEL", "get-master-addr-by-name", opt_.sentinel_master},
                        [this, id, next, done](const Reply& r) {
                          if (id != attempt_id_ || *done) return;
                          if (!r.is_array() || r.elements.size() != 2)
                            return next(r.is_error() ? r.str : "primary unknown");
                          auto ep = ParseEndpoint(r.elements[0].str + ":" + r.elements[1].str);
                          if (!ep) return next("bad address from sentinel");
                          sentinel_->Close();
                          ConnectTo(*ep);
                        });
      },
      next);
}

// Asks one seed for CLUSTER SLOTS and connects to the primary of
// cluster_key's slot; on any failure moves on to the next seed.
void Client::ResolveCluster(size_t index, size_t tried) {
  if (tried >= opt_.cluster.size()) {
    Fail("no cluster seed answered CLUSTER SLOTS");
    return;
  }
  const Endpoint ep = opt_.cluster[index];
  uint64_t id = attempt_id_;
  auto done = std::make_shared<bool>(false);
  auto next = [this, index, tried, id, ep, done](const std::string& why) {
    if (id != attempt_id_ || *done) return;
    *done = true;
    Log("seed=" + ep.str() + " error=" + Quote(why));
    sentinel_->Close();
    next_seed_ = index + 1;
    ResolveCluster((index + 1) % opt_.cluster.size(), tried + 1);
  };
  sentinel_->Open(
      ep.host, ep.port,
      [this, id, ep, next, done](const std::string& err) {
        if (id != attempt_id_) return;
        if (!err.empty()) return next(err);
        if (!opt_.password.empty()) {
          std::vector<std::string> argv{"AUTH"};
          if (!opt_.username.empty()) argv.push_back(opt_.username);
          argv.push_back(opt_.password);
          sentinel_->Send(argv, [next](const Reply& r) {
            if (r.is_error()) next("AUTH: " + r.str);
          });
        }
        sentinel_->Send({"CLUSTER", "SLOTS"}, [this, id, ep, next, done](const Reply& r) {
          if (id != attempt_id_ || *done) return;
          if (!slots_.Load(r, ep.host)) return next(r.is_error() ? r.str : "bad CLUSTER SLOTS reply");
          auto owner = opt_.cluster_key.empty() ? std::make_optional(slots_.Primaries().front())
                                                : slots_.Owner(KeySlot(opt_.cluster_key));
          if (!owner) return next("slot of '" + opt_.cluster_key + "' has no owner");
          *done = true;
          sentinel_->Close();
          ConnectTo(Endpoint{owner->first, owner->second});
        });
      },
      next);
}

void Client::ConnectTo(const Endpoint& ep) {
  state_ = State::Connecting;
  current_ = ep;
  uint64_t id = attempt_id_;
  auto dropped = [this, id](const std::string& why) {
    if (id == attempt_id_) Fail("connection to " + current_.str() + " lost: " + why);
  };
  auto auth = [this, id](Conn& c, std::function<void()> then) {
    if (opt_.password.empty()) return then();
    std::vector<std::string> argv{"AUTH"};
    if (!opt_.username.empty()) argv.push_back(opt_.username);
    argv.push_back(opt_.password);
    c.Send(argv, [this, id, then](const Reply& r) {
      if (id != attempt_id_) return;
      if (r.is_error()) return Fail("AUTH refused: " + r.str);
      then();
    });
  };
  auto finish = [this, id] {
    if (id != attempt_id_) return;
    state_ = State::Ready;
    failures_ = 0;
    last_failure_.clear();
    lost_pending_ = false;
    Log("state=connected server=" + current_.str());
    FlushParked();
    if (on_ready) on_ready();
  };
  // With Sentinel, check that the address really is a primary now: a demoted
  // primary may still be reported for a moment during a failover.
  auto verify_role = [this, id, finish] {
    if (opt_.sentinels.empty()) return finish();
    cmd_->Send({"ROLE"}, [this, id, finish](const Reply& r) {
      if (id != attempt_id_) return;
      if (!r.is_array() || r.elements.empty() || r.elements[0].str != "master")
        return Fail(current_.str() + " is not a primary");
      finish();
    });
  };
  cmd_->Open(
      ep.host, ep.port,
      [this, id, auth, verify_role, dropped](const std::string& err) {
        if (id != attempt_id_) return;
        if (!err.empty()) return Fail("connect " + current_.str() + ": " + err);
        auth(*cmd_, [this, id, auth, verify_role, dropped] {
          if (opt_.channel.empty()) return verify_role();
          sub_->Open(
              current_.host, current_.port,
              [this, id, auth, verify_role](const std::string& err) {
                if (id != attempt_id_) return;
                if (!err.empty()) return Fail("connect " + current_.str() + ": " + err);
                auth(*sub_, [this, verify_role] {
                  sub_->Subscribe(opt_.channel, [this](const std::string& payload) {
                    if (on_message) on_message(opt_.channel, payload);
                  });
                  verify_role();
                });
              },
              dropped);
        });
      },
      dropped);
}

void Client::Fail(const std::string& reason) {
  if (state_ == State::Stopped) return;
  bool was_ready = ready();
  ++attempt_id_;
  cmd_->Close();
  sub_->Close();
  sentinel_->Close();
  // A server that stays away would log a line per retry; log the first of a
  // run of identical failures and then every 2^n-th.
  if (reason == last_failure_) {
    ++repeats_;
  } else {
    last_failure_ = reason;
    repeats_ = 0;
  }
  if ((repeats_ & (repeats_ + 1)) == 0)
    Log("state=disconnected reason=" + Quote(reason) +
        (repeats_ ? " repeated=" + std::to_string(repeats_ + 1) : ""));
  bool quiet = rerouting_ && was_ready;
  rerouting_ = false;
  if (quiet) {
    // Straight to the new owner, without the reconnect backoff.
    lost_pending_ = true;
    state_ = State::Waiting;
    timeval now{0, 0};
    evtimer_add(retry_timer_, &now);
    return;
  }
  ScheduleRetry();
  if ((was_ready || lost_pending_) && on_lost) {
    lost_pending_ = false;
    on_lost(reason);
  }
}

// Full jitter: uniform in [min, min(max, min * 2^failures)], so a fleet that
// lost the same server does not come back in lockstep.
void Client::ScheduleRetry() {
  state_ = State::Waiting;
  static std::mt19937_64 rng{std::random_device{}()};
  double cap = std::min<double>(opt_.reconnect_max_ms,
                                opt_.reconnect_min_ms * double(1ull << std::min(failures_, 20)));
  ++failures_;
  std::uniform_real_distribution<double> d(opt_.reconnect_min_ms, std::max<double>(cap, opt_.reconnect_min_ms));
  long ms = static_cast<long>(d(rng));
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  evtimer_add(retry_timer_, &tv);
}

void Client::OnTimer(int, short, void* arg) {
  auto* self = static_cast<Client*>(arg);
  if (self->state_ == State::Waiting) self->Attempt();
}

void Client::OnWatchdog(int, short, void* arg) { static_cast<Client*>(arg)->CheckTimeouts(); }

void Client::CheckTimeouts() {
  auto limit = std::chrono::milliseconds(opt_.command_timeout_ms);
  if ((state_ == State::Resolving || state_ == State::Connecting) &&
      std::chrono::steady_clock::now() - attempt_started_ > limit) {
    Fail("connect timeout");
    return;
  }
  for (size_t i = 0; i < parked_.size();) {
    if (std::chrono::steady_clock::now() - parked_[i].since > limit) {
      auto cb = std::move(parked_[i].cb);
      parked_.erase(parked_.begin() + i);
      Defer([cb] { cb(Reply::Error("ERR command timeout")); });
    } else {
      ++i;
    }
  }
  Conn::Clock::time_point oldest;
  if (cmd_->oldest_pending(&oldest) && Conn::Clock::now() - oldest > limit)
    Fail("command timeout");
  else if (sentinel_->oldest_pending(&oldest) && Conn::Clock::now() - oldest > limit)
    Fail("sentinel timeout");
}

void Client::Command(std::vector<std::string> argv, ReplyFn cb) {
  Send(std::move(argv), std::move(cb), !opt_.cluster.empty(), 0);
}

void Client::FlushParked() {
  auto parked = std::move(parked_);
  parked_.clear();
  for (auto& p : parked) Send(std::move(p.argv), std::move(p.cb), true, 1);
}

void Client::Send(std::vector<std::string> argv, ReplyFn cb, bool follow, int tries) {
  if (!ready()) {
    Defer([cb] { cb(Reply::Error("ERR not connected")); });
    return;
  }
  auto argv_copy = follow ? argv : std::vector<std::string>{};
  cmd_->Send(argv, [this, cb, follow, tries, argv = std::move(argv_copy)](const Reply& r) mutable {
    // A write refused by a demoted primary: find the new one.
    if (r.is_error() && r.str.rfind("READONLY", 0) == 0) Fail("server is a replica now");
    Redirect to = follow ? ParseRedirect(r) : Redirect{};
    if (to.kind == Redirect::Kind::None || tries >= 10) return cb(r);
    ++redirects_;
    switch (to.kind) {
      case Redirect::Kind::Moved:
        slots_.Move(to.slot, to.host, to.port);
        if (to.slot == KeySlot(opt_.cluster_key)) moved_to_ = Endpoint{to.host, to.port};
        parked_.push_back({std::move(argv), cb, std::chrono::steady_clock::now()});
        // A re-route, not a loss: on_lost only runs if reaching the new owner fails.
        rerouting_ = true;
        Fail("slot " + std::to_string(to.slot) + " moved to " + to.host + ":" +
             std::to_string(to.port));
        return;
      case Redirect::Kind::Ask:
        return Ask(to, std::move(argv), cb, tries + 1);
      default: {
        // TRYAGAIN (a slot half-migrated) / CLUSTERDOWN (failover): back off.
        int ms = std::min(1000, 20 << std::min(tries, 6));
        Conn::Defer(base_, [this, alive = alive_, argv = std::move(argv), cb, tries]() mutable {
          if (*alive) Send(std::move(argv), cb, true, tries + 1);
        }, ms);
        return;
      }
    }
  });
}

// ASK: the slot is migrating and this key is on the target already; run the
// command there once, preceded by ASKING, on a short-lived connection.
void Client::Ask(const Redirect& to, std::vector<std::string> argv, ReplyFn cb, int tries) {
  auto conn = std::make_shared<Conn>(base_);
  uint64_t id = attempt_id_;
  auto finish = [base = base_, conn, cb](const Reply& r) {
    Conn::Defer(base, [conn] { conn->Close(); });
    cb(r);
  };
  conn->Open(
      to.host, to.port,
      [this, alive = alive_, conn, id, argv = std::move(argv), finish,
       tries](const std::string& err) mutable {
        if (!*alive) return;
        if (!err.empty() || id != attempt_id_) return finish(Reply::Error("ERR ASK target: " + err));
        auto send = [this, alive, conn, argv, finish, tries]() {
          conn->Send({"ASKING"}, [](const Reply&) {});
          conn->Send(argv, [this, alive, argv, finish, tries](const Reply& r) {
            if (!*alive) return;
            Redirect again = ParseRedirect(r);
            if (again.kind == Redirect::Kind::TryAgain && tries < 10) {
              ++redirects_;
              int ms = std::min(1000, 20 << std::min(tries, 6));
              return Conn::Defer(base_, [this, alive = alive_, argv, finish, tries] {
                if (*alive) Send(argv, finish, true, tries + 1);
              }, ms);
            }
            finish(r);
          });
        };
        if (opt_.password.empty()) return send();
        std::vector<std::string> auth{"AUTH"};
        if (!opt_.username.empty()) auth.push_back(opt_.username);
        auth.push_back(opt_.password);
        conn->Send(auth, [](const Reply&) {});
        send();
      },
      [](const std::string&) {});
}

}  // namespace suma
