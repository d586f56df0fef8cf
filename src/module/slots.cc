#include "module/slots.h"

#include <array>
#include <cstdint>

#include "core/errors.h"
#include "core/keyslot.h"

namespace suma::mod {
namespace {

constexpr int64_t kGenerationMs = 100;

rm::Ctx* g_probe_ctx = nullptr;  // detached: its client never has ASKING
uint32_t g_generation = 1;
int64_t g_generation_started = 0;
std::array<uint32_t, kClusterSlots> g_verified{};  // generation of the last passed probe

bool Probe(const Group& g) {
  std::string key = g.Key("~slot-probe");
  Reply r(rm::Call(g_probe_ctx, "EXISTS", "c", key.c_str()));
  return r.get() != nullptr && r.type() == rm::kReplyInteger;
}

bool Served(const Group& g) {
  int slot = KeySlot(g.name);
  if (g_verified[slot] == g_generation) return true;
  if (!Probe(g)) return false;
  g_verified[slot] = g_generation;
  return true;
}

}  // namespace

void InitSlots(rm::Ctx* ctx) {
  if (IsCluster() && !g_probe_ctx) g_probe_ctx = rm::GetDetachedThreadSafeContext(ctx);
}

Status CheckGroupServed(rm::Ctx* ctx, const Group& g) {
  if (!IsCluster() || !g_probe_ctx) return Status::Ok();
  if (rm::GetContextFlags(ctx) & rm::kCtxSlave) return Status::Ok();
  return Served(g) ? Status::Ok() : err::SlotMoving(g.name);
}

bool GroupServedForSweep(const Group& g) {
  if (!IsCluster() || !g_probe_ctx) return true;
  // The sweep holds no client that could carry ASKING, and a trusted slot may
  // have started migrating since (without keys changing yet): probe each visit.
  return Probe(g);
}

void SlotTouched(std::string_view key) {
  if (IsCluster()) g_verified[KeySlot(key)] = 0;
}

void SlotsTick(int64_t now_ms) {
  if (now_ms - g_generation_started < kGenerationMs) return;
  g_generation_started = now_ms;
  if (++g_generation == 0) {  // wrapped: forget everything rather than trust a stale mark
    g_verified.fill(0);
    g_generation = 1;
  }
}

}  // namespace suma::mod
