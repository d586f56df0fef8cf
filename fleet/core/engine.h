// The container engine behind the fleet. DockerEngine (adapters/) speaks the
// Docker Engine API (Docker, or podman's compatible service); FakeEngine
// (tests/) keeps containers in memory.
//
// Contract: every call is synchronous and either succeeds or returns an
// EngineError. kDown means the engine could not be reached at all; the fleet
// answers 503 and changes nothing. Remove and RemoveVolume of something absent
// succeed (idempotent), Start of a running container succeeds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fleet {

struct EngineError {
  enum Kind { kNone, kDown, kNotFound, kConflict, kUnsupported, kOther } kind = kNone;
  std::string message;
  bool ok() const { return kind == kNone; }
};

struct ContainerSpec {
  std::string name, image;
  std::vector<std::string> env;   // "K=V"
  std::vector<std::string> cmd;   // arguments after the image's entrypoint
  std::map<std::string, std::string> labels;
  int64_t memory_bytes = 0;
  int64_t nano_cpus = 0;
  std::string volume, mount_path;  // named volume mounted at mount_path
  bool host_network = true;
};

struct ContainerInfo {
  std::string id, name;
  std::map<std::string, std::string> labels;
  bool running = false;
  std::string status;  // the engine's word: running, exited, created, ...
  std::vector<std::string> env;  // filled by Inspect only
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual EngineError Ping() = 0;
  virtual EngineError CreateVolume(const std::string& name, const std::map<std::string, std::string>& labels) = 0;
  virtual EngineError VolumeExists(const std::string& name, bool* exists) = 0;
  virtual EngineError RemoveVolume(const std::string& name) = 0;
  virtual EngineError CreateContainer(const ContainerSpec& spec, std::string* id) = 0;
  virtual EngineError StartContainer(const std::string& id) = 0;
  virtual EngineError StopContainer(const std::string& id, int timeout_s) = 0;
  virtual EngineError RemoveContainer(const std::string& id) = 0;  // force: stops it first
  virtual EngineError InspectContainer(const std::string& id_or_name, ContainerInfo* out) = 0;
  // Live limits; kUnsupported when the engine cannot change them in place.
  virtual EngineError UpdateContainer(const std::string& id, int64_t memory_bytes, int64_t nano_cpus) = 0;
  // Every container (running or not) carrying label `key` (any value).
  virtual EngineError ListContainers(const std::string& label_key, std::vector<ContainerInfo>* out) = 0;
};

}  // namespace fleet
