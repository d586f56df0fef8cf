// Diamond family (config center): publish, cas, get, history, delete, list.
//
// Each config key is one stream "<group>:cfg:<key>" whose entry ids are
// "<version>-0": fields v (value) and ts, or deleted=1 and ts for a delete.
// The last entry is the current state; history-len bounds the history. A
// delete keeps the stream (its tombstone), and versions are fencing values
// (core/series.h), so they only grow, also across a delete or a lost stream.
#include <algorithm>

#include "core/errors.h"
#include "core/json.h"
#include "core/numbers.h"
#include "core/series.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/group_state.h"
#include "module/listing.h"
#include "module/epoch_guard.h"
#include "module/txn.h"

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
  auto g = OpenGroup(ctx, channel, kMembershipKeys);
  if (!g.ok()) return g.status();
  Status s = ValidateConfigKey(Arg(key));
  if (!s.ok()) return s;
  Target t{*g, g->Key("cfg:" + std::string(Arg(key)))};
  s = CheckTypes(ctx, {{t.key, rm::kKeyStream}});
  if (!s.ok()) return s;
  return t;
}

Status CheckValue(std::string_view value) {
  if (value.size() > static_cast<size_t>(rt().cfg.max_payload))
    return err::PayloadTooLarge("value", rt().cfg.max_payload);
  return Status::Ok();
}

// Appends the next version after `cur` (value, or a tombstone when value is
// null) and announces it. Versions come from NextFenced (core/series.h), so a
// config stream deleted or restored by hand never repeats a version.
Status Write(rm::Ctx* ctx, const Target& t, std::string_view config_key, const Entry& cur,
             const std::string_view* value) {
  int64_t now = NowMs();
  auto version = NextFenced("version", cur.version, now, rt().fenced_high);
  if (!version.ok()) return version.status();
  rt().fenced_high = std::max(rt().fenced_high, *version);
  Num ts(now);
  Txn txn(ctx);
  if (value)
    txn.XAdd(t.key, *version, {"v", *value, "ts", ts.c_str()}, rt().cfg.history_len);
  else
    txn.XAdd(t.key, *version, {"deleted", "1", "ts", ts.c_str()}, rt().cfg.history_len);
  Emit(txn, t.group, value ? "diamond" : "diamond_delete", now, [&](EventBuilder& b) {
    b.Str("key", config_key).Int("version", *version);
    if (value && value->size() <= kMaxValueInEvent && IsUtf8(*value)) b.Str("value", *value);
  });
  return txn.Finish();
}

int ReplyWritten(rm::Ctx* ctx, const Status& s) {
  return s.ok() ? rm::ReplyWithLongLong(ctx, 1) : ReplyStatus(ctx, s);
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
  return ReplyWritten(ctx, Write(ctx, *t, Arg(argv[2]), Latest(ctx, t->key), &value));
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
  return ReplyWritten(ctx, Write(ctx, *t, Arg(argv[2]), cur, &value));
}

// suma_diamond_get <channel> <key> -> [value, version, ts] or nil
int CmdGet(rm::Ctx* ctx, rm::Str** argv, int argc) {
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
  return ReplyWritten(ctx, Write(ctx, *t, Arg(argv[2]), cur, nullptr));
}

// suma_diamond_list <pattern> [GROUP g] [CURSOR c] [COUNT n]
int CmdList(rm::Ctx* ctx, rm::Str** argv, int argc) {
  return ReplyListing(ctx, argv, argc, "cfg", [](rm::Ctx* c, const std::string& key) {
    return !Latest(c, key).deleted;
  });
}

}  // namespace

namespace {

constexpr ArgRow kPublishArgs[] = {{"channel", rm::kArgKey},
                                   {"key", rm::kArgString},
                                   {"value", rm::kArgString},
                                   {"epoch", rm::kArgInteger, rm::kArgOptional, "IFEPOCH"}};
constexpr ArgRow kCasArgs[] = {{"channel", rm::kArgKey},
                               {"key", rm::kArgString},
                               {"expected_version", rm::kArgInteger},
                               {"value", rm::kArgString},
                               {"epoch", rm::kArgInteger, rm::kArgOptional, "IFEPOCH"}};
constexpr ArgRow kKeyArgs[] = {{"channel", rm::kArgKey}, {"key", rm::kArgString}};
constexpr ArgRow kHistoryArgs[] = {{"channel", rm::kArgKey},
                                   {"key", rm::kArgString},
                                   {"count", rm::kArgInteger, rm::kArgOptional}};
constexpr ArgRow kDeleteArgs[] = {{"channel", rm::kArgKey},
                                  {"key", rm::kArgString},
                                  {"epoch", rm::kArgInteger, rm::kArgOptional, "IFEPOCH"}};
constexpr ArgRow kListArgs[] = {{"pattern", rm::kArgPattern},
                                {"group", rm::kArgString, rm::kArgOptional, "GROUP"},
                                {"cursor", rm::kArgInteger, rm::kArgOptional, "CURSOR"},
                                {"count", rm::kArgInteger, rm::kArgOptional, "COUNT"}};

constexpr CommandRow kCommands[] = {
    {"suma_diamond_publish", CmdPublish, "write deny-oom", -4, kWritesGroup,
     "Stores value as the config's next version and announces it (a diamond event).",
     "O(1)", kPublishArgs},
    {"suma_diamond_cas", CmdCas, "write deny-oom", -5, kWritesGroup,
     "Publishes only if the config's current version is expected_version (0: absent).", "O(1)",
     kCasArgs},
    {"suma_diamond_get", CmdGet, "readonly", 3, kReadsGroup,
     "The config's current value, version and ms, or nil.", "O(1)", kKeyArgs},
    {"suma_diamond_history", CmdHistory, "readonly", -3, kReadsGroup,
     "The config's last versions, newest first; a nil value marks a delete.", "O(count)",
     kHistoryArgs},
    {"suma_diamond_delete", CmdDelete, "write", -3, kWritesGroup,
     "Deletes the config as a new version (a diamond_delete event); versions keep growing.",
     "O(1)", kDeleteArgs},
    {"suma_diamond_list", CmdList, "readonly", -2, 0,
     "Config keys matching pattern, by a bounded SCAN of this node (one group with GROUP).",
     "O(N) over at most 20000 keys a call", kListArgs},
};

}  // namespace

std::span<const CommandRow> DiamondCommands() { return kCommands; }

}  // namespace suma::mod
