#include "core/fleet.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/record_json.h"

namespace fleet {
namespace {

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

std::string MemberMeta(const Tenant& t, const Member& m) {
  char cpus[32];
  std::snprintf(cpus, sizeof cpus, "%g", t.spec.cpus);
  return "{\"role\":\"" + m.Role() + "\",\"port\":" + std::to_string(m.port) +
         ",\"memory_mb\":" + std::to_string(t.spec.memory_mb) + ",\"cpus\":" + cpus + "}";
}

int64_t NanoCpus(double cpus) { return static_cast<int64_t>(std::llround(cpus * 1e9)); }
int64_t Bytes(int mb) { return static_cast<int64_t>(mb) * 1024 * 1024; }

}  // namespace

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
  if (!control_.LoadAll(&all, &error)) return err::ControlDown(error);
  std::vector<Tenant> interrupted;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& t : all) {
      auto dash = t.op.id.rfind('-');
      if (dash != std::string::npos)
        next_op_ = std::max<int64_t>(next_op_, std::atoll(t.op.id.c_str() + dash + 1) + 1);
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
bool Fleet::AllocatePorts(Tenant* t, int count) {
  std::set<int> used;
  for (const auto& [n, o] : tenants_)
    for (const auto& m : o.members) used.insert(m.port);
  for (const auto& m : t->members) used.insert(m.port);
  std::vector<Member> add;
  for (int p = cfg_.port_lo; p + 1 <= cfg_.port_hi && static_cast<int>(add.size()) < count; p += 2) {
    if (used.count(p)) continue;
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
  t.admin_password = secrets_.NewPassword();
  t.state = State::kCreating;
  t.reason.clear();
  t.created_ms = clock_.NowMs();
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
    return err::BadRequest("scale needs at least one of memory_mb, cpus, replicas");
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
    if (failure.empty() && !WaitReady(t, m)) failure = ContainerName(t.name, m.index) + " did not answer PING";
  if (failure.empty()) failure = RegisterAll(t);
  if (failure.empty()) {
    t.password_hash = secrets_.Hash(password);
    t.state = State::kRunning;
    t.reason.clear();
  } else {
    t.state = State::kFailed;
    t.reason = "credentials: " + failure;
  }
  Finish(&t, failure.empty(), failure);
  Commit(&t);
  Event(t, failure.empty() ? "credentials" : "failed");
  if (!failure.empty()) return err::Internal("credentials of '" + name + "' failed: " + failure);
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

// ---- operations -------------------------------------------------------------

bool Fleet::RunOne(int64_t wait_ms) {
  std::unique_lock<std::mutex> l(mu_);
  if (queue_.empty() && wait_ms > 0)
    cv_.wait_for(l, std::chrono::milliseconds(wait_ms), [&] { return !queue_.empty(); });
  if (queue_.empty()) return false;
  Queued q = queue_.front();
  queue_.pop_front();
  auto it = tenants_.find(q.name);
  if (it == tenants_.end()) return true;
  Tenant t = it->second;
  l.unlock();
  switch (q.job) {
    case Job::kCreate: RunCreate(t, false); break;
    case Job::kScale: RunScale(t); break;
    case Job::kDelete: RunDelete(t); break;
    case Job::kRecover: Recover(t); break;
  }
  return true;
}

ContainerSpec Fleet::MemberSpec(const Tenant& t, const Member& m, const std::string& password) const {
  ContainerSpec s;
  s.name = ContainerName(t.name, m.index);
  s.image = cfg_.image;
  std::string local = cfg_.bind == "0.0.0.0" ? "127.0.0.1" : cfg_.bind;
  s.env = {"APOLLO_OWNER_ID=" + t.owner,
           "APOLLO_BUINESS_ID=" + t.business,
           "SUMA_PASSWORD=" + password,
           "SUMA_BIND=" + cfg_.bind,
           "SUMA_RESP_PORT=" + std::to_string(m.port),
           "SUMA_CONSOLE_PORT=" + std::to_string(m.console_port),
           "LOCAL_IP=" + cfg_.advertise,
           "APOLLO_PORT=" + std::to_string(m.port),
           std::string("CONTAINER_TYPE=") + (m.index == 0 ? "master" : "replica")};
  if (m.index > 0) s.env.push_back("SUMA_PRIMARY=" + local + ":" + std::to_string(t.members[0].port));
  s.cmd = {"--maxmemory", std::to_string(MaxmemoryBytes(t.spec.memory_mb)),
           "--maxmemory-policy", "noeviction",
           "--appendfsync", t.spec.persistence,
           "--user", "suma-fleet", "on", "#" + secrets_.Sha256Hex(t.admin_password), "~*", "&*", "+@all"};
  s.labels = {{"suma.tenant", t.name}, {"suma.role", m.Role()}, {"suma.index", std::to_string(m.index)},
              {"suma.fleet", "1"}};
  s.memory_bytes = Bytes(t.spec.memory_mb);
  s.nano_cpus = NanoCpus(t.spec.cpus);
  s.volume = VolumeName(t.name, m.index);
  s.mount_path = "/data";
  s.host_network = true;
  return s;
}

// Volume (unless it is there, e.g. kept by an earlier delete) and container;
// each step persisted before the next, so a rollback knows what to remove.
EngineError Fleet::MakeMember(Tenant* t, Member* m, const std::string& password) {
  std::string vol = VolumeName(t->name, m->index);
  bool exists = false;
  EngineError e = engine_.VolumeExists(vol, &exists);
  if (!e.ok()) return e;
  if (!exists) {
    m->volume_created = true;
    Commit(t);
    if (!(e = engine_.CreateVolume(vol, {{"suma.tenant", t->name}, {"suma.fleet", "1"}})).ok()) return e;
  }
  std::string id;
  ContainerSpec spec = MemberSpec(*t, *m, password);
  e = engine_.CreateContainer(spec, &id);
  if (e.kind == EngineError::kConflict) {  // a leftover of an earlier attempt
    engine_.RemoveContainer(spec.name);
    e = engine_.CreateContainer(spec, &id);
  }
  if (!e.ok()) return e;
  m->container = id;
  Commit(t);
  return e;
}

bool Fleet::WaitReady(const Tenant& t, const Member& m) {
  int64_t deadline = clock_.NowMs() + cfg_.ready_timeout_ms;
  while (true) {
    if (servers_.Ping(m.port, t.admin_password)) return true;
    if (clock_.NowMs() >= deadline) return false;
    clock_.SleepMs(25);
  }
}

std::string Fleet::RegisterAll(const Tenant& t) {
  const Member* p = t.Primary();
  for (const auto& m : t.members) {
    std::string vip = cfg_.advertise + ":" + std::to_string(m.port), meta = MemberMeta(t, m), error;
    if (!control_.Register(t.MasterKey(), vip, meta, &error)) return "register on the control server: " + error;
    if (!servers_.Register(p->port, t.admin_password, t.MasterKey(), vip, meta, &error))
      return "register on the tenant's server: " + error;
  }
  return "";
}

// Decides, after a restart, what an interrupted operation becomes. Waits while
// the engine is down: deciding then would leave containers nobody removes.
void Fleet::Recover(Tenant t) {
  if (!engine_.Ping().ok()) {
    clock_.SleepMs(500);
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back({t.name, Job::kRecover});
    return;
  }
  if (t.op.kind == "create") {
    // Resumable only if every container was made: the password lives in them.
    bool made = !t.members.empty();
    for (const auto& m : t.members) {
      ContainerInfo ci;
      made = made && !m.container.empty() && engine_.InspectContainer(m.container, &ci).ok();
    }
    if (made) return RunCreate(t, true);
    return Rollback(&t, "interrupted: the fleet restarted before the tenant's containers were made");
  }
  if (t.op.kind == "scale") return RunScale(t);
  if (t.op.kind == "delete") return RunDelete(t);
  t.state = State::kFailed;
  t.reason = "credentials rotation interrupted by a fleet restart: request new credentials again";
  Finish(&t, false, t.reason);
  Commit(&t);
  Event(t, "failed");
}

// Removes what a failed create made; members whose removal failed (engine
// down) stay in the record, and reconciliation tries again.
bool Fleet::RemoveMade(Tenant* t) {
  std::string e2;
  std::vector<Member> left;
  for (const auto& m : t->members) {
    bool ok = engine_.RemoveContainer(ContainerName(t->name, m.index)).ok();
    if (ok && m.volume_created) ok = engine_.RemoveVolume(VolumeName(t->name, m.index)).ok();
    control_.Unregister(t->MasterKey(), cfg_.advertise + ":" + std::to_string(m.port), &e2);
    if (!ok) left.push_back(m);
  }
  t->members = left;
  return left.empty();
}

void Fleet::Rollback(Tenant* t, const std::string& error) {
  bool clean = RemoveMade(t);
  t->state = State::kFailed;
  t->reason = clean ? error : error + " (cleanup pending: the engine did not answer)";
  Finish(t, false, error);
  {
    std::lock_guard<std::mutex> l(mu_);
    passwords_.erase(t->name);
  }
  Commit(t);
  Event(*t, "failed");
}

void Fleet::RunCreate(Tenant t, bool resume) {
  std::string password;
  {
    std::lock_guard<std::mutex> l(mu_);
    password = passwords_[t.name];
  }
  std::string failure;
  if (!resume) {
    for (auto& m : t.members) {
      EngineError e = MakeMember(&t, &m, password);
      if (!e.ok()) {
        failure = (e.kind == EngineError::kDown ? "container engine unavailable: " : "engine: ") + e.message;
        break;
      }
    }
    if (failure.empty() && cfg_.step_delay_ms > 0) clock_.SleepMs(cfg_.step_delay_ms);
  }
  for (const auto& m : t.members) {
    if (!failure.empty()) break;
    EngineError e = engine_.StartContainer(m.container);
    if (!e.ok()) failure = "starting " + ContainerName(t.name, m.index) + ": " + e.message;
  }
  for (const auto& m : t.members)
    if (failure.empty() && !WaitReady(t, m))
      failure = ContainerName(t.name, m.index) + " did not answer PING within " +
                std::to_string(cfg_.ready_timeout_ms) + " ms";
  if (failure.empty()) failure = RegisterAll(t);
  if (!failure.empty()) return Rollback(&t, failure);
  t.state = State::kRunning;
  t.reason.clear();
  Finish(&t, true, "");
  {
    std::lock_guard<std::mutex> l(mu_);
    passwords_.erase(t.name);
  }
  Commit(&t);
  Event(t, "running");
}

void Fleet::RunScale(Tenant t) {
  const Spec& want = t.spec;
  std::string failure, error;
  std::string password = PasswordFromEngine(t);
  // Replicas above the wanted count go first (highest index first).
  while (static_cast<int>(t.members.size()) > want.Containers()) {
    const Member& m = t.members.back();
    EngineError e = engine_.RemoveContainer(ContainerName(t.name, m.index));
    if (!e.ok()) { failure = "removing a replica: " + e.message; break; }
    engine_.RemoveVolume(VolumeName(t.name, m.index));
    std::string vip = cfg_.advertise + ":" + std::to_string(m.port);
    control_.Unregister(t.MasterKey(), vip, &error);
    servers_.Unregister(t.members[0].port, t.admin_password, t.MasterKey(), vip, &error);
    t.members.pop_back();
    Commit(&t);
  }
  for (auto& m : t.members) {
    if (!failure.empty()) break;
    if (m.container.empty()) {  // a new replica
      if (password.empty()) { failure = "the tenant's password is not readable from its containers"; break; }
      EngineError e = MakeMember(&t, &m, password);
      if (e.ok()) e = engine_.StartContainer(m.container);
      if (!e.ok()) failure = "adding " + ContainerName(t.name, m.index) + ": " + e.message;
      continue;
    }
    EngineError e = engine_.UpdateContainer(m.container, Bytes(want.memory_mb), NanoCpus(want.cpus));
    if (e.kind == EngineError::kUnsupported) {
      // No live update here: recreate on the same volume, same password.
      if (password.empty()) { failure = "the tenant's password is not readable from its containers"; break; }
      engine_.RemoveContainer(ContainerName(t.name, m.index));
      m.container.clear();
      e = MakeMember(&t, &m, password);
      if (e.ok()) e = engine_.StartContainer(m.container);
    }
    if (!e.ok()) failure = "updating " + ContainerName(t.name, m.index) + ": " + e.message;
  }
  for (const auto& m : t.members) {
    if (!failure.empty()) break;
    if (!WaitReady(t, m)) failure = ContainerName(t.name, m.index) + " did not answer PING";
    else if (!servers_.SetMaxmemory(m.port, t.admin_password, MaxmemoryBytes(want.memory_mb), &error))
      failure = "CONFIG SET maxmemory on " + ContainerName(t.name, m.index) + ": " + error;
  }
  if (failure.empty()) failure = RegisterAll(t);
  if (failure.empty()) {
    t.state = State::kRunning;
    t.reason.clear();
  } else {
    UndoScale(&t);
    // The change is reported; the tenant keeps serving if its primary does.
    bool alive = t.Primary() && servers_.Ping(t.Primary()->port, t.admin_password);
    t.state = alive ? State::kRunning : State::kFailed;
    t.reason = alive ? "" : "scale: " + failure;
  }
  Finish(&t, failure.empty(), failure);
  Commit(&t);
  Event(t, failure.empty() ? "running" : "scale_failed");
}

// Best effort back to the previous limits; replicas this scale added go away
// (those it already removed stay removed: the spec then says so).
void Fleet::UndoScale(Tenant* t) {
  Spec prev = t->op.previous;
  std::string error;
  while (static_cast<int>(t->members.size()) > prev.Containers()) {
    const Member& m = t->members.back();
    engine_.RemoveContainer(ContainerName(t->name, m.index));
    engine_.RemoveVolume(VolumeName(t->name, m.index));
    std::string vip = cfg_.advertise + ":" + std::to_string(m.port);
    control_.Unregister(t->MasterKey(), vip, &error);
    servers_.Unregister(t->members[0].port, t->admin_password, t->MasterKey(), vip, &error);
    t->members.pop_back();
  }
  for (const auto& m : t->members) {
    if (m.container.empty()) continue;
    engine_.UpdateContainer(m.container, Bytes(prev.memory_mb), NanoCpus(prev.cpus));
    servers_.SetMaxmemory(m.port, t->admin_password, MaxmemoryBytes(prev.memory_mb), &error);
  }
  prev.replicas = static_cast<int>(t->members.size()) - 1;
  t->spec = prev;
}

void Fleet::RunDelete(Tenant t) {
  std::string failure, error;
  for (const auto& m : t.members) {
    control_.Unregister(t.MasterKey(), cfg_.advertise + ":" + std::to_string(m.port), &error);
    EngineError e = engine_.RemoveContainer(ContainerName(t.name, m.index));
    if (e.ok() && (t.op.purge || m.index > 0)) e = engine_.RemoveVolume(VolumeName(t.name, m.index));
    if (!e.ok()) {
      failure = e.message;
      break;
    }
  }
  if (failure.empty() && !control_.Remove(t.name, &error)) failure = "control server: " + error;
  if (!failure.empty()) {
    t.state = State::kFailed;
    t.reason = "delete: " + failure;
    Finish(&t, false, failure);
    Commit(&t);
    Event(t, "failed");
    return;
  }
  t.state = State::kDeleted;
  Finish(&t, true, "");
  {
    std::lock_guard<std::mutex> l(mu_);
    tenants_.erase(t.name);
  }
  Event(t, "deleted");
}

// ---- reconciliation ---------------------------------------------------------

void Fleet::Reconcile() {
  std::vector<ContainerInfo> all;
  EngineError e = engine_.ListContainers("suma.tenant", &all);
  std::vector<Tenant> idle;
  {
    std::lock_guard<std::mutex> l(mu_);
    metrics_.reconciles++;
    metrics_.engine_up = e.ok();
    if (!e.ok()) return;
    std::vector<ContainerInfo> unmanaged;
    for (const auto& c : all) {
      auto lbl = c.labels.find("suma.tenant");
      auto it = tenants_.find(lbl->second);
      bool known = false;
      if (it != tenants_.end()) {
        if (it->second.Busy()) known = true;  // its operation may not have saved the id yet
        for (const auto& m : it->second.members)
          known = known || m.container == c.id || ContainerName(it->first, m.index) == c.name;
      }
      if (!known) {
        unmanaged.push_back(c);
        bool seen = false;
        for (const auto& u : metrics_.unmanaged) seen = seen || u.id == c.id;
        if (!seen)
          std::fprintf(stderr, "suma-fleet: container %s (%s) has label suma.tenant=%s but no record; left alone\n",
                       c.name.c_str(), c.id.c_str(), lbl->second.c_str());
      }
    }
    metrics_.unmanaged = unmanaged;
    for (const auto& [n, t] : tenants_)
      if ((t.state == State::kRunning || t.state == State::kFailed) && !t.Busy()) {
        idle.push_back(t);
        reconciling_.insert(n);
      }
  }
  for (auto& t : idle) {
    if (t.state == State::kFailed) {
      if (t.op.kind == "create" && t.op.state == "failed" && !t.members.empty() && RemoveMade(&t)) {
        t.reason = t.op.error;
        Commit(&t);
        Event(t, "cleaned");
      }
      std::lock_guard<std::mutex> l(mu_);
      reconciling_.erase(t.name);
      continue;
    }
    bool changed = false;
    for (const auto& m : t.members) {
      const ContainerInfo* c = nullptr;
      for (const auto& x : all)
        if (x.id == m.container) c = &x;
      if (!c) {
        t.state = State::kFailed;
        t.reason = "container " + ContainerName(t.name, m.index) +
                   " is gone: request new credentials to recreate it, or delete the tenant";
        changed = true;
        break;
      }
      if (c->running) continue;
      std::string error;
      EngineError s = engine_.StartContainer(m.container);
      // Limits changed live may not survive a restart on every engine: set them again.
      if (s.ok()) engine_.UpdateContainer(m.container, Bytes(t.spec.memory_mb), NanoCpus(t.spec.cpus));
      bool ok = s.ok() && WaitReady(t, m) &&
                servers_.SetMaxmemory(m.port, t.admin_password, MaxmemoryBytes(t.spec.memory_mb), &error);
      {
        std::lock_guard<std::mutex> l(mu_);
        metrics_.restarts++;
      }
      t.reason = ok ? "" : "restart of " + ContainerName(t.name, m.index) + " failed: " + (s.ok() ? error : s.message);
      Event(t, ok ? "restarted" : "restart_failed");
    }
    if (changed) {
      Commit(&t);
      Event(t, "failed");
    }
    std::lock_guard<std::mutex> l(mu_);
    reconciling_.erase(t.name);
  }
}

}  // namespace fleet
