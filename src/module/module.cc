// Module entry point: binds the API, registers configuration, the command
// families, the INFO section and the eviction sweep.
#include <string>
#include <vector>

#include "abi/rm_abi.h"
#include "core/config.h"
#include "suma_version.h"
#include "core/leader.h"
#include "core/series.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/eviction.h"
#include "module/slots.h"

namespace suma::mod {
namespace {

constexpr const char* kSince = "0.1.0";  // COMMAND DOCS "since" of every command

long long GetNumeric(const char*, void* priv) {
  return rt().cfg.*(static_cast<const NumericSpec*>(priv)->field);
}

int SetNumeric(const char*, long long v, void* priv, rm::Str**) {
  rt().cfg.*(static_cast<const NumericSpec*>(priv)->field) = v;
  return rm::kOk;
}

rm::Str* g_tenant_str = nullptr;

rm::Str* GetTenant(const char*, void*) {
  if (g_tenant_str) rm::FreeString(nullptr, g_tenant_str);
  // Reported in the form it is set: "<owner> <business>".
  std::string v = rt().cfg.tenant;
  if (auto us = v.find('_'); us != std::string::npos) v[us] = ' ';
  g_tenant_str = rm::CreateString(nullptr, v.data(), v.size());
  return g_tenant_str;
}

int SetTenantConfig(const char*, rm::Str* val, void*, rm::Str** err) {
  Status s = SetTenant(Arg(val), &rt().cfg);
  if (s.ok()) return rm::kOk;
  *err = rm::CreateString(nullptr, s.reply().data(), s.reply().size());
  return rm::kErr;
}

long long GetFailNth(const char*, void*) { return rt().fail_nth_write; }
int SetFailNth(const char*, long long v, void*, rm::Str**) {
  rt().fail_nth_write = v;
  return rm::kOk;
}

bool RegisterConfigs(rm::Ctx* ctx) {
  for (const NumericSpec& spec : NumericSpecs()) {
    if (rm::RegisterNumericConfig(ctx, spec.name, spec.def, rm::kConfigDefault, spec.min, spec.max,
                                  GetNumeric, SetNumeric, nullptr,
                                  const_cast<NumericSpec*>(&spec)) != rm::kOk)
      return false;
  }
  // For tests of the write path: the nth internal write from now fails, once
  // (module/txn.h). Hidden from CONFIG GET patterns; 0 is off.
  return rm::RegisterStringConfig(ctx, "tenant", "", rm::kConfigDefault, GetTenant,
                                  SetTenantConfig, nullptr, nullptr) == rm::kOk &&
         rm::RegisterNumericConfig(ctx, "debug-fail-nth-write", 0, rm::kConfigHidden, 0,
                                   1000000, GetFailNth, SetFailNth, nullptr,
                                   nullptr) == rm::kOk;
}

void OnInfo(rm::InfoCtx* ctx, int) {
  rm::InfoAddSection(ctx, "stats");
  rm::InfoAddFieldLongLong(ctx, "heartbeats", rt().heartbeats);
  rm::InfoAddFieldLongLong(ctx, "elections", rt().elections);
  rm::InfoAddFieldLongLong(ctx, "events", rt().events);
  rm::InfoAddFieldLongLong(ctx, "evictions", rt().evictions);
  rm::InfoAddFieldLongLong(ctx, "groups_tracked", static_cast<long long>(TrackedGroupCount()));
  rm::InfoAddFieldLongLong(ctx, "grace_left_ms",
                           rt().grace_until > NowMs() ? rt().grace_until - NowMs() : 0);
}

// A new incarnation of this server's data (start, load, promotion): events
// its predecessor granted may never have reached this copy, so every group's
// next seq jumps above them (core/series.h).
void NewIncarnation() {
  rt().restart_floor = TimeFloor(NowMs());
  StartGrace();
}

void OnServerEvent(rm::Ctx*, rm::Event e, uint64_t sub, void* data) {
  if (e.id == rm::kEventRoleChanged.id && sub == rm::kSubRoleNowMaster) NewIncarnation();
  if (e.id == rm::kEventLoading.id && sub == rm::kSubLoadingEnded) NewIncarnation();
  // Only db 0 holds groups: a flush or swap of other dbs changes nothing.
  if (e.id == rm::kEventFlushDb.id && sub == rm::kSubFlushDbEnd) {
    int db = static_cast<const rm::FlushInfoV1*>(data)->dbnum;
    if (db == 0 || db == -1) Rediscover();
  }
  if (e.id == rm::kEventSwapDb.id) {
    const auto* info = static_cast<const rm::SwapDbInfoV1*>(data);
    if (info->dbnum_first == 0 || info->dbnum_second == 0) Rediscover();
  }
}


}  // namespace
}  // namespace suma::mod

extern "C" __attribute__((visibility("default"))) int RedisModule_OnLoad(RedisModuleCtx* ctx,
                                                                         RedisModuleString** argv,
                                                                         int argc) {
  using namespace suma::mod;
  if (!rm::Init(ctx, "sumavlib", suma::kVersionNumber)) return rm::kErr;
  if (!RegisterConfigs(ctx) || rm::LoadConfigs(ctx) != rm::kOk) {
    rm::Log(ctx, "warning", "sumavlib: could not register its configuration");
    return rm::kErr;
  }
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) args.emplace_back(Arg(argv[i]));
  suma::Status s = suma::ApplyModuleArgs(args, &rt().cfg);
  if (!s.ok()) {
    rm::Log(ctx, "warning", "sumavlib: refusing to load: %s", s.reply().c_str());
    return rm::kErr;
  }
  bool ok = true;
  for (auto family : {LeaderCommands, MembershipCommands, TrafficCommands, MessagesCommands,
                      DiamondCommands, RegistryCommands, TasksCommands})
    ok = ok && RegisterCommands(ctx, family(), kSince);
  if (!ok) {
    rm::Log(ctx, "warning", "sumavlib: could not register its commands");
    return rm::kErr;
  }
  rt().cluster = (rm::GetContextFlags(ctx) & rm::kCtxCluster) != 0;
  rt().lease_field = rm::CreateString(nullptr, "lease", 5);
  rm::RegisterInfoFunc(ctx, OnInfo);
  rm::SubscribeToServerEvent(ctx, rm::kEventRoleChanged, OnServerEvent);
  rm::SubscribeToServerEvent(ctx, rm::kEventLoading, OnServerEvent);
  rm::SubscribeToServerEvent(ctx, rm::kEventFlushDb, OnServerEvent);
  rm::SubscribeToServerEvent(ctx, rm::kEventSwapDb, OnServerEvent);
  InitSlots(ctx);
  NewIncarnation();
  if (!StartSweeper(ctx)) {
    rm::Log(ctx, "warning", "sumavlib: could not subscribe to keyspace events");
    return rm::kErr;
  }
  rm::Log(ctx, "notice", "sumavlib loaded: host-ttl-ms=%lld lease-ms=%lld tenant=%s",
          static_cast<long long>(rt().cfg.host_ttl_ms), static_cast<long long>(rt().cfg.lease_ms),
          rt().cfg.tenant.empty() ? "(any)" : rt().cfg.tenant.c_str());
  return rm::kOk;
}
