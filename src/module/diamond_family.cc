// Diamond family (config center): publish, cas, get, history, delete, list.
//
// Each config key is one stream "<group>:cfg:<key>" whose entry ids are
// "<version>-0": fields v (value) and ts, or deleted=1 and ts for a delete.
// The last entry is the current state; MAXLEN history-len bounds the history,
// and the stream keeps its last id after trimming, so versions only grow, also
// across a delete.
#include "core/errors.h"
#include "core/json.h"
#include "core/numbers.h"
#include "module/common.h"
#include "module/group_state.h"
#include "module/listing.h"
#include "module/options.h"

namespace suma::mod {
namespace {

constexpr size_t kMaxValueInEvent = 4096;

struct Entry {
  int64_t version = 0;
  int64_t ts = 0;
  bool deleted = false;
  std::string value;
};

Entry ParseEntry(rm::CallReply* e) {
  Entry out;
  std::string_view id = Reply::Text(rm::CallReplyArrayElement(e, 0));
  auto v = ParseInt("id", id.substr(0, id.find('-')), 0, INT64_MAX);
  out.version = v.ok() ? *v : 0;
  rm::CallReply* f = rm::CallReplyArrayElement(e, 1);
  for (size_t i = 0; f && i + 1 < rm::CallReplyLength(f); i += 2) {
    std::string_view name = Reply::Text(rm::CallReplyArrayElement(f, i));
    std::string_view val = Reply::Text(rm::CallReplyArrayElement(f, i + 1));
    if (name == "v") out.value = std::string(val);
    if (name == "deleted") out.deleted = true;
    if (name == "ts") {
      auto t = ParseInt("ts", val, INT64_MIN, INT64_MAX);
      out.ts = t.ok() ? *t : 0;
    }
  }
  return out;
}

// Latest entry of a config stream; version 0 when the key never existed.
// history-len >= 1 keeps at least the newest entry in the stream.
Entry Latest(rm::Ctx* ctx, const std::string& key) {
  Reply r(rm::Call(ctx, "XREVRANGE", "ccccc", key.c_str(), "+", "-", "COUNT", "1"));
  if (r.type() == rm::kReplyArray && r.length() == 1) return ParseEntry(r.at(0));
  return Entry{};
}

struct Target {
  Group group;
  std::string key;  // internal stream key
};

Result<Target> ResolveConfig(rm::Ctx* ctx, rm::Str* channel, rm::Str* key) {
  auto g = ResolveGroup(ctx, channel);
  if (!g.ok()) return g.status();
  Status s = ValidateConfigKey(Arg(key));
  if (!s.ok()) return s;
  Target t{*g, g->Key("cfg:" + std::string(Arg(key)))};
  s = CheckTypes(ctx, {{t.key, rm::kKeyStream}});
  if (s.ok()) s = CheckMembershipTypes(ctx, t.group);
  if (!s.ok()) return s;
  return t;
}

Status CheckValue(std::string_view value) {
  if (value.size() > static_cast<size_t>(rt().cfg.max_payload))
    return err::PayloadTooLarge("value", rt().cfg.max_payload);
  return Status::Ok();
}

// Appends version `version` (value, or a tombstone when value is null) and
// announces it.
void Write(rm::Ctx* ctx, const Target& t, std::string_view config_key, int64_t version,
           const std::string_view* value) {
  int64_t now = NowMs();
  std::string id = std::to_string(version) + "-0";
  Num ts(now), len(rt().cfg.history_len);
  if (value) {
    Reply r(rm::Call(ctx, "XADD", "!cccccbcc", t.key.c_str(), "MAXLEN", len.c_str(), id.c_str(),
                     "v", value->data(), value->size(), "ts", ts.c_str()));
  } else {
    Reply r(rm::Call(ctx, "XADD", "!cccccccc", t.key.c_str(), "MAXLEN", len.c_str(), id.c_str(),
                     "deleted", "1", "ts", ts.c_str()));
  }
  Emit(ctx, t.group, value ? "diamond" : "diamond_delete", now, [&](EventBuilder& b) {
    b.Str("key", config_key).Int("version", version);
    if (value && value->size() <= kMaxValueInEvent && IsUtf8(*value)) b.Str("value", *value);
  });
}

// suma_diamond_publish <channel> <key> <value> [IFEPOCH e] -> 1
int CmdPublish(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 4 && argc != 6) return rm::WrongArity(ctx);
  auto t = ResolveConfig(ctx, argv[1], argv[2]);
  if (!t.ok()) return ReplyStatus(ctx, t.status());
  std::string_view value = Arg(argv[3]);
  Status s = CheckValue(value);
  if (s.ok()) s = CheckGuards(ctx, t->group, argv + 4, argc - 4);
  if (!s.ok()) return ReplyStatus(ctx, s);
  Entry cur = Latest(ctx, t->key);
  Write(ctx, *t, Arg(argv[2]), cur.version + 1, &value);
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_diamond_cas <channel> <key> <expected_version> <value> [IFEPOCH e]
// -> 1 written, 0 the current version is not expected_version (0: absent)
int CmdCas(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 5 && argc != 7) return rm::WrongArity(ctx);
  auto t = ResolveConfig(ctx, argv[1], argv[2]);
  if (!t.ok()) return ReplyStatus(ctx, t.status());
  auto expected = ParseInt("expected_version", Arg(argv[3]), 0, INT64_MAX - 1);
  if (!expected.ok()) return ReplyStatus(ctx, expected.status());
  std::string_view value = Arg(argv[4]);
  Status s = CheckValue(value);
  if (s.ok()) s = CheckGuards(ctx, t->group, argv + 5, argc - 5);
  if (!s.ok()) return ReplyStatus(ctx, s);
  Entry cur = Latest(ctx, t->key);
  int64_t current = cur.deleted ? 0 : cur.version;
  if (current != *expected) return rm::ReplyWithLongLong(ctx, 0);
  Write(ctx, *t, Arg(argv[2]), cur.version + 1, &value);
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_diamond_get <channel> <key> -> [value, version, ts] or nil
int CmdGet(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3) return rm::WrongArity(ctx);
  auto t = ResolveConfig(ctx, argv[1], argv[2]);
  if (!t.ok()) return ReplyStatus(ctx, t.status());
  Entry cur = Latest(ctx, t->key);
  if (cur.version == 0 || cur.deleted) return rm::ReplyWithNull(ctx);
  rm::ReplyWithArray(ctx, 3);
  ReplyBuf(ctx, cur.value);
  rm::ReplyWithLongLong(ctx, cur.version);
  return rm::ReplyWithLongLong(ctx, cur.ts);
}

// suma_diamond_history <channel> <key> [count] -> [[version, ts, value|nil], ...]
// newest first; a nil value marks a delete.
int CmdHistory(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3 && argc != 4) return rm::WrongArity(ctx);
  auto t = ResolveConfig(ctx, argv[1], argv[2]);
  if (!t.ok()) return ReplyStatus(ctx, t.status());
  int64_t count = rt().cfg.history_len;
  if (argc == 4) {
    auto c = ParseInt("count", Arg(argv[3]), 1, 1000);
    if (!c.ok()) return ReplyStatus(ctx, c.status());
    count = *c;
  }
  Num n(count);
  Reply r(rm::Call(ctx, "XREVRANGE", "ccccc", t->key.c_str(), "+", "-", "COUNT", n.c_str()));
  size_t len = r.type() == rm::kReplyArray ? r.length() : 0;
  rm::ReplyWithArray(ctx, static_cast<long>(len));
  for (size_t i = 0; i < len; ++i) {
    Entry e = ParseEntry(r.at(i));
    rm::ReplyWithArray(ctx, 3);
    rm::ReplyWithLongLong(ctx, e.version);
    rm::ReplyWithLongLong(ctx, e.ts);
    if (e.deleted)
      rm::ReplyWithNull(ctx);
    else
      ReplyBuf(ctx, e.value);
  }
  return rm::kOk;
}

// suma_diamond_delete <channel> <key> [IFEPOCH e] -> 1 deleted, 0 absent
int CmdDelete(rm::Ctx* ctx, rm::Str** argv, int argc) {
  if (argc != 3 && argc != 5) return rm::WrongArity(ctx);
  auto t = ResolveConfig(ctx, argv[1], argv[2]);
  if (!t.ok()) return ReplyStatus(ctx, t.status());
  Status s = CheckGuards(ctx, t->group, argv + 3, argc - 3);
  if (!s.ok()) return ReplyStatus(ctx, s);
  Entry cur = Latest(ctx, t->key);
  if (cur.version == 0 || cur.deleted) return rm::ReplyWithLongLong(ctx, 0);
  Write(ctx, *t, Arg(argv[2]), cur.version + 1, nullptr);
  return rm::ReplyWithLongLong(ctx, 1);
}

// suma_diamond_list <pattern> [GROUP g] [CURSOR c] [COUNT n]
int CmdList(rm::Ctx* ctx, rm::Str** argv, int argc) {
  return ReplyListing(ctx, argv, argc, "cfg", [](rm::Ctx* c, const std::string& key) {
    return !Latest(c, key).deleted;
  });
}

}  // namespace

bool RegisterDiamondFamily(rm::Ctx* ctx) {
  return Register(ctx, "suma_diamond_publish", CmdPublish, "write deny-oom", 1, 1, 1) &&
         Register(ctx, "suma_diamond_cas", CmdCas, "write deny-oom", 1, 1, 1) &&
         Register(ctx, "suma_diamond_get", CmdGet, "readonly", 1, 1, 1) &&
         Register(ctx, "suma_diamond_history", CmdHistory, "readonly", 1, 1, 1) &&
         Register(ctx, "suma_diamond_delete", CmdDelete, "write", 1, 1, 1) &&
         Register(ctx, "suma_diamond_list", CmdList, "readonly", 0, 0, 0);
}

}  // namespace suma::mod
