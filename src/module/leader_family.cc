// Leader family: try_leader, leader_info, leader_resign, leader_check.
#include <algorithm>

#include "core/errors.h"
#include "core/limits.h"
#include "core/leader.h"
#include "core/numbers.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/epoch_guard.h"
#include "module/group_state.h"

namespace suma::mod {
namespace {


// suma_try_leader <master_key> [vip] [lease_ms]
int CmdTryLeader(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc > 4) return rm::WrongArity(ctx);
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  rm::Str* vip = nullptr;
  std::string ip;
  if (argc >= 3) {
    vip = argv[2];
    rm::RetainString(ctx, vip);
  } else {
    ip = CallerIp(ctx);
    if (ip.empty() || ip.front() == '/')
      return ReplyStatus(ctx, err::Syntax("give the vip: this caller has no IP address "
                                          "(a script, a module or a unix socket)"));
    vip = rm::CreateString(ctx, ip.data(), ip.size());
  }
  struct Release {
    rm::Ctx* c;
    rm::Str* s;
    ~Release() { rm::FreeString(c, s); }
  } release{ctx, vip};
  Status s = ValidateVip(Arg(vip));
  if (!s.ok()) return ReplyStatus(ctx, s);
  int64_t lease = rt().cfg.lease_ms;
  if (argc == 4) {
    auto v = ParseInt("lease_ms", Arg(argv[3]), kMinLeaseMs, kMaxLeaseMs);
    if (!v.ok()) return ReplyStatus(ctx, v.status());
    lease = *v;
  }
  int64_t now = NowMs();
  LeaderState cur = LoadLeader(ctx, *g);
  auto d = TryLeader(cur, Arg(vip), now, lease, rt().fenced_high);
  if (!d.ok()) return ReplyStatus(ctx, d.status());
  Txn txn(ctx);
  s = Heartbeat(txn, *g, vip, now);
  if (!s.ok()) return ReplyStatus(ctx, s);
  if (d->leader) {
    StoreLeader(txn, *g, d->next);
    if (d->new_term) {
      rt().fenced_high = std::max(rt().fenced_high, d->next.epoch);
      Emit(txn, *g, "leader", now, [&](EventBuilder& b) {
        b.Str("vip", d->next.vip).Int("epoch", d->next.epoch).Int("lease_ms", lease);
        if (!cur.vip.empty() && cur.vip != d->next.vip) b.Str("previous", cur.vip);
      });
    }
  }
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  ++rt().heartbeats;
  if (d->leader && d->new_term) ++rt().elections;
  return rm::ReplyWithLongLong(ctx, d->leader ? 1 : 0);
}

// suma_leader_info <master_key> -> [vip, epoch, lease_left_ms] ; vip nil when none
int CmdLeaderInfo(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = OpenGroup(ctx, argv[1], kMetaKey);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  int64_t now = NowMs();
  LeaderState st = LoadLeader(ctx, *g);
  std::string_view holder = st.Current(now);
  rm::ReplyWithArray(ctx, 6);
  rm::ReplyWithSimpleString(ctx, "vip");
  if (holder.empty())
    rm::ReplyWithNull(ctx);
  else
    ReplyBuf(ctx, holder);
  rm::ReplyWithSimpleString(ctx, "epoch");
  rm::ReplyWithLongLong(ctx, st.epoch);
  rm::ReplyWithSimpleString(ctx, "lease_left_ms");
  return rm::ReplyWithLongLong(ctx, LeaseLeft(st, now));
}

// suma_leader_resign <master_key> <vip> -> 1 resigned, 0 vip was not leader
int CmdLeaderResign(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  Status s = ValidateVip(Arg(argv[2]));
  if (!s.ok()) return ReplyStatus(ctx, s);
  Txn txn(ctx);
  bool resigned = ResignIfLeader(txn, *g, Arg(argv[2]), NowMs());
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, resigned ? 1 : 0);
}

// suma_leader_check <master_key> <epoch> -> 1, or FENCED error
int CmdLeaderCheck(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = OpenGroup(ctx, argv[1], kMetaKey);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  auto epoch = ParseInt("epoch", Arg(argv[2]), 1, INT64_MAX);
  if (!epoch.ok()) return ReplyStatus(ctx, epoch.status());
  Status s = CheckEpochGuard(ctx, *g, *epoch);
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, 1);
}

}  // namespace


namespace {

constexpr ArgRow kTryLeaderArgs[] = {{"master_key", rm::kArgKey},
                                     {"vip", rm::kArgString, rm::kArgOptional},
                                     {"lease_ms", rm::kArgInteger, rm::kArgOptional}};
constexpr ArgRow kMasterArgs[] = {{"master_key", rm::kArgKey}};
constexpr ArgRow kMasterVipArgs[] = {{"master_key", rm::kArgKey}, {"vip", rm::kArgString}};
constexpr ArgRow kCheckArgs[] = {{"master_key", rm::kArgKey}, {"epoch", rm::kArgInteger}};

constexpr CommandRow kCommands[] = {
    {"suma_try_leader", CmdTryLeader, "write deny-oom", -2, kWritesGroup,
     "Takes or renews the group's leadership; a new tenure gets a new fencing epoch. Counts as "
     "a heartbeat of vip.",
     "O(log N), N the group's hosts", kTryLeaderArgs},
    {"suma_leader_info", CmdLeaderInfo, "readonly", 2, kReadsGroup,
     "The group's leader, last granted epoch and lease left.", "O(1)", kMasterArgs},
    {"suma_leader_resign", CmdLeaderResign, "write", 3, kWritesGroup,
     "Ends vip's tenure if it leads now (a resign event); the epoch is kept.", "O(1)",
     kMasterVipArgs},
    {"suma_leader_check", CmdLeaderCheck, "readonly", 3, kReadsGroup,
     "1 while epoch is the group's current, unexpired tenure; FENCED otherwise.", "O(1)",
     kCheckArgs},
};

}  // namespace

std::span<const CommandRow> LeaderCommands() { return kCommands; }

}  // namespace suma::mod
