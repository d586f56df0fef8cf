// In-memory engine, control server, tenant servers, clock and secrets for the
// unit tests of Fleet. Failures are injected through the public fields.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/control.h"
#include "core/engine.h"

namespace fleet::testing {

class FakeEngine : public Engine {
 public:
  struct C {
    ContainerInfo info;
    ContainerSpec spec;
  };
  std::map<std::string, C> containers;  // by id
  std::set<std::string> volumes;
  bool down = false;
  bool update_supported = true;
  int fail_create_after = -1;  // this many creates succeed, then they fail
  bool fail_start = false;
  int creates = 0, updates = 0;

  EngineError Ping() override;
  EngineError CreateVolume(const std::string& name, const std::map<std::string, std::string>&) override;
  EngineError VolumeExists(const std::string& name, bool* exists) override;
  EngineError RemoveVolume(const std::string& name) override;
  EngineError CreateContainer(const ContainerSpec& spec, std::string* id) override;
  EngineError StartContainer(const std::string& id) override;
  EngineError StopContainer(const std::string& id, int) override;
  EngineError RemoveContainer(const std::string& id) override;
  EngineError InspectContainer(const std::string& id, ContainerInfo* out) override;
  EngineError UpdateContainer(const std::string& id, int64_t mem, int64_t nano) override;
  EngineError ListContainers(const std::string& key, std::vector<ContainerInfo>* out) override;

  C* Find(const std::string& id_or_name);
  C* ByPort(int port);
  // A container started outside the fleet (or left by someone): for the unmanaged report.
  void AddForeign(const std::string& name, const std::string& tenant);
};

class FakeControl : public Control {
 public:
  std::map<std::string, std::pair<std::string, int64_t>> records;  // name -> json, version
  std::vector<std::pair<std::string, std::string>> events;          // channel, json
  std::map<std::string, std::map<std::string, std::string>> registry;  // master key -> vip -> meta
  bool down = false;
  int64_t seq = 0;

  bool LoadAll(std::vector<Tenant>* out, std::string* error) override;
  bool Save(Tenant* t, bool* conflict, std::string* error) override;
  bool Remove(const std::string& name, std::string* error) override;
  bool Publish(const std::string& channel, const std::string& json, std::string* error) override;
  bool Register(const std::string& mk, const std::string& vip, const std::string& meta, std::string* e) override;
  bool Unregister(const std::string& mk, const std::string& vip, std::string* e) override;
  bool FleetSecret(const std::string& candidate, std::string* secret, std::string* e) override;
  std::string secret;
  std::vector<std::string> EventsOf(const std::string& tenant) const;  // "event" fields, in order
};

class FakeServers : public Servers {
 public:
  explicit FakeServers(FakeEngine& e) : engine_(e) {}
  std::map<int, int64_t> maxmemory;  // by port
  std::map<int, std::map<std::string, std::string>> registered;  // port -> vip -> meta
  bool never_ready = false;

  bool Ping(int port, const std::string& pw) override;
  bool GetUsage(int port, const std::string& pw, Usage* out) override;
  bool SetMaxmemory(int port, const std::string& pw, int64_t bytes, std::string* error) override;
  bool Register(int port, const std::string& pw, const std::string& mk, const std::string& vip,
                const std::string& meta, std::string* error) override;
  bool Unregister(int port, const std::string& pw, const std::string& mk, const std::string& vip,
                  std::string* error) override;
  std::set<int> ports_in_use;  // held by other programs of the host
  bool PortInUse(int port) override { return ports_in_use.count(port) > 0; }

 private:
  FakeEngine& engine_;
};

class FakeClock : public Clock {
 public:
  int64_t now = 1000000;
  int64_t NowMs() override { return now; }
  void SleepMs(int64_t ms) override { now += ms; }
};

class FakeSecrets : public Secrets {
 public:
  int n = 0;
  std::string NewPassword() override { return "pw" + std::to_string(++n); }
  std::string Hash(const std::string& p) override { return "hash:" + p; }
  std::string Sha256Hex(const std::string& p) override { return "sha:" + p; }
  std::string Hmac(const std::string& k, const std::string& d) override { return "hmac:" + k + ":" + d; }
};

}  // namespace fleet::testing
