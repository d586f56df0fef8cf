// A tenant's record: what the fleet persists in the control server and what
// GET /v1/tenants/{name} shows (docs/fleet.md). Plain data plus the name and
// spec rules; no engine, Redis or HTTP here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/errors.h"

namespace fleet {

inline constexpr int kMaxReplicas = 3;

struct Spec {
  int memory_mb = 0;
  double cpus = 0;
  int replicas = 0;
  std::string persistence = "everysec";  // everysec | always
  bool operator==(const Spec& o) const {
    return memory_mb == o.memory_mb && cpus == o.cpus && replicas == o.replicas &&
           persistence == o.persistence;
  }
  int Containers() const { return 1 + replicas; }
};

enum class State { kCreating, kRunning, kChanging, kDeleting, kFailed, kDeleted };
const char* StateName(State s);
std::optional<State> ParseState(const std::string& s);

// One container of the tenant: index 0 is the primary, 1..3 the replicas.
struct Member {
  int index = 0;
  int port = 0;          // RESP port on the host
  int console_port = 0;  // the image's console, next to it
  std::string container;  // engine id, empty until created
  bool volume_created = false;  // this tenant's operation made the volume (rollback removes it)
  std::string Role() const { return index == 0 ? "primary" : "replica"; }
};

struct Operation {
  std::string id, kind, state;  // kind create|scale|delete|credentials; state running|done|failed
  int64_t started_ms = 0, finished_ms = 0;
  std::string error;
  Spec previous;      // scale: the spec to go back to on failure
  bool purge = false;  // delete
};

struct Usage {
  int64_t used_memory = 0, maxmemory = 0, connected_clients = 0;
};

struct Tenant {
  std::string name, owner, business;
  Spec spec;
  State state = State::kCreating;
  std::string reason;
  std::vector<Member> members;
  std::string password_hash;  // "sha256:<salt hex>:<digest hex>"
  // The fleet's own ACL user on the tenant's servers: derived (Fleet::AdminPassword), never stored.
  std::string admin_password;
  int64_t created_ms = 0, updated_ms = 0;
  Operation op;
  int64_t version = 0;  // record version in the control server (CAS)
  std::optional<Usage> usage;  // filled for GET while running, never stored

  const Member* Primary() const { return members.empty() ? nullptr : &members[0]; }
  std::string Group() const { return name; }
  std::string Channel() const { return name + "_channel"; }
  std::string MasterKey() const { return name + "_master"; }
  bool Busy() const { return op.state == "running"; }
};

// Owner and business: letters, digits, '.' and '-' (no '_': it separates them),
// and the joined name must be a sumavlib group naming itself.
std::optional<Error> ValidateName(const std::string& owner, const std::string& business);
std::optional<Error> ValidateSpec(const Spec& s, int min_memory_mb);

// Deterministic engine names, so a restarted fleet finds what it made.
std::string ContainerName(const std::string& tenant, int index);
std::string VolumeName(const std::string& tenant, int index);

// maxmemory for a container limit: leaves room for Redis's own overhead, the
// console process and copy-on-write during AOF rewrites.
int64_t MaxmemoryBytes(int memory_mb);

}  // namespace fleet
