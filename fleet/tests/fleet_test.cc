// Fleet's state machine against the in-memory engine and control server.
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/fleet.h"
#include "core/record_json.h"
#include "tests/fakes.h"

namespace fleet {
namespace {

using testing::FakeClock;
using testing::FakeControl;
using testing::FakeEngine;
using testing::FakeSecrets;
using testing::FakeServers;

// Throws from SleepMs once armed: stands in for a kill -9 at that point.
class KillClock : public FakeClock {
 public:
  bool armed = false;
  void SleepMs(int64_t ms) override {
    if (armed && ms >= 1000) throw std::runtime_error("killed");
    FakeClock::SleepMs(ms);
  }
};

struct World {
  FakeEngine engine;
  FakeControl control;
  FakeServers servers{engine};
  KillClock clock;
  FakeSecrets secrets;
  FleetConfig cfg;
  World() {
    cfg.port_lo = 16000;
    cfg.port_hi = 16019;
    cfg.max_tenants = 3;
    cfg.max_memory_mb = 1024;
    cfg.max_cpus = 4;
    cfg.ready_timeout_ms = 5000;
  }
  Fleet Make() { return Fleet(cfg, engine, control, servers, clock, secrets); }
};

CreateRequest Req(const std::string& owner = "agent.zy", const std::string& business = "test", int mem = 128,
                  double cpus = 0.5, int replicas = 0) {
  CreateRequest r;
  r.owner = owner;
  r.business = business;
  r.spec.memory_mb = mem;
  r.spec.cpus = cpus;
  r.spec.replicas = replicas;
  return r;
}

std::string Env(const ContainerSpec& s, const std::string& k) {
  for (const auto& e : s.env)
    if (e.rfind(k + "=", 0) == 0) return e.substr(k.size() + 1);
  return "<unset>";
}

TEST(Fleet, CreateGoesCreatingThenRunningWithEverythingInPlace) {
  World w;
  Fleet f = w.Make();
  ASSERT_FALSE(f.Start());
  auto r = f.Create(Req());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::string pw = r.value().password;
  EXPECT_EQ(pw, "pw3");  // pw1 + pw2 went into the fleet's secret
  EXPECT_EQ(r.value().tenant.state, State::kCreating);
  // Persisted before the engine was touched.
  ASSERT_EQ(w.control.records.count("agent.zy_test"), 1u);
  EXPECT_TRUE(w.engine.containers.empty());
  // The password only as its hash (the fake hash is "hash:<pw>").
  const std::string& rec = w.control.records["agent.zy_test"].first;
  EXPECT_NE(rec.find("\"password_hash\":\"hash:" + pw + "\""), std::string::npos);
  EXPECT_EQ(rec.find(pw), rec.rfind(pw));
  EXPECT_EQ(rec.find("admin"), std::string::npos);
  EXPECT_EQ(rec.find(w.control.secret), std::string::npos);

  ASSERT_TRUE(f.RunOne());
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kRunning);
  EXPECT_EQ(t.op.state, "done");
  ASSERT_EQ(w.engine.containers.size(), 1u);
  const auto& c = w.engine.containers.begin()->second;
  EXPECT_TRUE(c.info.running);
  EXPECT_EQ(c.spec.name, "suma-agent.zy_test-primary");
  EXPECT_EQ(c.spec.memory_bytes, 128LL << 20);
  EXPECT_EQ(c.spec.nano_cpus, 500000000);
  EXPECT_EQ(c.spec.labels.at("suma.tenant"), "agent.zy_test");
  EXPECT_EQ(c.spec.labels.at("suma.role"), "primary");
  EXPECT_EQ(Env(c.spec, "APOLLO_OWNER_ID"), "agent.zy");
  EXPECT_EQ(Env(c.spec, "APOLLO_BUINESS_ID"), "test");
  EXPECT_EQ(Env(c.spec, "SUMA_PASSWORD"), pw);
  EXPECT_EQ(c.spec.cmd[9], "#sha:hmac:" + w.control.secret + ":agent.zy_test:" + std::to_string(t.created_ms));
  EXPECT_EQ(Env(c.spec, "SUMA_RESP_PORT"), "16000");
  EXPECT_EQ(Env(c.spec, "SUMA_UID"), "216000");  // uid_base + port: a uid of its own
  EXPECT_EQ(c.spec.volume, "suma-agent.zy_test-primary-data");
  EXPECT_EQ(w.engine.volumes.count("suma-agent.zy_test-primary-data"), 1u);
  std::vector<std::string> cmd = c.spec.cmd;
  EXPECT_EQ(cmd[1], std::to_string(MaxmemoryBytes(128)));
  EXPECT_EQ(cmd[3], "noeviction");
  EXPECT_EQ(t.password_hash, "hash:" + pw);
  EXPECT_EQ(w.control.registry["agent.zy_test_master"].count("127.0.0.1:16000"), 1u);
  EXPECT_EQ(w.control.registry["agent.zy_test_master"]["127.0.0.1:16000"],
            "{\"role\":\"primary\",\"port\":16000,\"memory_mb\":128,\"cpus\":0.5}");
  EXPECT_EQ(w.servers.registered[16000].count("127.0.0.1:16000"), 1u);
  EXPECT_EQ(w.control.EventsOf("agent.zy_test"), (std::vector<std::string>{"creating", "running"}));
  EXPECT_EQ(ConnectionString(t, "127.0.0.1"), "redis://default@127.0.0.1:16000");
  EXPECT_EQ(ApiJson(t, "127.0.0.1").find(pw), std::string::npos);
}

TEST(Fleet, PortsAnotherProgramHoldsArePassedOver) {
  World w;
  w.servers.ports_in_use = {16000, 16003};  // a listener, and a console port's neighbour
  Fleet f = w.Make();
  ASSERT_FALSE(f.Start());
  auto r = f.Create(Req("a", "one", 64, 0.5, 1));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(f.RunOne());
  Tenant t = f.Get("a_one", false).value();
  EXPECT_EQ(t.state, State::kRunning);
  ASSERT_EQ(t.members.size(), 2u);
  EXPECT_EQ(t.members[0].port, 16004);
  EXPECT_EQ(t.members[1].port, 16006);
  // Every pair held: a quota error naming the range, and nothing made.
  for (int p = 16000; p <= 16019; ++p) w.servers.ports_in_use.insert(p);
  auto full = f.Create(Req("a", "two", 64, 0.5));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, Code::kQuota);
  EXPECT_NE(full.error().message.find("16000-16019"), std::string::npos) << full.error().message;
  EXPECT_EQ(w.control.records.count("a_two"), 0u);
}

TEST(Fleet, CreateIsIdempotentForTheSameSpecAndConflictsForAnother) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  auto again = f.Create(Req());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().password, "");
  f.RunOne();
  auto after = f.Create(Req());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after.value().tenant.state, State::kRunning);
  auto other = f.Create(Req("agent.zy", "test", 256));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Code::kConflict);
  EXPECT_EQ(HttpStatus(other.error().code), 409);
  EXPECT_EQ(w.engine.containers.size(), 1u);
}

TEST(Fleet, BadInputIsRefusedAndLeavesNothing) {
  World w;
  Fleet f = w.Make();
  struct Case {
    CreateRequest r;
    const char* want;
  } cases[] = {
      {Req("", "test"), "invalid owner '': empty"},
      {Req("agent_zy", "test"), "invalid owner 'agent_zy': only letters"},
      {Req("agent.zy", "te st"), "invalid business 'te st'"},
      {Req("agent.zy", "master"), "not a sumavlib group name"},
      {Req("agent.zy", ".x"), "must start with a letter or digit"},
      {Req("agent.zy", "test", 16), "invalid memory_mb 16: the minimum is 32 MB"},
      {Req("agent.zy", "test", 128, 0), "invalid cpus"},
      {Req("agent.zy", "test", 128, 0.5, 4), "invalid replicas 4"},
  };
  for (const auto& c : cases) {
    auto r = f.Create(c.r);
    ASSERT_FALSE(r.ok()) << c.want;
    EXPECT_EQ(r.error().code, Code::kBadRequest);
    EXPECT_NE(r.error().message.find(c.want), std::string::npos) << r.error().message;
  }
  CreateRequest p = Req();
  p.spec.persistence = "never";
  EXPECT_EQ(f.Create(p).error().code, Code::kBadRequest);
  EXPECT_TRUE(w.control.records.empty());
  EXPECT_TRUE(w.engine.containers.empty());
  EXPECT_EQ(f.Get("nobody_here", false).error().code, Code::kNotFound);
  EXPECT_EQ(f.Scale("nobody_here", {}).error().code, Code::kNotFound);
  EXPECT_EQ(f.Delete("nobody_here", false).error().code, Code::kNotFound);
  EXPECT_EQ(f.Credentials("nobody_here").error().code, Code::kNotFound);
}

TEST(Fleet, QuotasOnTenantsMemoryAndCpus) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req("a", "one", 512, 1)).ok());
  auto mem = f.Create(Req("a", "two", 256, 1, 1));  // 512 + 2*256 = 1024 fits
  ASSERT_TRUE(mem.ok());
  auto over = f.Create(Req("a", "three", 32, 0.5));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Code::kQuota);
  EXPECT_NE(over.error().message.find("memory"), std::string::npos);
  EXPECT_EQ(HttpStatus(over.error().code), 422);
  World w2;
  Fleet g = w2.Make();
  auto cpus = g.Create(Req("a", "one", 64, 2, 1));  // 4 cpus fits
  ASSERT_TRUE(cpus.ok());
  auto c2 = g.Create(Req("a", "two", 64, 0.5));
  ASSERT_FALSE(c2.ok());
  EXPECT_NE(c2.error().message.find("cpus"), std::string::npos);
  World w3;
  Fleet h = w3.Make();
  for (const char* b : {"b1", "b2", "b3"}) ASSERT_TRUE(h.Create(Req("a", b, 32, 0.1)).ok());
  auto n = h.Create(Req("a", "b4", 32, 0.1));
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message.find("tenants"), std::string::npos);
  EXPECT_EQ(w3.control.records.size(), 3u);
}

TEST(Fleet, EngineDownIsA503AndChangesNothing) {
  World w;
  w.engine.down = true;
  Fleet f = w.Make();
  auto r = f.Create(Req());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kEngineDown);
  EXPECT_EQ(HttpStatus(r.error().code), 503);
  EXPECT_TRUE(w.control.records.empty());
}

TEST(Fleet, FailureHalfWayRollsBackEverythingAndCanBeRetried) {
  World w;
  w.engine.fail_create_after = 1;  // the primary is made, the replica is not
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req("agent.zy", "test", 64, 0.5, 1)).ok());
  f.RunOne();
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kFailed);
  EXPECT_NE(t.reason.find("injected create failure"), std::string::npos);
  EXPECT_EQ(t.op.state, "failed");
  EXPECT_TRUE(t.members.empty());
  EXPECT_TRUE(w.engine.containers.empty());
  EXPECT_TRUE(w.engine.volumes.empty());
  EXPECT_TRUE(w.control.registry["agent.zy_test_master"].empty());
  EXPECT_EQ(w.control.EventsOf("agent.zy_test").back(), "failed");
  // A failed tenant holds no quota and the create can be retried.
  w.engine.fail_create_after = -1;
  auto again = f.Create(Req("agent.zy", "test", 64, 0.5, 1));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value().password.empty());
  f.RunOne();
  EXPECT_EQ(f.Get("agent.zy_test", false).value().state, State::kRunning);
  EXPECT_EQ(w.engine.containers.size(), 2u);
}

TEST(Fleet, ServerThatNeverAnswersFailsAfterTheTimeout) {
  World w;
  w.servers.never_ready = true;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kFailed);
  EXPECT_NE(t.reason.find("did not answer PING within 5000 ms"), std::string::npos);
  EXPECT_TRUE(w.engine.containers.empty());
}

TEST(Fleet, SecondChangeWhileOneRunsIsBusy) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  ScaleRequest s;
  s.memory_mb = 256;
  auto b = f.Scale("agent.zy_test", s);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Code::kBusy);
  EXPECT_EQ(HttpStatus(b.error().code), 409);
  EXPECT_EQ(f.Delete("agent.zy_test", false).error().code, Code::kBusy);
  f.RunOne();
  ASSERT_TRUE(f.Scale("agent.zy_test", s).ok());
  EXPECT_EQ(f.Scale("agent.zy_test", s).error().code, Code::kBusy);
  EXPECT_EQ(f.Credentials("agent.zy_test").error().code, Code::kBusy);
}

TEST(Fleet, ScaleMemoryLiveAndReplicasUpThenDown) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  ScaleRequest s;
  s.memory_mb = 256;
  s.cpus = 1;
  auto r = f.Scale("agent.zy_test", s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().state, State::kChanging);
  f.RunOne();
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kRunning);
  EXPECT_EQ(t.spec.memory_mb, 256);
  EXPECT_EQ(w.engine.updates, 1);
  EXPECT_EQ(w.engine.creates, 1);  // live: not recreated
  EXPECT_EQ(w.engine.containers.begin()->second.spec.memory_bytes, 256LL << 20);
  EXPECT_EQ(w.servers.maxmemory[16000], MaxmemoryBytes(256));

  ScaleRequest up;
  up.replicas = 1;
  ASSERT_TRUE(f.Scale("agent.zy_test", up).ok());
  f.RunOne();
  t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kRunning) << t.reason << t.op.error;
  ASSERT_EQ(t.members.size(), 2u);
  auto* rep = w.engine.Find("suma-agent.zy_test-replica1");
  ASSERT_TRUE(rep);
  EXPECT_EQ(Env(rep->spec, "CONTAINER_TYPE"), "replica");
  EXPECT_EQ(Env(rep->spec, "SUMA_PRIMARY"), "127.0.0.1:16000");
  EXPECT_EQ(Env(rep->spec, "SUMA_PASSWORD"), "pw1");
  EXPECT_EQ(rep->spec.labels.at("suma.role"), "replica");
  EXPECT_EQ(w.control.registry["agent.zy_test_master"].size(), 2u);

  ScaleRequest down;
  down.replicas = 0;
  ASSERT_TRUE(f.Scale("agent.zy_test", down).ok());
  f.RunOne();
  t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.members.size(), 1u);
  EXPECT_FALSE(w.engine.Find("suma-agent.zy_test-replica1"));
  EXPECT_EQ(w.engine.volumes.count("suma-agent.zy_test-replica1-data"), 0u);
  EXPECT_EQ(w.control.registry["agent.zy_test_master"].size(), 1u);
  EXPECT_EQ(w.servers.registered[16000].size(), 1u);  // and on the tenant's own server

  ScaleRequest bad;
  bad.memory_mb = 8;
  EXPECT_EQ(f.Scale("agent.zy_test", bad).error().code, Code::kBadRequest);
  EXPECT_EQ(f.Scale("agent.zy_test", {}).error().code, Code::kBadRequest);
  ScaleRequest huge;
  huge.memory_mb = 4096;
  EXPECT_EQ(f.Scale("agent.zy_test", huge).error().code, Code::kQuota);
  EXPECT_EQ(f.Get("agent.zy_test", false).value().spec.memory_mb, 256);
}

TEST(Fleet, ScaleRecreatesOnTheSameVolumeWhenTheEngineCannotUpdate) {
  World w;
  w.engine.update_supported = false;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  std::string old_id = w.engine.containers.begin()->first;
  ScaleRequest s;
  s.memory_mb = 64;
  ASSERT_TRUE(f.Scale("agent.zy_test", s).ok());
  f.RunOne();
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kRunning);
  ASSERT_EQ(w.engine.containers.size(), 1u);
  const auto& c = w.engine.containers.begin()->second;
  EXPECT_NE(c.info.id, old_id);
  EXPECT_EQ(c.spec.memory_bytes, 64LL << 20);
  EXPECT_EQ(c.spec.volume, "suma-agent.zy_test-primary-data");
  EXPECT_EQ(Env(c.spec, "SUMA_PASSWORD"), "pw1");
}

TEST(Fleet, DeleteKeepsTheVolumeUnlessPurge) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  auto d = f.Delete("agent.zy_test", false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().state, State::kDeleting);
  f.RunOne();
  EXPECT_EQ(f.Get("agent.zy_test", false).error().code, Code::kNotFound);
  EXPECT_TRUE(w.engine.containers.empty());
  EXPECT_EQ(w.engine.volumes.count("suma-agent.zy_test-primary-data"), 1u);
  EXPECT_TRUE(w.control.records.empty());
  EXPECT_TRUE(w.control.registry["agent.zy_test_master"].empty());
  EXPECT_EQ(w.control.EventsOf("agent.zy_test").back(), "deleted");

  // Made again on the kept volume; a failure then must not remove that volume.
  w.engine.fail_start = true;
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  EXPECT_EQ(f.Get("agent.zy_test", false).value().state, State::kFailed);
  EXPECT_EQ(w.engine.volumes.count("suma-agent.zy_test-primary-data"), 1u);
  w.engine.fail_start = false;
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  ASSERT_TRUE(f.Delete("agent.zy_test", true).ok());
  f.RunOne();
  EXPECT_TRUE(w.engine.volumes.empty());
}

TEST(Fleet, ReconcileRestartsDeadContainersAndReportsUnmanagedOnes) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  auto& c = w.engine.containers.begin()->second;
  c.info.running = false;
  c.info.status = "exited";
  w.engine.AddForeign("someone-elses", "other_tenant");
  f.Reconcile();
  EXPECT_TRUE(w.engine.containers.begin()->second.info.running || w.engine.Find("suma-agent.zy_test-primary")->info.running);
  EXPECT_EQ(w.control.EventsOf("agent.zy_test").back(), "restarted");
  FleetMetrics m = f.Metrics();
  EXPECT_EQ(m.restarts, 1);
  ASSERT_EQ(m.unmanaged.size(), 1u);
  EXPECT_EQ(m.unmanaged[0].name, "someone-elses");
  EXPECT_TRUE(w.engine.Find("someone-elses"));  // never deleted
  EXPECT_EQ(w.servers.maxmemory[16000], MaxmemoryBytes(128));
  EXPECT_EQ(f.Get("agent.zy_test", false).value().state, State::kRunning);
}

TEST(Fleet, ContainerRemovedBehindTheFleetsBackFailsTheTenantUntilCredentials) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  w.engine.containers.clear();
  f.Reconcile();
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kFailed);
  EXPECT_NE(t.reason.find("is gone"), std::string::npos);
  auto c = f.Credentials("agent.zy_test");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c.value().tenant.state, State::kRunning);
  EXPECT_EQ(Env(w.engine.containers.begin()->second.spec, "SUMA_PASSWORD"), c.value().password);
  EXPECT_EQ(f.Get("agent.zy_test", false).value().password_hash, "hash:" + c.value().password);
}

TEST(Fleet, KilledBeforeContainersExistRollsBackOnRestart) {
  World w;
  {
    Fleet a = w.Make();
    ASSERT_TRUE(a.Create(Req()).ok());
  }  // gone before RunOne
  Fleet b = w.Make();
  ASSERT_FALSE(b.Start());
  ASSERT_TRUE(b.RunOne());
  Tenant t = b.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kFailed);
  EXPECT_NE(t.reason.find("fleet restarted"), std::string::npos);
  EXPECT_FALSE(b.RunOne());
  EXPECT_TRUE(w.engine.containers.empty());
  EXPECT_TRUE(w.engine.volumes.empty());
}

TEST(Fleet, KilledAfterContainersExistResumesOnRestart) {
  World w;
  w.cfg.step_delay_ms = 1000;
  {
    Fleet a = w.Make();
    ASSERT_TRUE(a.Create(Req("agent.zy", "test", 64, 0.5, 1)).ok());
    w.clock.armed = true;
    EXPECT_THROW(a.RunOne(), std::runtime_error);  // "killed" between create and start
  }
  w.clock.armed = false;
  EXPECT_EQ(w.engine.containers.size(), 2u);
  EXPECT_FALSE(w.engine.containers.begin()->second.info.running);
  Fleet b = w.Make();
  w.engine.down = true;  // recovery waits for the engine rather than guess
  ASSERT_FALSE(b.Start());
  ASSERT_TRUE(b.RunOne());
  ASSERT_TRUE(b.RunOne());
  EXPECT_EQ(b.Get("agent.zy_test", false).value().state, State::kCreating);
  EXPECT_EQ(w.engine.containers.size(), 2u);
  w.engine.down = false;
  ASSERT_TRUE(b.RunOne());
  Tenant t = b.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kRunning);
  for (const auto& [id, c] : w.engine.containers) EXPECT_TRUE(c.info.running);
  EXPECT_EQ(w.control.registry["agent.zy_test_master"].size(), 2u);
}

TEST(Fleet, FailedScaleIsReportedAndUndoneWhileThePrimaryKeepsServing) {
  World w;
  Fleet f = w.Make();
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();
  w.engine.fail_create_after = w.engine.creates;  // the new replica cannot be made
  ScaleRequest s;
  s.replicas = 2;
  s.memory_mb = 256;
  ASSERT_TRUE(f.Scale("agent.zy_test", s).ok());
  f.RunOne();
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kRunning);
  EXPECT_EQ(t.op.state, "failed");
  EXPECT_NE(t.op.error.find("injected create failure"), std::string::npos);
  EXPECT_EQ(t.spec.memory_mb, 128);
  EXPECT_EQ(t.spec.replicas, 0);
  EXPECT_EQ(t.members.size(), 1u);
  EXPECT_EQ(w.engine.containers.size(), 1u);
  EXPECT_EQ(w.engine.volumes.size(), 1u);
  EXPECT_EQ(w.servers.maxmemory[16000], MaxmemoryBytes(128));
  EXPECT_EQ(w.control.EventsOf("agent.zy_test").back(), "scale_failed");
  EXPECT_EQ(f.Metrics().ops_total["scale/failed"], 1);
}

TEST(Fleet, InterruptedCredentialsFailTheTenantUntilRetried) {
  World w;
  Fleet a = w.Make();
  ASSERT_TRUE(a.Create(Req()).ok());
  a.RunOne();
  // A record left with a running credentials operation, as a kill -9 would.
  Tenant t = a.Get("agent.zy_test", false).value();
  t.op.kind = "credentials";
  t.op.state = "running";
  t.op.id = "op-9";
  bool conflict;
  std::string e;
  ASSERT_TRUE(w.control.Save(&t, &conflict, &e));
  Fleet b = w.Make();
  ASSERT_FALSE(b.Start());
  ASSERT_TRUE(b.RunOne());
  EXPECT_EQ(b.Get("agent.zy_test", false).value().state, State::kFailed);
  auto c = b.Credentials("agent.zy_test");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(b.Get("agent.zy_test", false).value().state, State::kRunning);
  // New operation ids continue after the ones in the records.
  EXPECT_EQ(c.value().tenant.op.id, "op-10");
}

// The engine dies half-way: what could not be removed stays in the record and
// reconciliation removes it once the engine is back.
class DyingEngine : public FakeEngine {
 public:
  int die_after_starts = -1;
  int starts = 0;
  EngineError StartContainer(const std::string& id) override {
    if (die_after_starts >= 0 && ++starts > die_after_starts) down = true;
    return FakeEngine::StartContainer(id);
  }
};

TEST(Fleet, CleanupThatTheEngineRefusedIsFinishedByReconciliation) {
  World w;
  DyingEngine engine;
  engine.die_after_starts = 1;  // the primary starts, then the engine is gone
  FakeServers servers(engine);
  Fleet f(w.cfg, engine, w.control, servers, w.clock, w.secrets);
  ASSERT_TRUE(f.Create(Req("agent.zy", "test", 64, 0.5, 1)).ok());
  f.RunOne();
  Tenant t = f.Get("agent.zy_test", false).value();
  EXPECT_EQ(t.state, State::kFailed);
  EXPECT_NE(t.reason.find("cleanup pending"), std::string::npos);
  EXPECT_EQ(t.members.size(), 2u);
  EXPECT_EQ(engine.containers.size(), 2u);
  f.Reconcile();  // engine still down: nothing changes
  EXPECT_EQ(f.Get("agent.zy_test", false).value().members.size(), 2u);
  engine.down = false;
  engine.die_after_starts = -1;
  f.Reconcile();
  t = f.Get("agent.zy_test", false).value();
  EXPECT_TRUE(t.members.empty());
  EXPECT_TRUE(engine.containers.empty());
  EXPECT_TRUE(engine.volumes.empty());
  EXPECT_EQ(t.reason.find("cleanup pending"), std::string::npos);
  EXPECT_EQ(w.control.EventsOf("agent.zy_test").back(), "cleaned");
  ASSERT_TRUE(f.Create(Req("agent.zy", "test", 64, 0.5, 1)).ok());  // and it can be retried
}

TEST(Fleet, InterruptedScaleAndDeleteAreResumedOnRestart) {
  World w;
  {
    Fleet a = w.Make();
    ASSERT_TRUE(a.Create(Req("a", "one")).ok());
    ASSERT_TRUE(a.Create(Req("a", "two")).ok());
    a.RunOne();
    a.RunOne();
    ScaleRequest s;
    s.replicas = 1;
    ASSERT_TRUE(a.Scale("a_one", s).ok());
    ASSERT_TRUE(a.Delete("a_two", true).ok());
  }  // killed with both operations persisted but not carried out
  Fleet b = w.Make();
  ASSERT_FALSE(b.Start());
  EXPECT_EQ(b.Get("a_one", false).value().state, State::kChanging);
  EXPECT_EQ(b.Get("a_two", false).value().state, State::kDeleting);
  while (b.RunOne()) {
  }
  Tenant one = b.Get("a_one", false).value();
  EXPECT_EQ(one.state, State::kRunning);
  EXPECT_EQ(one.op.state, "done");
  EXPECT_EQ(one.members.size(), 2u);
  EXPECT_TRUE(w.engine.Find("suma-a_one-replica1"));
  EXPECT_EQ(b.Get("a_two", false).error().code, Code::kNotFound);
  EXPECT_FALSE(w.engine.Find("suma-a_two-primary"));
  EXPECT_EQ(w.engine.volumes.count("suma-a_two-primary-data"), 0u);
  EXPECT_EQ(w.control.records.count("a_two"), 0u);
}

TEST(Fleet, ContainerFinishedByTheEngineAfterARollbackIsRemovedByReconciliation) {
  World w;
  Fleet f = w.Make();
  w.servers.never_ready = true;
  ASSERT_TRUE(f.Create(Req()).ok());
  f.RunOne();  // failed and rolled back
  ASSERT_EQ(f.Get("agent.zy_test", false).value().state, State::kFailed);
  // The engine completes a create the dead fleet had sent, after the rollback.
  std::string id;
  ContainerSpec late;
  late.name = "suma-agent.zy_test-primary";
  late.labels = {{"suma.tenant", "agent.zy_test"}, {"suma.fleet", "1"}};
  ASSERT_TRUE(w.engine.CreateContainer(late, &id).ok());
  w.engine.AddForeign("not-ours", "agent.zy_test");  // same label, other name: left alone
  f.Reconcile();
  EXPECT_FALSE(w.engine.Find("suma-agent.zy_test-primary"));
  EXPECT_TRUE(w.engine.Find("not-ours"));
  ASSERT_EQ(f.Metrics().unmanaged.size(), 1u);
  EXPECT_EQ(f.Metrics().unmanaged[0].name, "not-ours");
  EXPECT_EQ(w.control.EventsOf("agent.zy_test").back(), "cleaned");
}

TEST(Fleet, RecordRoundTripsThroughJson) {
  Tenant t;
  t.name = "a_b";
  t.owner = "a";
  t.business = "b";
  t.spec = {64, 0.25, 2, "always"};
  t.state = State::kChanging;
  t.members = {{0, 16000, 16001, "id0", true}, {1, 16002, 16003, "", false}};
  t.op.id = "op-7";
  t.op.kind = "scale";
  t.op.state = "running";
  t.op.previous = {32, 0.5, 0, "everysec"};
  Tenant back;
  std::string e;
  ASSERT_TRUE(ParseRecord(RecordJson(t), &back, &e)) << e;
  EXPECT_EQ(back.spec, t.spec);
  EXPECT_EQ(back.op.previous, t.op.previous);
  EXPECT_EQ(back.state, State::kChanging);
  ASSERT_EQ(back.members.size(), 2u);
  EXPECT_TRUE(back.members[0].volume_created);
  EXPECT_EQ(back.members[1].port, 16002);
  std::string bad;
  EXPECT_FALSE(ParseRecord("[1]", &back, &bad));
}

}  // namespace
}  // namespace fleet
