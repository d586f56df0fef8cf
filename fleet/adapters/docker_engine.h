// Engine over the Docker Engine API (v1.41) on a unix socket, with libcurl.
// Works against Docker and against podman's compatible service
// (`podman system service`). Live limits: Docker's /containers/{id}/update,
// else podman's native /libpod/containers/{id}/update on the same socket,
// else kUnsupported (the fleet then recreates the container).
#pragma once

#include <mutex>
#include <string>

#include "core/engine.h"

namespace fleet {

class DockerEngine : public Engine {
 public:
  explicit DockerEngine(std::string socket_path, long timeout_ms = 30000);
  EngineError Ping() override;
  EngineError CreateVolume(const std::string& name, const std::map<std::string, std::string>& labels) override;
  EngineError VolumeExists(const std::string& name, bool* exists) override;
  EngineError RemoveVolume(const std::string& name) override;
  EngineError CreateContainer(const ContainerSpec& spec, std::string* id) override;
  EngineError StartContainer(const std::string& id) override;
  EngineError StopContainer(const std::string& id, int timeout_s) override;
  EngineError RemoveContainer(const std::string& id) override;
  EngineError InspectContainer(const std::string& id_or_name, ContainerInfo* out) override;
  EngineError UpdateContainer(const std::string& id, int64_t memory_bytes, int64_t nano_cpus) override;
  EngineError ListContainers(const std::string& label_key, std::vector<ContainerInfo>* out) override;

  struct Reply {
    long status = 0;
    std::string body;
  };
  // One request; status 0 and *error set when the socket could not be used.
  bool Call(const std::string& method, const std::string& path, const std::string& body, Reply* r,
            std::string* error);

 private:
  std::string socket_;
  long timeout_ms_;
};

}  // namespace fleet
