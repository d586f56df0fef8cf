// Traffic family: vip_kill (drain), vip_reset (restore), vip_drained (list).
#include "core/errors.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/group_state.h"
#include "module/txn.h"

namespace suma::mod {
namespace {

// Shared argument handling: <channel> <vip> (arity checked by Redis), types.
Result<Group> DrainArgs(rm::Ctx* ctx, rm::Str** argv) {
  auto g = OpenGroup(ctx, argv[1], kMembershipKeys);
  if (!g.ok()) return g;
  Status s = ValidateVip(Arg(argv[2]));
  if (!s.ok()) return s;
  return g;
}

// suma_vip_kill <channel> <vip> -> 1 drained now, 0 already drained
int CmdVipKill(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = DrainArgs(ctx, argv);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  int64_t now = NowMs();
  Txn txn(ctx);
  {
    OpenedKey drained(ctx, g->Key("drained"), rm::kRead | rm::kWrite);
    if (IsDrained(drained.get(), argv[2])) return rm::ReplyWithLongLong(ctx, 0);
    Num at(now);
    rm::Str* v = rm::CreateString(ctx, at.buf, std::char_traits<char>::length(at.buf));
    txn.HSet(drained, Arg(argv[2]), v, std::nullopt);
    rm::FreeString(ctx, v);
  }
  Emit(txn, *g, "kill", now, [&](EventBuilder& b) { b.Str("vip", Arg(argv[2])); });
  Status s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_vip_reset <channel> <vip> -> 1 restored, 0 was not drained
int CmdVipReset(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = DrainArgs(ctx, argv);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  Txn txn(ctx);
  {
    OpenedKey drained(ctx, g->Key("drained"), rm::kRead | rm::kWrite);
    rm::Str* prev = nullptr;
    if (drained.type() == rm::kKeyHash)
      rm::HashGet(drained.get(), rm::kHashNone, argv[2], &prev, nullptr);
    if (!prev) return rm::ReplyWithLongLong(ctx, 0);
    txn.HDel(drained, argv[2], Arg(prev));
    rm::FreeString(ctx, prev);
  }
  Emit(txn, *g, "reset", NowMs(), [&](EventBuilder& b) { b.Str("vip", Arg(argv[2])); });
  Status s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_vip_drained <channel> -> flat array [vip, drained_at_ms, ...]
int CmdVipDrained(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto g = OpenGroup(ctx, argv[1], kDrainedKey);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  std::string key = g->Key("drained");
  Reply r(rm::Call(ctx, "HGETALL", "c", key.c_str()));
  return rm::ReplyWithCallReply(ctx, r.get());
}

}  // namespace

namespace {

constexpr ArgRow kChannelVipArgs[] = {{"channel", rm::kArgKey}, {"vip", rm::kArgString}};
constexpr ArgRow kChannelArgs[] = {{"channel", rm::kArgKey}};

constexpr CommandRow kCommands[] = {
    {"suma_vip_kill", CmdVipKill, "write deny-oom", 3, kWritesGroup,
     "Drains vip: it stays a member but leaves the live list (a kill event).", "O(1)",
     kChannelVipArgs},
    {"suma_vip_reset", CmdVipReset, "write", 3, kWritesGroup,
     "Restores a drained vip (a reset event).", "O(1)", kChannelVipArgs},
    {"suma_vip_drained", CmdVipDrained, "readonly", 2, kReadsGroup,
     "The group's drained vips with the ms they were drained at.", "O(N), N the drained hosts",
     kChannelArgs},
};

}  // namespace

std::span<const CommandRow> TrafficCommands() { return kCommands; }

}  // namespace suma::mod
