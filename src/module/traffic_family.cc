// Traffic family: vip_kill (drain), vip_reset (restore), vip_drained (list).
#include "core/errors.h"
#include "module/common.h"
#include "module/group_state.h"

namespace suma::mod {
namespace {

// Shared argument handling: <channel> <vip>, type check of G:drained.
Result<Group> DrainArgs(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3) return err::Syntax("wrong number of arguments, expected <channel> <vip>");
  auto g = ResolveGroup(ctx, argv[1]);
  if (!g.ok()) return g;
  Status s = ValidateVip(Arg(argv[2]));
  if (s.ok()) s = CheckMembershipTypes(ctx, *g);
  if (!s.ok()) return s;
  return g;
}

// suma_vip_kill <channel> <vip> -> 1 drained now, 0 already drained
int CmdVipKill(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3) return rm::WrongArity(ctx);
  auto g = DrainArgs(ctx, argv, argc);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  int64_t now = NowMs();
  OpenedKey drained(ctx, g->Key("drained"), rm::kRead | rm::kWrite);
  if (IsDrained(drained.get(), argv[2])) return rm::ReplyWithLongLong(ctx, 0);
  Num at(now);
  rm::Str* v = rm::CreateString(ctx, at.buf, std::char_traits<char>::length(at.buf));
  rm::HashSet(drained.get(), rm::kHashNone, argv[2], v, nullptr);
  rm::Replicate(ctx, "HSET", "sss", drained.name(), argv[2], v);
  rm::FreeString(ctx, v);
  Emit(ctx, *g, "kill", now, [&](EventBuilder& b) { b.Str("vip", Arg(argv[2])); });
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_vip_reset <channel> <vip> -> 1 restored, 0 was not drained
int CmdVipReset(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3) return rm::WrongArity(ctx);
  auto g = DrainArgs(ctx, argv, argc);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  OpenedKey drained(ctx, g->Key("drained"), rm::kRead | rm::kWrite);
  if (!IsDrained(drained.get(), argv[2])) return rm::ReplyWithLongLong(ctx, 0);
  rm::HashSet(drained.get(), rm::kHashNone, argv[2], rm::HashDelete(), nullptr);
  rm::Replicate(ctx, "HDEL", "ss", drained.name(), argv[2]);
  Emit(ctx, *g, "reset", NowMs(), [&](EventBuilder& b) { b.Str("vip", Arg(argv[2])); });
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_vip_drained <channel> -> flat array [vip, drained_at_ms, ...]
int CmdVipDrained(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 2) return rm::WrongArity(ctx);
  auto g = ResolveGroup(ctx, argv[1]);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  std::string key = g->Key("drained");
  Status s = CheckTypes(ctx, {{key, rm::kKeyHash}});
  if (!s.ok()) return ReplyStatus(ctx, s);
  Reply r(rm::Call(ctx, "HGETALL", "c", key.c_str()));
  return rm::ReplyWithCallReply(ctx, r.get());
}

}  // namespace

bool RegisterTrafficFamily(rm::Ctx* ctx) {
  return Register(ctx, "suma_vip_kill", CmdVipKill, "write deny-oom", 1, 1, 1) &&
         Register(ctx, "suma_vip_reset", CmdVipReset, "write", 1, 1, 1) &&
         Register(ctx, "suma_vip_drained", CmdVipDrained, "readonly", 1, 1, 1);
}

}  // namespace suma::mod
