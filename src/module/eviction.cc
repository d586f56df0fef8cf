// Eviction of silent hosts: budgeted work per tick, on the primary only.
//
// Why a sweep and not key expiry: a host is a member of its group's sorted set,
// and Redis expires keys, not members. Reads already hide expired hosts (they
// filter by score), so the sweep only has to reclaim memory and announce
// "offline"; like Redis's active expire it does at most sweep-budget-us of work
// per tick, resuming where it stopped, so a million hosts expiring at once
// never stall the server. Replicas never run it: they receive the ZREMs.
// After start-up, loading or promotion hosts get one full host-ttl-ms to
// heartbeat again before anyone is evicted (grace), so a failover that took a
// few seconds does not evict every host at once; a group that arrives from
// another cluster node gets the same grace.
//
// The sweep runs outside any command, so it trusts no key: each visit checks
// that G:hosts is still a zset and that the group's other keys have their
// types, and (in a cluster) that the slot is owned here and not migrating. A
// group whose G:hosts is gone is forgotten; one with a damaged key is skipped.
// Every eviction is its own Txn, so a failed write undoes that one eviction.
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "core/names.h"
#include "core/numbers.h"
#include "module/common.h"
#include "module/eviction.h"
#include "module/group_keys.h"
#include "module/group_state.h"
#include "module/tasks_family.h"
#include "module/slots.h"
#include "module/txn.h"

namespace suma::mod {
namespace {

constexpr long long kTickMs = 10;
constexpr long long kBusyTickMs = 3;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr std::string_view kHostsSuffix = ":hosts";

std::string g_resume;             // group the last tick stopped in
std::string g_scan_cursor = "0";  // discovery SCAN of "*:hosts" after a (re)start
bool g_discovering = false;
std::vector<std::string> g_arrived;  // G:hosts keys that arrived (keyspace events)

using Clock = std::chrono::steady_clock;

// Tracks the group of a G:hosts key if it is one; with grace when it arrived
// from elsewhere (its hosts could not heartbeat while it moved).
void Track(rm::Ctx* ctx, std::string_view key, int64_t grace_until) {
  if (key.size() <= kHostsSuffix.size() || !key.ends_with(kHostsSuffix)) return;
  std::string_view name = key.substr(0, key.size() - kHostsSuffix.size());
  auto g = ParseGroup(name, false);
  if (!g.ok() || g->name != name) return;
  if (OpenedKey(ctx, std::string(key), rm::kRead).type() != rm::kKeyZset) return;
  TrackedKeys(*g);
  auto& entry = TrackedGroups().at(g->name);
  entry.grace_until = std::max(entry.grace_until, grace_until);
}

void DiscoverStep(rm::Ctx* ctx) {
  Reply r(rm::Call(ctx, "SCAN", "ccccccc", g_scan_cursor.c_str(), "MATCH", "*:hosts", "COUNT",
                   "1000", "TYPE", "zset"));
  if (r.type() != rm::kReplyArray || r.length() != 2) {
    g_discovering = false;
    return;
  }
  g_scan_cursor = std::string(Reply::Text(r.at(0)));
  rm::CallReply* keys = r.at(1);
  for (size_t i = 0, n = rm::CallReplyLength(keys); i < n; ++i)
    Track(ctx, Reply::Text(rm::CallReplyArrayElement(keys, i)), 0);
  if (g_scan_cursor == "0") g_discovering = false;
}

// The first expired host of an opened G:hosts (caller frees it), or null.
rm::Str* FirstExpired(rm::Key* hosts, double cutoff, double* score) {
  if (rm::KeyType(hosts) != rm::kKeyZset) return nullptr;
  rm::Str* victim = nullptr;
  if (rm::ZsetFirstInScoreRange(hosts, kNegInf, cutoff, 1, 1) == rm::kOk) {
    if (!rm::ZsetRangeEndReached(hosts)) victim = rm::ZsetRangeCurrentElement(hosts, score);
    rm::ZsetRangeStop(hosts);
  }
  return victim;
}

void CountEvictions(rm::Ctx* ctx, const Group& g, long long removed) {
  rt().evictions += removed;
  std::string meta = g.Key("meta");
  Reply before(Call(ctx, false, "HGET", {meta, "evictions"}));
  auto n = ParseInt("evictions", before.type() == rm::kReplyString ? before.str() : "0", 0,
                    INT64_MAX / 2);
  Txn txn(ctx);
  txn.CallHSet(meta, "evictions", Num((n.ok() ? *n : 0) + removed).c_str());
  (void)txn.Finish();
}

// Evicts expired hosts of one group until none is left or the deadline passes.
// Returns false when the deadline passed first. *gone: G:hosts no longer
// holds a host (or no longer exists).
bool SweepGroup(rm::Ctx* ctx, const Group& g, rm::Str* key, int64_t now,
                Clock::time_point deadline, bool* gone) {
  double cutoff = static_cast<double>(LiveCutoff(now));
  long long removed = 0;
  bool finished = true;
  for (;;) {
    double score = 0;
    rm::Str* victim = nullptr;
    {
      OpenedKey hosts(ctx, key, rm::kRead);
      victim = FirstExpired(hosts.get(), cutoff, &score);
      if (!victim) {
        *gone = HostCount(hosts.get()) == 0;
        break;
      }
    }
    Txn txn(ctx);
    bool evicted = RemoveHost(txn, g, victim, now, kReasonExpired);
    Status s = txn.Finish();
    rm::FreeString(ctx, victim);
    if (!s.ok()) {
      // Retried every tick, so say it at most once a minute.
      static int64_t last_logged = 0;
      if (now - last_logged >= 60000) {
        last_logged = now;
        rm::Log(ctx, "warning", "sumavlib: eviction in group %s failed: %s", g.name.c_str(),
                s.reply().c_str());
      }
      break;
    }
    if (evicted) ++removed;
    if (Clock::now() >= deadline) {
      finished = false;
      break;
    }
  }
  if (removed > 0) CountEvictions(ctx, g, removed);
  return finished;
}

// One visit of a tracked group. Returns false when the deadline passed with
// work left; *forget when the group no longer holds hosts here.
bool Visit(rm::Ctx* ctx, const Group& g, const GroupKeys& keys, int64_t now,
           Clock::time_point deadline, bool* forget) {
  if (OpenedKey(ctx, keys.hosts, rm::kRead).type() != rm::kKeyZset) {
    *forget = true;
    return true;
  }
  if (!GroupServedForSweep(g) || now < keys.grace_until) return true;
  if (!CheckMembershipTypes(ctx, g).ok()) return true;  // damaged by hand: leave it be
  bool finished = SweepGroup(ctx, g, keys.hosts, now, deadline, forget);
  Txn txn(ctx);
  RequeueLapsedClaims(txn, g, now);
  (void)txn.Finish();
  return finished;
}

// One sweep step: at most sweep-budget-us of work. Returns true when the budget
// ran out with expired hosts (or groups) left to visit.
bool SweepStep(rm::Ctx* ctx) {
  int flags = rm::GetContextFlags(ctx);
  if (!(flags & rm::kCtxMaster) || (flags & rm::kCtxLoading)) return false;
  auto deadline = Clock::now() + std::chrono::microseconds(rt().cfg.sweep_budget_us);
  int64_t now = NowMs();
  SlotsTick(now);
  std::vector<std::string> arrived;
  arrived.swap(g_arrived);
  for (const std::string& key : arrived) Track(ctx, key, now + rt().cfg.host_ttl_ms);
  if (g_discovering) DiscoverStep(ctx);
  GroupMap& groups = TrackedGroups();
  if (now < rt().grace_until || groups.empty()) return false;

  auto it = groups.find(g_resume);
  it = it == groups.end() ? groups.begin() : std::next(it);
  for (size_t visited = 0, n = groups.size(); visited < n; ++visited) {
    if (it == groups.end()) it = groups.begin();
    auto g = ParseGroup(it->first, false);
    bool forget = !g.ok();
    bool finished = forget || Visit(ctx, *g, it->second, now, deadline, &forget);
    g_resume = it->first;
    it = forget ? ForgetGroup(it) : std::next(it);
    if (!finished || Clock::now() >= deadline) return true;
  }
  return false;
}

// Why two periods: like Redis's active expire, the sweep uses at most
// sweep-budget-us per 10 ms tick while hosts expire now and then (10% of a
// core at the default 1000 us), and the same budget per 3 ms while a backlog
// lasts (25% at the default), so a mass expiry clears 2.5x faster and no
// single step holds the event loop longer than sweep-budget-us.
void Tick(rm::Ctx* ctx, void*) {
  bool backlog = SweepStep(ctx);
  rm::CreateTimer(ctx, backlog ? kBusyTickMs : kTickMs, Tick, nullptr);
}

// Keyspace events (generic class). Only records: a notification can fire in
// the middle of a command or of the sweep, so it must not change the tracked
// groups under their feet.
int OnKeyspaceEvent(rm::Ctx* ctx, int, const char* event, rm::Str* key) {
  std::string_view e(event), k = Arg(key);
  if (e == "del" || e == "restore") SlotTouched(k);
  if (rm::GetSelectedDb(ctx) != 0) return rm::kOk;
  if ((e == "restore" || e == "rename_to" || e == "move_to" || e == "copy_to") &&
      k.ends_with(kHostsSuffix) && g_arrived.size() < 100000)
    g_arrived.emplace_back(k);
  return rm::kOk;
}

}  // namespace

size_t TrackedGroupCount() { return TrackedGroups().size(); }

void StartGrace() {
  rt().grace_until = NowMs() + rt().cfg.host_ttl_ms;
  g_discovering = true;
  g_scan_cursor = "0";
}

void Rediscover() {
  ForgetAllGroups();
  g_arrived.clear();
  g_discovering = true;
  g_scan_cursor = "0";
}

bool StartSweeper(rm::Ctx* ctx) {
  if (rm::SubscribeToKeyspaceEvents(ctx, rm::kNotifyGeneric, OnKeyspaceEvent) != rm::kOk)
    return false;
  rm::CreateTimer(ctx, kTickMs, Tick, nullptr);
  return true;
}

}  // namespace suma::mod
