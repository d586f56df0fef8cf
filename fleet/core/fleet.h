// The fleet: tenants' lifecycle over an Engine, a Control server and the
// tenants' own Servers. Plain C++: no engine, Redis or HTTP code here.
//
// States: creating -> running | failed(reason); running -> changing (scale,
// credentials) -> running | failed; any idle state -> deleting -> gone.
// Every change is persisted (Control::Save) before the engine is touched, so a
// fleet killed at any point finds the operation in its record on Start() and
// resumes it (containers exist) or rolls it back (they do not): a tenant ends
// running or cleanly failed, never half-made. Requests validate and persist
// synchronously and answer at once (202); RunOne() carries the queued
// operation out (worker threads in the daemon, the test itself in unit tests).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/control.h"
#include "core/engine.h"
#include "core/tenant.h"

namespace fleet {

struct FleetConfig {
  std::string image = "suma-apollo-redis:latest";
  std::string bind = "127.0.0.1";       // tenant servers listen here (host network)
  std::string advertise = "127.0.0.1";  // host in connection strings and registry vips
  int port_lo = 16000, port_hi = 16999;
  // Each container runs as uid uid_base + its RESP port (SUMA_UID): tenants
  // never share a uid, so neither one RLIMIT_NPROC nor signals across them.
  int64_t uid_base = 200000;
  int max_tenants = 50;
  int64_t max_memory_mb = 8192;
  double max_cpus = 8;
  int min_memory_mb = 32;
  int64_t ready_timeout_ms = 30000;
  int64_t step_delay_ms = 0;  // pause after making containers (tests kill the fleet there)
};

struct CreateRequest {
  std::string owner, business;
  Spec spec;
};

struct ScaleRequest {
  std::optional<int> memory_mb, replicas;
  std::optional<double> cpus;
};

struct Created {
  Tenant tenant;
  std::string password;  // empty unless this call made (or re-made) the tenant
};

struct FleetMetrics {
  std::map<std::string, int64_t> ops_total;        // "<kind>/<result>"
  std::map<std::string, int64_t> op_duration_ms;   // "<kind>" -> sum
  int64_t restarts = 0, reconciles = 0;
  bool engine_up = true;
  std::vector<ContainerInfo> unmanaged;
};

class Fleet {
 public:
  Fleet(FleetConfig cfg, Engine& engine, Control& control, Servers& servers, Clock& clock, Secrets& secrets);

  // Loads the records and queues the interrupted operations: RunOne then
  // resumes or rolls each back (once the engine answers).
  std::optional<Error> Start();

  Res<Created> Create(const CreateRequest& req);
  Res<Tenant> Scale(const std::string& name, const ScaleRequest& req);
  Res<Tenant> Delete(const std::string& name, bool purge);
  // Synchronous: new password on every container (recreated on its volume).
  Res<Created> Credentials(const std::string& name);
  Res<Tenant> Get(const std::string& name, bool with_usage);
  std::vector<Tenant> List(bool with_usage);

  // Runs one queued operation to its end, waiting up to wait_ms for one.
  bool RunOne(int64_t wait_ms = 0);
  // Restarts dead containers of idle running tenants, reports unmanaged ones.
  void Reconcile();
  FleetMetrics Metrics();
  const FleetConfig& config() const { return cfg_; }

 private:
  enum class Job { kCreate, kScale, kDelete, kRecover };
  struct Queued {
    std::string name;
    Job job;
  };

  std::string AdminPassword(const Tenant& t) const;
  std::optional<Error> CheckQuota(const std::string& name, const Spec& spec);
  bool AllocatePorts(Tenant* t, int count);
  std::optional<Error> Persist(Tenant* t);       // Save under lock, update the map
  void Commit(Tenant* t);                        // Persist from an operation (logs failures)
  void Event(const Tenant& t, const std::string& what);
  void Finish(Tenant* t, bool ok, const std::string& error);
  Res<Tenant> BeginChange(const std::string& name, const char* kind);

  ContainerSpec MemberSpec(const Tenant& t, const Member& m, const std::string& password) const;
  EngineError MakeMember(Tenant* t, Member* m, const std::string& password);
  bool WaitReady(const Tenant& t, const Member& m);
  std::string RegisterAll(const Tenant& t);
  std::string PasswordFromEngine(const Tenant& t);

  void RunCreate(Tenant t, bool resume);
  void RunScale(Tenant t);
  void RunDelete(Tenant t);
  void UndoScale(Tenant* t);
  void Rollback(Tenant* t, const std::string& error);
  bool RemoveMade(Tenant* t);
  void Recover(Tenant t);
  void CountOp(const Tenant& t, bool ok);

  FleetConfig cfg_;
  Engine& engine_;
  Control& control_;
  Servers& servers_;
  Clock& clock_;
  Secrets& secrets_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Tenant> tenants_;
  std::map<std::string, std::string> passwords_;  // in flight, memory only, until the create ends
  std::set<std::string> reconciling_;
  std::deque<Queued> queue_;
  int64_t next_op_ = 1;
  std::string secret_;  // Control::FleetSecret
  FleetMetrics metrics_;
};

}  // namespace fleet
