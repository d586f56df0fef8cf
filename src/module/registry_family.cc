// Registry family: durable registration of a tenant's servers (not
// heartbeat-based). One hash per server, "<group>:srv:<vip>", with fields
// meta (JSON), registered_ms and updated_ms.
#include "core/errors.h"
#include "core/json.h"
#include "core/numbers.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/group_state.h"
#include "module/listing.h"
#include "module/txn.h"

namespace suma::mod {
namespace {

struct Server {
  Group group;
  std::string key;
};

Result<Server> ResolveServer(rm::Ctx* ctx, rm::Str* master, rm::Str* vip) {
  auto g = OpenGroup(ctx, master, kMembershipKeys);
  if (!g.ok()) return g.status();
  Status s = ValidateVip(Arg(vip));
  if (!s.ok()) return s;
  Server out{*g, g->Key("srv:" + std::string(Arg(vip)))};
  s = CheckTypes(ctx, {{out.key, rm::kKeyHash}});
  if (!s.ok()) return s;
  return out;
}

// suma_vip_register <master_key> <vip> [meta_json] -> 1 new, 0 updated
int CmdRegister(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3 && argc != 4) return rm::WrongArity(ctx);
  auto srv = ResolveServer(ctx, argv[1], argv[2]);
  if (!srv.ok()) return ReplyStatus(ctx, srv.status());
  // Without meta_json a new server gets "{}" and a known one keeps its meta.
  bool has_meta = argc == 4;
  std::string_view meta = has_meta ? Arg(argv[3]) : std::string_view("{}");
  if (meta.size() > static_cast<size_t>(rt().cfg.max_payload))
    return ReplyStatus(ctx, err::PayloadTooLarge("meta", rt().cfg.max_payload));
  Status s = ValidateJson("meta", meta);
  if (!s.ok()) return ReplyStatus(ctx, s);
  int64_t now = NowMs();
  Num ts(now);
  Reply known(Call(ctx, false, "HEXISTS", {srv->key, "registered_ms"}));
  bool is_new = !(known.type() == rm::kReplyInteger && known.integer() == 1);
  Txn txn(ctx);
  if (is_new) txn.CallHSet(srv->key, "registered_ms", ts.c_str());
  if (has_meta || is_new) txn.CallHSet(srv->key, "meta", meta);
  txn.CallHSet(srv->key, "updated_ms", ts.c_str());
  Emit(txn, srv->group, "register", now, [&](EventBuilder& b) {
    b.Str("vip", Arg(argv[2])).Int("new", is_new ? 1 : 0);
    if (has_meta) b.Raw("meta", meta);
  });
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, is_new ? 1 : 0);
}

// suma_vip_unregister <master_key> <vip> -> 1 removed, 0 was not registered
int CmdUnregister(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto srv = ResolveServer(ctx, argv[1], argv[2]);
  if (!srv.ok()) return ReplyStatus(ctx, srv.status());
  if (OpenedKey(ctx, srv->key, rm::kRead).empty()) return rm::ReplyWithLongLong(ctx, 0);
  Txn txn(ctx);
  txn.CallDel(srv->key);
  Emit(txn, srv->group, "unregister", NowMs(),
       [&](EventBuilder& b) { b.Str("vip", Arg(argv[2])); });
  Status s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_vip_server_get <master_key> <vip> -> [meta, registered_ms, updated_ms] or nil
int CmdServerGet(rm::Ctx* ctx, rm::Str** argv, int argc) {
  auto srv = ResolveServer(ctx, argv[1], argv[2]);
  if (!srv.ok()) return ReplyStatus(ctx, srv.status());
  Reply r(rm::Call(ctx, "HMGET", "cccc", srv->key.c_str(), "meta", "registered_ms", "updated_ms"));
  if (r.type() != rm::kReplyArray || r.length() != 3 ||
      rm::CallReplyType(r.at(0)) != rm::kReplyString)
    return rm::ReplyWithNull(ctx);
  rm::ReplyWithArray(ctx, 3);
  ReplyBuf(ctx, Reply::Text(r.at(0)));
  for (size_t i = 1; i < 3; ++i) {
    auto ms = ParseInt("ms", Reply::Text(r.at(i)), 0, INT64_MAX);
    rm::ReplyWithLongLong(ctx, ms.ok() ? *ms : 0);
  }
  return rm::kOk;
}

// suma_vip_server_list <pattern> [GROUP g] [CURSOR c] [COUNT n]
int CmdServerList(rm::Ctx* ctx, rm::Str** argv, int argc) {
  return ReplyListing(ctx, argv, argc, "srv", [](rm::Ctx*, const std::string&) { return true; });
}

}  // namespace

namespace {

constexpr ArgRow kRegisterArgs[] = {{"master_key", rm::kArgKey},
                                    {"vip", rm::kArgString},
                                    {"meta_json", rm::kArgString, rm::kArgOptional}};
constexpr ArgRow kMasterVipArgs[] = {{"master_key", rm::kArgKey}, {"vip", rm::kArgString}};
constexpr ArgRow kListArgs[] = {{"pattern", rm::kArgPattern},
                                {"group", rm::kArgString, rm::kArgOptional, "GROUP"},
                                {"cursor", rm::kArgInteger, rm::kArgOptional, "CURSOR"},
                                {"count", rm::kArgInteger, rm::kArgOptional, "COUNT"}};

constexpr CommandRow kCommands[] = {
    {"suma_vip_register", CmdRegister, "write deny-oom", -3, kWritesGroup,
     "Registers (or updates) one of the tenant's servers, with optional JSON meta.", "O(1)",
     kRegisterArgs},
    {"suma_vip_unregister", CmdUnregister, "write", 3, kWritesGroup,
     "Removes a registered server.", "O(1)", kMasterVipArgs},
    {"suma_vip_server_get", CmdServerGet, "readonly", 3, kReadsGroup,
     "A registered server's meta, registered and updated ms, or nil.", "O(1)", kMasterVipArgs},
    {"suma_vip_server_list", CmdServerList, "readonly", -2, 0,
     "Registered servers matching pattern, by a bounded SCAN of this node (one group with "
     "GROUP).",
     "O(N) over at most 20000 keys a call", kListArgs},
    {"suma_vip_register_list", CmdServerList, "readonly", -2, 0,
     "Alias of suma_vip_server_list (the seed's name).", "O(N) over at most 20000 keys a call",
     kListArgs},
};

}  // namespace

std::span<const CommandRow> RegistryCommands() { return kCommands; }

}  // namespace suma::mod
