// Eviction of silent hosts: budgeted work per tick, on the primary only.
//
// Why a sweep and not key expiry: a host is a member of its group's sorted set,
// and Redis expires keys, not members. Reads already hide expired hosts (they
// filter by score), so the sweep only has to reclaim memory and announce
// "offline"; like Redis's active expire it does at most sweep-budget-us of work
// per 10 ms tick, resuming where it stopped, so a million hosts expiring at
// once never stall the server. Replicas never run it: they receive the ZREMs.
// After start-up, loading or promotion hosts get one full host-ttl-ms to
// heartbeat again before anyone is evicted (grace), so a failover that took a
// few seconds does not evict every host at once.
#include <chrono>
#include <limits>
#include <string>

#include "core/names.h"
#include "module/common.h"
#include "module/eviction.h"
#include "module/group_keys.h"
#include "module/group_state.h"

namespace suma::mod {
namespace {

constexpr long long kTickMs = 10;
constexpr long long kBusyTickMs = 3;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

std::string g_resume;             // group the last tick stopped in
std::string g_scan_cursor = "0";  // discovery SCAN of "*:hosts" after a (re)start
bool g_discovering = false;

using Clock = std::chrono::steady_clock;

void DiscoverStep(rm::Ctx* ctx) {
  Reply r(rm::Call(ctx, "SCAN", "ccccccc", g_scan_cursor.c_str(), "MATCH", "*:hosts", "COUNT",
                   "1000", "TYPE", "zset"));
  if (r.type() != rm::kReplyArray || r.length() != 2) {
    g_discovering = false;
    return;
  }
  g_scan_cursor = std::string(Reply::Text(r.at(0)));
  rm::CallReply* keys = r.at(1);
  for (size_t i = 0, n = rm::CallReplyLength(keys); i < n; ++i) {
    std::string_view k = Reply::Text(rm::CallReplyArrayElement(keys, i));
    k.remove_suffix(sizeof(":hosts") - 1);
    auto g = ParseGroup(k, false);
    if (g.ok() && g->name == k) TrackedKeys(*g);
  }
  if (g_scan_cursor == "0") g_discovering = false;
}

// Evicts expired hosts of one group until none is left or the deadline passes.
// Returns false when the deadline passed first. The group's eviction counter
// (G:meta evictions) is bumped once per visit, not once per host.
bool SweepGroup(rm::Ctx* ctx, const Group& g, rm::Str* key, int64_t now,
                Clock::time_point deadline, bool* gone) {
  double cutoff = static_cast<double>(LiveCutoff(now));
  long long removed = 0;
  bool finished = true;
  for (;;) {
    rm::Str* victim = nullptr;
    {
      OpenedKey hosts(ctx, key, rm::kRead);
      if (rm::ZsetFirstInScoreRange(hosts.get(), kNegInf, cutoff, 1, 1) == rm::kOk) {
        double score;
        victim = rm::ZsetRangeCurrentElement(hosts.get(), &score);
        rm::ZsetRangeStop(hosts.get());
      }
      if (!victim) {
        *gone = HostCount(hosts.get()) == 0;
        break;
      }
    }
    if (RemoveHost(ctx, g, victim, now, kReasonExpired)) ++removed;
    rm::FreeString(ctx, victim);
    if (Clock::now() >= deadline) {
      finished = false;
      break;
    }
  }
  if (removed > 0) {
    rt().evictions += removed;
    std::string meta = g.Key("meta");
    Num n(removed);
    Reply r(rm::Call(ctx, "HINCRBY", "!ccc", meta.c_str(), "evictions", n.c_str()));
  }
  return finished;
}

// One sweep step: at most sweep-budget-us of work. Returns true when the budget
// ran out with expired hosts (or groups) left to visit.
bool SweepStep(rm::Ctx* ctx) {
  int flags = rm::GetContextFlags(ctx);
  if (!(flags & rm::kCtxMaster) || (flags & rm::kCtxLoading)) return false;
  auto deadline = Clock::now() + std::chrono::microseconds(rt().cfg.sweep_budget_us);
  if (g_discovering) DiscoverStep(ctx);
  int64_t now = NowMs();
  GroupMap& groups = TrackedGroups();
  if (now < rt().grace_until || groups.empty()) return false;

  auto it = groups.find(g_resume);
  it = it == groups.end() ? groups.begin() : std::next(it);
  for (size_t visited = 0, n = groups.size(); visited < n; ++visited) {
    if (it == groups.end()) it = groups.begin();
    auto g = ParseGroup(it->first, false);
    bool gone = false;
    bool finished = !g.ok() || SweepGroup(ctx, *g, it->second.hosts, now, deadline, &gone);
    if (g.ok()) RequeueLapsedClaims(ctx, *g, now);
    g_resume = it->first;
    it = (gone || !g.ok()) ? ForgetGroup(it) : std::next(it);
    if (!finished || Clock::now() >= deadline) return true;
  }
  return false;
}

// Why two periods: like Redis's active expire, the sweep uses at most 10% of a
// core (1 ms per 10 ms) while hosts expire now and then, and up to 25% (1 ms
// of work, 3 ms of rest) while a backlog lasts, so a mass expiry clears 2.5x faster and no single step ever
// holds the event loop longer than sweep-budget-us.
void Tick(rm::Ctx* ctx, void*) {
  bool backlog = SweepStep(ctx);
  rm::CreateTimer(ctx, backlog ? kBusyTickMs : kTickMs, Tick, nullptr);
}

}  // namespace

size_t TrackedGroupCount() { return TrackedGroups().size(); }

void StartGrace() {
  rt().grace_until = NowMs() + rt().cfg.host_ttl_ms;
  g_discovering = true;
  g_scan_cursor = "0";
}

void ForgetGroups() { ForgetAllGroups(); }

void StartSweeper(rm::Ctx* ctx) { rm::CreateTimer(ctx, kTickMs, Tick, nullptr); }

}  // namespace suma::mod
