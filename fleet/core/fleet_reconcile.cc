// Fleet: reconciliation of records with the engine.
#include "core/fleet.h"

#include <algorithm>
#include <cstdio>

#include "core/fleet_util.h"
#include "core/record_json.h"

namespace fleet {
using namespace detail;

// ---- reconciliation ---------------------------------------------------------

namespace {
bool FailedCreate(const Tenant& t) {
  return t.state == State::kFailed && t.op.kind == "create" && t.op.state == "failed";
}
bool IsMemberName(const std::string& tenant, const std::string& name) {
  for (int i = 0; i <= kMaxReplicas; ++i)
    if (name == ContainerName(tenant, i)) return true;
  return false;
}
}  // namespace

void Fleet::Reconcile() {
  std::vector<ContainerInfo> all;
  EngineError e = engine_.ListContainers("suma.tenant", &all);
  std::vector<Tenant> idle;
  std::vector<ContainerInfo> unmanaged;
  {
    std::lock_guard<std::mutex> l(mu_);
    metrics_.reconciles++;
    metrics_.engine_up = e.ok();
    if (!e.ok()) return;
    for (const auto& c : all) {
      auto lbl = c.labels.find("suma.tenant");
      auto it = tenants_.find(lbl->second);
      bool known = false;
      if (it != tenants_.end()) {
        // Its operation may not have saved the id yet; a failed create's leftovers are removed below.
        if (it->second.Busy() || (FailedCreate(it->second) && IsMemberName(it->first, c.name))) known = true;
        for (const auto& m : it->second.members)
          known = known || m.container == c.id || ContainerName(it->first, m.index) == c.name;
      }
      if (!known) unmanaged.push_back(c);
    }
    for (const auto& [n, t] : tenants_)
      if ((t.state == State::kRunning || t.state == State::kFailed) && !t.Busy()) {
        idle.push_back(t);
        reconciling_.insert(n);
      }
  }
  // The listing was taken before the lock: an operation may have ended in
  // between (its tenant deleted, its containers made or replaced). Whatever
  // looks wrong is looked at again before anything is reported or restarted.
  std::vector<ContainerInfo> confirmed;
  for (const auto& c : unmanaged) {
    ContainerInfo fresh;
    if (engine_.InspectContainer(c.id, &fresh).kind == EngineError::kNotFound) continue;
    std::lock_guard<std::mutex> l(mu_);
    auto it = tenants_.find(c.labels.at("suma.tenant"));
    bool known = it != tenants_.end() && it->second.Busy();
    for (const auto& m : it != tenants_.end() ? it->second.members : std::vector<Member>{})
      known = known || m.container == c.id || ContainerName(it->first, m.index) == c.name;
    if (known) continue;
    confirmed.push_back(c);
    bool seen = false;
    for (const auto& u : metrics_.unmanaged) seen = seen || u.id == c.id;
    if (!seen)
      std::fprintf(stderr, "suma-fleet: container %s (%s) has label suma.tenant=%s but no record; left alone\n",
                   c.name.c_str(), c.id.c_str(), c.labels.at("suma.tenant").c_str());
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    metrics_.unmanaged = confirmed;
  }
  for (auto& t : idle) {
    if (t.state == State::kFailed) {
      if (FailedCreate(t) && !t.members.empty() && RemoveMade(&t)) {
        t.reason = t.op.error;
        Commit(&t);
        Event(t, "cleaned");
      }
      // A create request still in flight in the engine when the fleet died
      // can finish after the rollback: its container has the tenant's name.
      for (const auto& c : all)
        if (FailedCreate(t) && t.members.empty() && IsMemberName(t.name, c.name) &&
            engine_.RemoveContainer(c.id).ok())
          Event(t, "cleaned");
      std::lock_guard<std::mutex> l(mu_);
      reconciling_.erase(t.name);
      continue;
    }
    bool changed = false;
    for (const auto& m : t.members) {
      const ContainerInfo* c = nullptr;
      for (const auto& x : all)
        if (x.id == m.container) c = &x;
      if (c && c->running) continue;
      ContainerInfo fresh;
      EngineError ie = engine_.InspectContainer(m.container, &fresh);
      if (ie.kind == EngineError::kNotFound) {
        t.state = State::kFailed;
        t.reason = why::Gone(ContainerName(t.name, m.index));
        changed = true;
        break;
      }
      if (!ie.ok() || fresh.running) continue;
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
      t.reason = ok ? "" : why::RestartFailed(ContainerName(t.name, m.index), s.ok() ? error : s.message);
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
