#include "core/fleet.h"

#include <algorithm>
#include <cstdio>

#include "core/fleet_util.h"
#include "core/record_json.h"

namespace fleet {
using namespace detail;

Fleet::Fleet(FleetConfig cfg, Engine& engine, Control& control, Servers& servers, Clock& clock,
             Secrets& secrets)
    : cfg_(std::move(cfg)), engine_(engine), control_(control), servers_(servers), clock_(clock),
      secrets_(secrets) {}

std::string Fleet::PasswordFromEngine(const Tenant& t) {
  for (const auto& m : t.members) {
    ContainerInfo ci;
    if (m.container.empty() || !engine_.InspectContainer(m.container, &ci).ok()) continue;
    for (const auto& e : ci.env)
      if (e.rfind("SUMA_PASSWORD=", 0) == 0) return e.substr(14);
  }
  return "";
}

std::optional<Error> Fleet::Start() {
  std::vector<Tenant> all;
  std::string error;
  if (!control_.FleetSecret(secrets_.NewPassword() + secrets_.NewPassword(), &secret_, &error))
    return err::ControlDown(error);
  if (!control_.LoadAll(&all, &error)) return err::ControlDown(error);
  std::vector<Tenant> interrupted;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& t : all) {
      auto dash = t.op.id.rfind('-');
      if (dash != std::string::npos)
        next_op_ = std::max<int64_t>(next_op_, std::atoll(t.op.id.c_str() + dash + 1) + 1);
      t.admin_password = AdminPassword(t);
      tenants_[t.name] = t;
      if (t.Busy()) interrupted.push_back(t);
    }
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& t : interrupted) queue_.push_back({t.name, Job::kRecover});
  }
  cv_.notify_all();
  return std::nullopt;
}

// ---- requests ---------------------------------------------------------------

// Per tenant and per incarnation (created_ms), from the fleet's secret.
std::string Fleet::AdminPassword(const Tenant& t) const {
  return secrets_.Hmac(secret_, t.name + ":" + std::to_string(t.created_ms));
}

std::optional<Error> Fleet::CheckQuota(const std::string& name, const Spec& spec) {
  int count = 1;
  int64_t mem = static_cast<int64_t>(spec.memory_mb) * spec.Containers();
  double cpus = spec.cpus * spec.Containers();
  for (const auto& [n, t] : tenants_) {
    if (n == name || (t.state == State::kFailed && t.members.empty())) continue;
    ++count;
    mem += static_cast<int64_t>(t.spec.memory_mb) * t.spec.Containers();
    cpus += t.spec.cpus * t.spec.Containers();
  }
  if (count > cfg_.max_tenants)
    return err::Quota("tenants", "at most " + std::to_string(cfg_.max_tenants));
  if (mem > cfg_.max_memory_mb)
    return err::Quota("memory", std::to_string(mem) + " MB over all containers, at most " +
                                    std::to_string(cfg_.max_memory_mb) + " MB");
  if (cpus > cfg_.max_cpus + 1e-9) {
    char b[96];
    std::snprintf(b, sizeof b, "%g cpus over all containers, at most %g", cpus, cfg_.max_cpus);
    return err::Quota("cpus", b);
  }
  return std::nullopt;
}

// Each member takes two neighbouring ports: RESP, and the image's console.
// A pair another program holds is passed over: the tenants' servers share the
// host's network, so such a server could never bind it (an outgoing
// connection's ephemeral port counts, when the range overlaps
// net.ipv4.ip_local_port_range).
bool Fleet::AllocatePorts(Tenant* t, int count) {
  std::set<int> used;
  for (const auto& [n, o] : tenants_)
    for (const auto& m : o.members) used.insert(m.port);
  for (const auto& m : t->members) used.insert(m.port);
  std::vector<Member> add;
  for (int p = cfg_.port_lo; p + 1 <= cfg_.port_hi && static_cast<int>(add.size()) < count; p += 2) {
    if (used.count(p) || servers_.PortInUse(p) || servers_.PortInUse(p + 1)) continue;
    Member m;
    m.index = static_cast<int>(t->members.size() + add.size());
    m.port = p;
    m.console_port = p + 1;
    add.push_back(m);
  }
  if (static_cast<int>(add.size()) < count) return false;
  t->members.insert(t->members.end(), add.begin(), add.end());
  return true;
}

std::optional<Error> Fleet::Persist(Tenant* t) {
  bool conflict = false;
  std::string error;
  t->updated_ms = clock_.NowMs();
  if (!control_.Save(t, &conflict, &error))
    return conflict ? err::Internal("the record of '" + t->name + "' was changed by someone else")
                    : err::ControlDown(error);
  tenants_[t->name] = *t;
  return std::nullopt;
}

void Fleet::Commit(Tenant* t) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto e = Persist(t)) {
    std::fprintf(stderr, "suma-fleet: cannot save '%s': %s\n", t->name.c_str(), e->message.c_str());
    tenants_[t->name] = *t;  // keep memory current; the next save retries
  }
}

void Fleet::Event(const Tenant& t, const std::string& what) {
  std::string json = "{\"source\":\"suma-fleet\",\"event\":\"" + what + "\",\"tenant\":\"" + t.name +
                     "\",\"state\":\"" + StateName(t.state) + "\",\"operation\":\"" + t.op.kind +
                     "\",\"op_id\":\"" + t.op.id + "\",\"reason\":\"" + Esc(t.reason) +
                     "\",\"ts_ms\":" + std::to_string(clock_.NowMs()) + "}";
  std::string error;
  if (!control_.Publish(t.Channel(), json, &error))
    std::fprintf(stderr, "suma-fleet: event for '%s' not published: %s\n", t.name.c_str(), error.c_str());
}

void Fleet::Finish(Tenant* t, bool ok, const std::string& error) {
  t->op.state = ok ? "done" : "failed";
  t->op.error = ok ? "" : error;
  t->op.finished_ms = clock_.NowMs();
  CountOp(*t, ok);
}

void Fleet::CountOp(const Tenant& t, bool ok) {
  std::lock_guard<std::mutex> l(mu_);
  metrics_.ops_total[t.op.kind + "/" + (ok ? "done" : "failed")]++;
  metrics_.op_duration_ms[t.op.kind] += t.op.finished_ms - t.op.started_ms;
}

Res<Created> Fleet::Create(const CreateRequest& req) {
  if (auto e = ValidateName(req.owner, req.business)) return *e;
  if (auto e = ValidateSpec(req.spec, cfg_.min_memory_mb)) return *e;
  std::string name = req.owner + "_" + req.business;
  std::unique_lock<std::mutex> l(mu_);
  Tenant t;
  auto it = tenants_.find(name);
  if (it != tenants_.end()) {
    const Tenant& cur = it->second;
    bool retry = cur.state == State::kFailed && !cur.Busy() && cur.members.empty();
    if (retry && reconciling_.count(name)) return err::Busy(name, "reconcile", "-");
    if (!retry) {
      if (cur.spec == req.spec && cur.state != State::kDeleting) return Created{cur, ""};
      if (cur.Busy()) return err::Busy(name, cur.op.kind, cur.op.id);
      return err::Conflict(name);
    }
    t = cur;  // a cleanly failed tenant: create again, same record
  }
  if (auto e = CheckQuota(name, req.spec)) return *e;
  EngineError pe = engine_.Ping();
  if (!pe.ok()) return err::EngineDown(pe.message);
  t.name = name;
  t.owner = req.owner;
  t.business = req.business;
  t.spec = req.spec;
  t.members.clear();
  if (!AllocatePorts(&t, req.spec.Containers()))
    return err::Quota("ports", "no free port pair left in " + std::to_string(cfg_.port_lo) + "-" +
                                   std::to_string(cfg_.port_hi));
  std::string password = secrets_.NewPassword();
  t.password_hash = secrets_.Hash(password);
  t.state = State::kCreating;
  t.reason.clear();
  t.created_ms = clock_.NowMs();
  t.admin_password = AdminPassword(t);
  t.op = Operation{};
  t.op.id = "op-" + std::to_string(next_op_++);
  t.op.kind = "create";
  t.op.state = "running";
  t.op.started_ms = t.created_ms;
  if (auto e = Persist(&t)) return *e;
  passwords_[name] = password;
  queue_.push_back({name, Job::kCreate});
  l.unlock();
  cv_.notify_one();
  Event(t, "creating");
  return Created{t, password};
}

Res<Tenant> Fleet::BeginChange(const std::string& name, const char* kind) {
  auto it = tenants_.find(name);
  if (it == tenants_.end()) return err::NotFound(name);
  Tenant& t = it->second;
  if (t.Busy()) return err::Busy(name, t.op.kind, t.op.id);
  if (reconciling_.count(name)) return err::Busy(name, "reconcile", "-");
  Tenant n = t;
  n.op = Operation{};
  n.op.id = "op-" + std::to_string(next_op_++);
  n.op.kind = kind;
  n.op.state = "running";
  n.op.started_ms = clock_.NowMs();
  return n;
}

Res<Tenant> Fleet::Scale(const std::string& name, const ScaleRequest& req) {
  std::unique_lock<std::mutex> l(mu_);
  auto b = BeginChange(name, "scale");
  if (!b.ok()) return b.error();
  Tenant t = b.value();
  if (t.state != State::kRunning) return err::NotRunning(name, StateName(t.state));
  Spec next = t.spec;
  if (req.memory_mb) next.memory_mb = *req.memory_mb;
  if (req.cpus) next.cpus = *req.cpus;
  if (req.replicas) next.replicas = *req.replicas;
  if (!req.memory_mb && !req.cpus && !req.replicas)
    return err::ScaleNeedsAField();
  if (auto e = ValidateSpec(next, cfg_.min_memory_mb)) return *e;
  if (auto e = CheckQuota(name, next)) return *e;
  EngineError pe = engine_.Ping();
  if (!pe.ok()) return err::EngineDown(pe.message);
  if (next.replicas > t.spec.replicas && !AllocatePorts(&t, next.replicas - t.spec.replicas))
    return err::Quota("ports", "no free port pair left for the replicas");
  t.op.previous = t.spec;
  t.spec = next;
  t.state = State::kChanging;
  if (auto e = Persist(&t)) return *e;
  queue_.push_back({name, Job::kScale});
  l.unlock();
  cv_.notify_one();
  Event(t, "changing");
  return t;
}

Res<Tenant> Fleet::Delete(const std::string& name, bool purge) {
  std::unique_lock<std::mutex> l(mu_);
  auto b = BeginChange(name, "delete");
  if (!b.ok()) return b.error();
  Tenant t = b.value();
  EngineError pe = engine_.Ping();
  if (!pe.ok()) return err::EngineDown(pe.message);
  t.op.purge = purge;
  t.state = State::kDeleting;
  if (auto e = Persist(&t)) return *e;
  queue_.push_back({name, Job::kDelete});
  l.unlock();
  cv_.notify_one();
  Event(t, "deleting");
  return t;
}

Res<Created> Fleet::Credentials(const std::string& name) {
  std::unique_lock<std::mutex> l(mu_);
  auto b = BeginChange(name, "credentials");
  if (!b.ok()) return b.error();
  Tenant t = b.value();
  if (t.members.empty() || (t.state != State::kRunning && t.state != State::kFailed))
    return err::NotRunning(name, StateName(t.state));
  EngineError pe = engine_.Ping();
  if (!pe.ok()) return err::EngineDown(pe.message);
  t.state = State::kChanging;
  if (auto e = Persist(&t)) return *e;
  l.unlock();
  Event(t, "changing");

  std::string password = secrets_.NewPassword();
  std::string failure;
  for (auto& m : t.members) {
    engine_.RemoveContainer(ContainerName(t.name, m.index));
    m.container.clear();
    EngineError e = MakeMember(&t, &m, password);
    if (!e.ok()) failure = e.message;
    if (failure.empty() && !(e = engine_.StartContainer(m.container)).ok()) failure = e.message;
    if (!failure.empty()) break;
  }
  for (const auto& m : t.members)
    if (failure.empty() && !WaitReady(t, m)) failure = why::NoPong(ContainerName(t.name, m.index), cfg_.ready_timeout_ms);
  if (failure.empty()) failure = RegisterAll(t);
  if (failure.empty()) {
    t.password_hash = secrets_.Hash(password);
    t.state = State::kRunning;
    t.reason.clear();
  } else {
    t.state = State::kFailed;
    t.reason = why::Prefixed("credentials", failure);
  }
  Finish(&t, failure.empty(), failure);
  Commit(&t);
  Event(t, failure.empty() ? "credentials" : "failed");
  if (!failure.empty()) return err::CredentialsFailed(name, failure);
  return Created{t, password};
}

Res<Tenant> Fleet::Get(const std::string& name, bool with_usage) {
  Tenant t;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = tenants_.find(name);
    if (it == tenants_.end()) return err::NotFound(name);
    t = it->second;
  }
  if (with_usage && t.state == State::kRunning && t.Primary()) {
    Usage u;
    if (servers_.GetUsage(t.Primary()->port, t.admin_password, &u)) t.usage = u;
  }
  return t;
}

std::vector<Tenant> Fleet::List(bool with_usage) {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [n, t] : tenants_) names.push_back(n);
  }
  std::vector<Tenant> out;
  for (const auto& n : names) {
    auto r = Get(n, with_usage);
    if (r.ok()) out.push_back(r.value());
  }
  return out;
}

FleetMetrics Fleet::Metrics() {
  std::lock_guard<std::mutex> l(mu_);
  return metrics_;
}

}  // namespace fleet
