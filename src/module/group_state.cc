#include "module/group_state.h"
#include "module/tasks_family.h"

#include <cstring>
#include <limits>

#include "core/errors.h"
#include "core/glob.h"
#include "core/numbers.h"

namespace suma::mod {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

int64_t ToInt(rm::Str* s) {
  if (!s) return 0;
  auto v = ParseInt("meta", Arg(s), std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max());
  return v.ok() ? *v : 0;
}

// What follows a host's removal from G:hosts: the event, and its tasks back
// to the queue.
void AnnounceGone(Txn& txn, const Group& g, rm::Str* vip, int64_t now, std::string_view reason) {
  Emit(txn, g, "offline", now, [&](EventBuilder& b) {
    b.Str("vip", Arg(vip)).Str("reason", reason);
  });
  RequeueClaimsOf(txn, g, Arg(vip), now);
}

}  // namespace

long long HostCount(rm::Key* hosts) {
  if (rm::KeyType(hosts) != rm::kKeyZset) return 0;
  long long n = static_cast<long long>(rm::ValueLength(hosts));
  bool marker = false;
  if (rm::ZsetFirstInScoreRange(hosts, -kInf, -kInf, 0, 0) == rm::kOk) {
    marker = !rm::ZsetRangeEndReached(hosts);
    rm::ZsetRangeStop(hosts);
  }
  return marker ? n - 1 : n;
}

Result<Group> OpenGroup(rm::Ctx* ctx, rm::Str* arg, unsigned keys) {
  auto g = ResolveGroup(ctx, arg);
  if (!g.ok()) return g;
  Status s;
  if ((keys & kMembershipKeys) == kMembershipKeys) {
    s = CheckMembershipTypes(ctx, *g);
  } else {
    if (keys & kMetaKey) s = CheckTypes(ctx, {{g->Key("meta"), rm::kKeyHash}});
    if (s.ok() && (keys & kDrainedKey)) s = CheckTypes(ctx, {{g->Key("drained"), rm::kKeyHash}});
    if (s.ok() && (keys & kEventsKey)) s = CheckTypes(ctx, {{g->Key("events"), rm::kKeyStream}});
    if (s.ok() && (keys & kHostsKey)) s = CheckTypes(ctx, {{g->Key("hosts"), rm::kKeyZset}});
  }
  if (s.ok() && (keys & kTaskKeys)) s = CheckTaskKeyTypes(ctx, *g);
  if (!s.ok()) return s;
  return g;
}

int64_t LiveCutoff(int64_t now) { return now - rt().cfg.host_ttl_ms; }

Status CheckMembershipTypes(rm::Ctx* ctx, const Group& g) {
  return CheckTypes(ctx, {{g.Key("hosts"), rm::kKeyZset},
                          {g.Key("drained"), rm::kKeyHash},
                          {g.Key("meta"), rm::kKeyHash},
                          {g.Key("events"), rm::kKeyStream}});
}

Status Heartbeat(Txn& txn, const Group& g, rm::Str* vip, int64_t now) {
  rm::Ctx* ctx = txn.ctx();
  rm::Str* victim = nullptr;
  double victim_score = 0;
  bool was_live = false;
  const GroupKeys& keys = TrackedKeys(g);
  {
    OpenedKey hosts(ctx, keys.hosts, rm::kRead | rm::kWrite);
    Status s = hosts.Expect(rm::kKeyZset);
    if (!s.ok()) return s;
    double old = 0;
    bool known = rm::ZsetScore(hosts.get(), vip, &old) == rm::kOk;
    was_live = known && ScoreToInt(old) >= LiveCutoff(now);
    if (!known && HostCount(hosts.get()) >= rt().cfg.max_hosts) {
      // Full: make room only by dropping a host that is already offline.
      if (rm::ZsetFirstInScoreRange(hosts.get(), -kInf, kInf, 1, 0) == rm::kOk) {
        victim = rm::ZsetRangeCurrentElement(hosts.get(), &victim_score);
        rm::ZsetRangeStop(hosts.get());
      }
      if (!victim || ScoreToInt(victim_score) >= LiveCutoff(now)) {
        if (victim) rm::FreeString(ctx, victim);
        return err::GroupFull(g.name, rt().cfg.max_hosts);
      }
    }
    // Events go to G:meta and G:events; check them before the first write.
    if (!was_live) {
      OpenedKey meta(ctx, keys.meta, rm::kRead), events(ctx, keys.events, rm::kRead);
      s = meta.Expect(rm::kKeyHash);
      if (s.ok()) s = events.Expect(rm::kKeyStream);
    }
    if (!s.ok()) {
      if (victim) rm::FreeString(ctx, victim);
      return s;
    }
    if (victim) txn.ZRem(hosts, victim, victim_score);
    if (hosts.empty()) {
      rm::Str* marker = rm::CreateString(ctx, kEncodingMarker.data(), kEncodingMarker.size());
      txn.ZAdd(hosts, marker, -kInf, std::nullopt);
      rm::FreeString(ctx, marker);
    }
    txn.ZAdd(hosts, vip, static_cast<double>(now),
             known ? std::optional<double>(old) : std::nullopt);
  }
  if (victim) {
    AnnounceGone(txn, g, victim, now, "max-hosts");
    rm::FreeString(ctx, victim);
  }
  if (!was_live) Emit(txn, g, "online", now, [&](EventBuilder& b) { b.Str("vip", Arg(vip)); });
  return Status::Ok();
}

bool RemoveHost(Txn& txn, const Group& g, rm::Str* vip, int64_t now, std::string_view reason) {
  {
    OpenedKey hosts(txn.ctx(), g.Key("hosts"), rm::kRead | rm::kWrite);
    double score = 0;
    if (hosts.type() != rm::kKeyZset || rm::ZsetScore(hosts.get(), vip, &score) != rm::kOk)
      return false;
    txn.ZRem(hosts, vip, score);
  }
  AnnounceGone(txn, g, vip, now, reason);
  return true;
}

bool IsDrained(rm::Key* drained, rm::Str* vip) {
  if (rm::KeyType(drained) != rm::kKeyHash) return false;
  rm::Str* v = nullptr;
  rm::HashGet(drained, rm::kHashNone, vip, &v, nullptr);
  if (!v) return false;
  rm::FreeString(nullptr, v);
  return true;
}

void ReplyLiveList(rm::Ctx* ctx, const GroupKeys& keys, std::string_view pattern, int64_t now) {
  OpenedKey hosts(ctx, keys.hosts, rm::kRead);
  OpenedKey drained(ctx, keys.drained, rm::kRead);
  bool all = GlobMatchesAll(pattern);
  rm::ReplyWithArray(ctx, rm::kPostponedLen);
  long n = 0;
  if (hosts.type() == rm::kKeyZset &&
      rm::ZsetLastInScoreRange(hosts.get(), static_cast<double>(LiveCutoff(now)), kInf, 0, 0) ==
          rm::kOk) {
    while (!rm::ZsetRangeEndReached(hosts.get())) {
      double score = 0;
      rm::Str* vip = rm::ZsetRangeCurrentElement(hosts.get(), &score);
      if ((all || GlobMatch(pattern, Arg(vip))) && !IsDrained(drained.get(), vip)) {
        rm::ReplyWithString(ctx, vip);
        ++n;
      }
      rm::FreeString(ctx, vip);
      rm::ZsetRangePrev(hosts.get());
    }
    rm::ZsetRangeStop(hosts.get());
  }
  rm::ReplySetArrayLength(ctx, n);
}

LeaderState LoadLeader(rm::Ctx* ctx, const Group& g) {
  return LoadLeader(ctx, ScopedKeys(ctx, g).get().meta);
}

LeaderState LoadLeader(rm::Ctx* ctx, rm::Str* meta_key, Status* type_error, bool with_epoch) {
  LeaderState s;
  OpenedKey meta(ctx, meta_key, rm::kRead);
  if (meta.type() != rm::kKeyHash) {
    if (type_error) *type_error = meta.Expect(rm::kKeyHash);
    return s;
  }
  rm::Str *lease = nullptr, *epoch = nullptr;
  if (with_epoch)
    rm::HashGet(meta.get(), rm::kHashCFields, "lease", &lease, "epoch", &epoch, nullptr);
  else
    rm::HashGet(meta.get(), rm::kHashNone, rt().lease_field, &lease, nullptr);
  if (lease) DecodeLease(Arg(lease), &s);
  s.epoch = ToInt(epoch);
  for (rm::Str* p : {lease, epoch})
    if (p) rm::FreeString(ctx, p);
  return s;
}

void StoreLeader(Txn& txn, const Group& g, const LeaderState& s) {
  rm::Ctx* ctx = txn.ctx();
  OpenedKey meta(ctx, g.Key("meta"), rm::kRead | rm::kWrite);
  rm::Str *old_lease = nullptr, *old_epoch = nullptr;
  if (meta.type() == rm::kKeyHash)
    rm::HashGet(meta.get(), rm::kHashCFields, "lease", &old_lease, "epoch", &old_epoch, nullptr);
  auto text = [](rm::Str* v) {
    return v ? std::optional<std::string_view>(Arg(v)) : std::nullopt;
  };
  Num epoch(s.epoch);
  std::string encoded = EncodeLease(s);
  rm::Str* l = rm::CreateString(ctx, encoded.data(), encoded.size());
  rm::Str* e = rm::CreateString(ctx, epoch.buf, std::strlen(epoch.buf));
  txn.HSet(meta, "lease", l, text(old_lease));
  txn.HSet(meta, "epoch", e, text(old_epoch));
  for (rm::Str* p : {l, e, old_lease, old_epoch})
    if (p) rm::FreeString(ctx, p);
}

void RenewLease(Txn& txn, rm::Str* meta_key, const LeaderState& cur, const LeaderState& renewed) {
  OpenedKey meta(txn.ctx(), meta_key, rm::kRead | rm::kWrite);
  std::string encoded = EncodeLease(renewed), before = EncodeLease(cur);
  rm::Str* l = rm::CreateString(txn.ctx(), encoded.data(), encoded.size());
  txn.HSet(meta, rt().lease_field, l, std::string_view(before));
  rm::FreeString(txn.ctx(), l);
}

bool ResignIfLeader(Txn& txn, const Group& g, std::string_view vip, int64_t now) {
  LeaderState cur = LoadLeader(txn.ctx(), g);
  if (cur.Current(now) != vip || vip.empty()) return false;
  LeaderState next = cur;
  next.vip.clear();
  next.lease_until = 0;
  StoreLeader(txn, g, next);
  Emit(txn, g, "resign", now,
       [&](EventBuilder& b) { b.Str("vip", cur.vip).Int("epoch", cur.epoch); });
  return true;
}

}  // namespace suma::mod
