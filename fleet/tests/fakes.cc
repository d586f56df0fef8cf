#include "tests/fakes.h"

#include "core/record_json.h"

namespace fleet::testing {
namespace {
EngineError Down() { return {EngineError::kDown, "engine down"}; }
std::string EnvOf(const ContainerSpec& s, const std::string& key) {
  for (const auto& e : s.env)
    if (e.rfind(key + "=", 0) == 0) return e.substr(key.size() + 1);
  return "";
}
}  // namespace

EngineError FakeEngine::Ping() { return down ? Down() : EngineError{}; }

EngineError FakeEngine::CreateVolume(const std::string& name, const std::map<std::string, std::string>&) {
  if (down) return Down();
  volumes.insert(name);
  return {};
}
EngineError FakeEngine::VolumeExists(const std::string& name, bool* exists) {
  if (down) return Down();
  *exists = volumes.count(name) > 0;
  return {};
}
EngineError FakeEngine::RemoveVolume(const std::string& name) {
  if (down) return Down();
  volumes.erase(name);
  return {};
}

FakeEngine::C* FakeEngine::Find(const std::string& k) {
  for (auto& [id, c] : containers)
    if (id == k || c.info.name == k) return &c;
  return nullptr;
}

FakeEngine::C* FakeEngine::ByPort(int port) {
  for (auto& [id, c] : containers)
    if (EnvOf(c.spec, "SUMA_RESP_PORT") == std::to_string(port)) return &c;
  return nullptr;
}

EngineError FakeEngine::CreateContainer(const ContainerSpec& spec, std::string* id) {
  if (down) return Down();
  if (Find(spec.name)) return {EngineError::kConflict, "name in use"};
  if (fail_create_after >= 0 && creates >= fail_create_after) return {EngineError::kOther, "injected create failure"};
  ++creates;
  *id = "id" + std::to_string(creates) + "-" + spec.name;
  C c;
  c.spec = spec;
  c.info.id = *id;
  c.info.name = spec.name;
  c.info.labels = spec.labels;
  c.info.status = "created";
  c.info.env = spec.env;
  containers[*id] = c;
  return {};
}
EngineError FakeEngine::StartContainer(const std::string& id) {
  if (down) return Down();
  C* c = Find(id);
  if (!c) return {EngineError::kNotFound, "no such container"};
  if (fail_start) return {EngineError::kOther, "injected start failure"};
  c->info.running = true;
  c->info.status = "running";
  return {};
}
EngineError FakeEngine::StopContainer(const std::string& id, int) {
  if (down) return Down();
  C* c = Find(id);
  if (!c) return {EngineError::kNotFound, "no such container"};
  c->info.running = false;
  c->info.status = "exited";
  return {};
}
EngineError FakeEngine::RemoveContainer(const std::string& id) {
  if (down) return Down();
  C* c = Find(id);
  if (c) containers.erase(c->info.id);
  return {};
}
EngineError FakeEngine::InspectContainer(const std::string& id, ContainerInfo* out) {
  if (down) return Down();
  C* c = Find(id);
  if (!c) return {EngineError::kNotFound, "no such container"};
  *out = c->info;
  return {};
}
EngineError FakeEngine::UpdateContainer(const std::string& id, int64_t mem, int64_t nano) {
  if (down) return Down();
  if (!update_supported) return {EngineError::kUnsupported, "no update"};
  C* c = Find(id);
  if (!c) return {EngineError::kNotFound, "no such container"};
  ++updates;
  c->spec.memory_bytes = mem;
  c->spec.nano_cpus = nano;
  return {};
}
EngineError FakeEngine::ListContainers(const std::string& key, std::vector<ContainerInfo>* out) {
  if (down) return Down();
  out->clear();
  for (auto& [id, c] : containers)
    if (c.info.labels.count(key)) out->push_back(c.info);
  return {};
}
void FakeEngine::AddForeign(const std::string& name, const std::string& tenant) {
  C c;
  c.info.id = "foreign-" + name;
  c.info.name = name;
  c.info.labels = {{"suma.tenant", tenant}};
  c.info.running = true;
  c.info.status = "running";
  containers[c.info.id] = c;
}

bool FakeControl::LoadAll(std::vector<Tenant>* out, std::string* error) {
  if (down) return *error = "control down", false;
  out->clear();
  for (const auto& [n, r] : records) {
    Tenant t;
    std::string e;
    if (!ParseRecord(r.first, &t, &e)) continue;
    t.version = r.second;
    out->push_back(t);
  }
  return true;
}
bool FakeControl::Save(Tenant* t, bool* conflict, std::string* error) {
  *conflict = false;
  if (down) return *error = "control down", false;
  auto it = records.find(t->name);
  int64_t cur = it == records.end() ? 0 : it->second.second;
  if (cur != t->version) return *conflict = true, false;
  t->version = ++seq;
  records[t->name] = {RecordJson(*t), t->version};
  return true;
}
bool FakeControl::Remove(const std::string& name, std::string* error) {
  if (down) return *error = "control down", false;
  records.erase(name);
  return true;
}
bool FakeControl::Publish(const std::string& ch, const std::string& json, std::string* error) {
  if (down) return *error = "control down", false;
  events.emplace_back(ch, json);
  return true;
}
bool FakeControl::Register(const std::string& mk, const std::string& vip, const std::string& meta, std::string* e) {
  if (down) return *e = "control down", false;
  registry[mk][vip] = meta;
  return true;
}
bool FakeControl::Unregister(const std::string& mk, const std::string& vip, std::string* e) {
  if (down) return *e = "control down", false;
  registry[mk].erase(vip);
  return true;
}
bool FakeControl::FleetSecret(const std::string& candidate, std::string* out, std::string* e) {
  if (down) return *e = "control down", false;
  if (secret.empty()) secret = candidate;
  *out = secret;
  return true;
}
std::vector<std::string> FakeControl::EventsOf(const std::string& tenant) const {
  std::vector<std::string> out;
  for (const auto& [ch, json] : events) {
    if (ch != tenant + "_channel") continue;
    auto p = json.find("\"event\":\"") + 9;
    out.push_back(json.substr(p, json.find('"', p) - p));
  }
  return out;
}

bool FakeServers::Ping(int port, const std::string&) {
  if (never_ready) return false;
  FakeEngine::C* c = engine_.ByPort(port);
  return c && c->info.running;
}
bool FakeServers::GetUsage(int port, const std::string& pw, Usage* out) {
  if (!Ping(port, pw)) return false;
  out->used_memory = 1000;
  out->maxmemory = maxmemory[port];
  out->connected_clients = 1;
  return true;
}
bool FakeServers::SetMaxmemory(int port, const std::string& pw, int64_t bytes, std::string* error) {
  if (!Ping(port, pw)) return *error = "not reachable", false;
  maxmemory[port] = bytes;
  return true;
}
bool FakeServers::Register(int port, const std::string& pw, const std::string&, const std::string& vip,
                           const std::string& meta, std::string* error) {
  if (!Ping(port, pw)) return *error = "not reachable", false;
  registered[port][vip] = meta;
  return true;
}

bool FakeServers::Unregister(int port, const std::string& pw, const std::string&, const std::string& vip,
                             std::string* error) {
  if (!Ping(port, pw)) return *error = "not reachable", false;
  registered[port].erase(vip);
  return true;
}

}  // namespace fleet::testing
