// Fleet: carrying operations out (RunOne and what it calls), recovery and rollback.
#include "core/fleet.h"

#include <algorithm>
#include <cstdio>

#include "core/fleet_util.h"
#include "core/record_json.h"

namespace fleet {
using namespace detail;

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
           "SUMA_UID=" + std::to_string(cfg_.uid_base + m.port),
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
    if (!control_.Register(t.MasterKey(), vip, meta, &error)) return why::EngineStep("suma_vip_register on", "the control server", error);
    if (!servers_.Register(p->port, t.admin_password, t.MasterKey(), vip, meta, &error))
      return why::EngineStep("suma_vip_register on", "the tenant's server", error);
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
    return Rollback(&t, why::Interrupted());
  }
  if (t.op.kind == "scale") return RunScale(t);
  if (t.op.kind == "delete") return RunDelete(t);
  t.state = State::kFailed;
  t.reason = why::CredentialsInterrupted();
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
  t->reason = clean ? error : why::CleanupPending(error);
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
        failure = e.kind == EngineError::kDown ? err::EngineDown(e.message).message
                                               : why::EngineStep("making", ContainerName(t.name, m.index), e.message);
        break;
      }
    }
    if (failure.empty() && cfg_.step_delay_ms > 0) clock_.SleepMs(cfg_.step_delay_ms);
  }
  for (const auto& m : t.members) {
    if (!failure.empty()) break;
    EngineError e = engine_.StartContainer(m.container);
    if (!e.ok()) failure = why::EngineStep("starting", ContainerName(t.name, m.index), e.message);
  }
  for (const auto& m : t.members)
    if (failure.empty() && !WaitReady(t, m))
      failure = why::NoPong(ContainerName(t.name, m.index), cfg_.ready_timeout_ms);
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
    if (!e.ok()) { failure = why::EngineStep("removing", ContainerName(t.name, m.index), e.message); break; }
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
      if (password.empty()) { failure = why::NoPassword(); break; }
      EngineError e = MakeMember(&t, &m, password);
      if (e.ok()) e = engine_.StartContainer(m.container);
      if (!e.ok()) failure = why::EngineStep("adding", ContainerName(t.name, m.index), e.message);
      continue;
    }
    EngineError e = engine_.UpdateContainer(m.container, Bytes(want.memory_mb), NanoCpus(want.cpus));
    if (e.kind == EngineError::kUnsupported) {
      // No live update here: recreate on the same volume, same password.
      if (password.empty()) { failure = why::NoPassword(); break; }
      engine_.RemoveContainer(ContainerName(t.name, m.index));
      m.container.clear();
      e = MakeMember(&t, &m, password);
      if (e.ok()) e = engine_.StartContainer(m.container);
    }
    if (!e.ok()) failure = why::EngineStep("updating", ContainerName(t.name, m.index), e.message);
  }
  for (const auto& m : t.members) {
    if (!failure.empty()) break;
    if (!WaitReady(t, m)) failure = why::NoPong(ContainerName(t.name, m.index), cfg_.ready_timeout_ms);
    else if (!servers_.SetMaxmemory(m.port, t.admin_password, MaxmemoryBytes(want.memory_mb), &error))
      failure = why::EngineStep("CONFIG SET maxmemory on", ContainerName(t.name, m.index), error);
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
    t.reason = alive ? "" : why::Prefixed("scale", failure);
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
  if (failure.empty() && !control_.Remove(t.name, &error)) failure = err::ControlDown(error).message;
  if (!failure.empty()) {
    t.state = State::kFailed;
    t.reason = why::Prefixed("delete", failure);
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

}  // namespace fleet
