// Membership family: keep_alive, vip_list, vip_info, vip_leave, group_info.
#include "core/errors.h"
#include "core/numbers.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/group_state.h"
#include "module/tasks_family.h"

namespace suma::mod {
namespace {

// suma_keep_alive <master_key> <vip> [pattern]
// leader: array of live undrained vips; follower: leader's vip; no leader: nil.
int CmdKeepAlive(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc < 3 || argc > 4) return rm::WrongArity(ctx);
  auto g = ResolveGroup(ctx, argv[1]);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  std::string_view vip = Arg(argv[2]);
  Status s = ValidateVip(vip);
  if (!s.ok()) return ReplyStatus(ctx, s);
  std::string_view pattern = argc == 4 ? Arg(argv[3]) : std::string_view("*");
  s = ValidatePattern(pattern);
  if (!s.ok()) return ReplyStatus(ctx, s);
  // The hot path: every host runs this every host-ttl-ms / 3. It opens G:meta
  // and G:hosts once each on a follower, and checks every key it will write
  // before its first write.
  int64_t now = NowMs();
  const GroupKeys& keys = TrackedKeys(*g);
  LeaderState cur = LoadLeader(ctx, keys.meta, &s, /*with_epoch=*/false);
  if (!s.ok()) return ReplyStatus(ctx, s);
  LeaderState renewed;
  bool leads = RenewIfLeader(cur, vip, now, &renewed);
  if (leads) s = OpenedKey(ctx, keys.drained, rm::kRead).Expect(rm::kKeyHash);
  if (!s.ok()) return ReplyStatus(ctx, s);
  Txn txn(ctx);
  s = Heartbeat(txn, *g, argv[2], now);
  if (!s.ok()) return ReplyStatus(ctx, s);
  if (leads) RenewLease(txn, keys.meta, cur, renewed);
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  ++rt().heartbeats;
  if (leads) {
    ReplyLiveList(ctx, keys, pattern, now);
    return rm::kOk;
  }
  std::string_view holder = cur.Current(now);
  if (holder.empty()) return rm::ReplyWithNull(ctx);
  return ReplyBuf(ctx, holder);
}

// suma_vip_list <master_key> [pattern]
int CmdVipList(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc > 3) return rm::WrongArity(ctx);
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  std::string_view pattern = argc == 3 ? Arg(argv[2]) : std::string_view("*");
  Status s = ValidatePattern(pattern);
  if (!s.ok()) return ReplyStatus(ctx, s);
  ReplyLiveList(ctx, ScopedKeys(ctx, *g).get(), pattern, NowMs());
  return rm::kOk;
}

// suma_vip_info <master_key> <vip>
// -> [state, live|drained|offline|unknown, last_seen_ms, n|nil, leader, 0|1, drained, 0|1]
int CmdVipInfo(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  Status s = ValidateVip(Arg(argv[2]));
  if (!s.ok()) return ReplyStatus(ctx, s);
  int64_t now = NowMs();
  OpenedKey hosts(ctx, g->Key("hosts"), rm::kRead);
  OpenedKey drained_key(ctx, g->Key("drained"), rm::kRead);
  double seen = 0;
  bool known = hosts.type() == rm::kKeyZset && rm::ZsetScore(hosts.get(), argv[2], &seen) == rm::kOk;
  bool live = known && ScoreToInt(seen) >= LiveCutoff(now);
  bool drained = IsDrained(drained_key.get(), argv[2]);
  bool leader = LoadLeader(ctx, *g).Current(now) == Arg(argv[2]);
  const char* state = !known ? (drained ? "drained" : "unknown")
                      : !live ? "offline"
                      : drained ? "drained"
                                : "live";
  rm::ReplyWithArray(ctx, 8);
  rm::ReplyWithSimpleString(ctx, "state");
  rm::ReplyWithSimpleString(ctx, state);
  rm::ReplyWithSimpleString(ctx, "last_seen_ms");
  if (known)
    rm::ReplyWithLongLong(ctx, ScoreToInt(seen));
  else
    rm::ReplyWithNull(ctx);
  rm::ReplyWithSimpleString(ctx, "leader");
  rm::ReplyWithLongLong(ctx, leader ? 1 : 0);
  rm::ReplyWithSimpleString(ctx, "drained");
  return rm::ReplyWithLongLong(ctx, drained ? 1 : 0);
}

// suma_vip_leave <master_key> <vip>: a clean goodbye. Resigns leadership,
// leaves the live set at once (event "offline", reason "leave").
// -> 1 if vip was a member, 0 otherwise
int CmdVipLeave(rm::Ctx* ctx, rm::Str** argv, int argc) {
  // The leave requeues its claims: the task keys are checked too.
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys | kTaskKeys);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  Status s = ValidateVip(Arg(argv[2]));
  if (!s.ok()) return ReplyStatus(ctx, s);
  int64_t now = NowMs();
  Txn txn(ctx);
  ResignIfLeader(txn, *g, Arg(argv[2]), now);
  bool removed = RemoveHost(txn, *g, argv[2], now, "leave");
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, removed ? 1 : 0);
}

// suma_group_info <master_key> -> flat [name, value, ...] summary of the group:
// hosts, live, drained, leader, epoch, lease_left_ms, seq, evictions,
// tasks_queued, tasks_claimed. For consoles and metrics.
int CmdGroupInfo(rm::Ctx* ctx, rm::Str** argv, int argc) {
  // tasks_queued/claimed too: no silent 0 from a damaged task key.
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys | kTaskKeys);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  int64_t now = NowMs();
  std::string hosts = g->Key("hosts"), meta = g->Key("meta");
  Num cutoff(LiveCutoff(now));
  auto count = [&](const char* cmd, const std::string& key) {
    Reply r(rm::Call(ctx, cmd, "c", key.c_str()));
    return r.type() == rm::kReplyInteger ? r.integer() : 0;
  };
  Reply live(rm::Call(ctx, "ZCOUNT", "ccc", hosts.c_str(), cutoff.c_str(), "+inf"));
  Reply m(rm::Call(ctx, "HMGET", "ccc", meta.c_str(), "seq", "evictions"));
  auto meta_int = [&](size_t i) -> long long {
    auto v = ParseInt("meta", m.type() == rm::kReplyArray ? Reply::Text(m.at(i)) : "", 0, INT64_MAX);
    return v.ok() ? *v : 0;
  };
  LeaderState st = LoadLeader(ctx, *g);
  std::string_view holder = st.Current(now);
  rm::ReplyWithArray(ctx, 20);
  auto field = [&](const char* name, long long v) {
    rm::ReplyWithSimpleString(ctx, name);
    rm::ReplyWithLongLong(ctx, v);
  };
  {
    OpenedKey h(ctx, hosts, rm::kRead);
    field("hosts", HostCount(h.get()));
  }
  field("live", live.type() == rm::kReplyInteger ? live.integer() : 0);
  field("drained", count("HLEN", g->Key("drained")));
  rm::ReplyWithSimpleString(ctx, "leader");
  if (holder.empty())
    rm::ReplyWithNull(ctx);
  else
    ReplyBuf(ctx, holder);
  field("epoch", st.epoch);
  field("lease_left_ms", LeaseLeft(st, now));
  field("seq", meta_int(0));
  field("evictions", meta_int(1));
  field("tasks_queued", count("ZCARD", g->Key("tqueue")));
  field("tasks_claimed", count("ZCARD", g->Key("tclaims")));
  return rm::kOk;
}

}  // namespace

namespace {

constexpr ArgRow kKeepAliveArgs[] = {{"master_key", rm::kArgKey},
                                     {"vip", rm::kArgString},
                                     {"pattern", rm::kArgPattern, rm::kArgOptional}};
constexpr ArgRow kListArgs[] = {{"master_key", rm::kArgKey},
                                {"pattern", rm::kArgPattern, rm::kArgOptional}};
constexpr ArgRow kMasterVipArgs[] = {{"master_key", rm::kArgKey}, {"vip", rm::kArgString}};
constexpr ArgRow kMasterArgs[] = {{"master_key", rm::kArgKey}};

constexpr CommandRow kCommands[] = {
    {"suma_keep_alive", CmdKeepAlive, "write deny-oom", -3, kWritesGroup,
     "Heartbeat of vip. The leader gets the live hosts and its lease renewed, a follower the "
     "leader's vip, nil when nobody leads.",
     "O(log N) for a follower, O(N) for the leader, N the group's hosts", kKeepAliveArgs},
    {"suma_vip_list", CmdVipList, "readonly", -2, kReadsGroup,
     "The group's live, undrained hosts matching pattern, most recent first.", "O(N)",
     kListArgs},
    {"suma_vip_info", CmdVipInfo, "readonly", 3, kReadsGroup,
     "One host's state (live, drained, offline, unknown), last heartbeat, leader and drained "
     "flags.",
     "O(1)", kMasterVipArgs},
    {"suma_vip_leave", CmdVipLeave, "write", 3, kWritesGroup,
     "A clean goodbye: resigns vip's leadership and removes it at once (offline, reason leave).",
     "O(log N + C), C the tasks vip claimed", kMasterVipArgs},
    {"suma_group_info", CmdGroupInfo, "readonly", 2, kReadsGroup,
     "A summary of the group: hosts, live, drained, leader, epoch, lease, seq, evictions, tasks.",
     "O(log N)", kMasterArgs},
};

}  // namespace

std::span<const CommandRow> MembershipCommands() { return kCommands; }

}  // namespace suma::mod
