// Tasks family: the group's at-least-once task queue, suma_ci_task.
//
// Keys of group G:
//   G:tasks     hash id -> payload JSON        (every task not yet acked)
//   G:tqueue    zset id -> id                  (waiting, oldest first)
//   G:tclaims   zset id -> lease deadline ms   (claimed)
//   G:towners   hash id -> vip that claimed it
//   G:tattempts hash id -> deliveries so far
// A claim whose lease ran out, or whose host went offline, goes back to the
// queue (lazily at the next CLAIM, and at once when the host is evicted).
#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/limits.h"
#include "core/json.h"
#include "core/numbers.h"
#include "core/series.h"
#include "module/command_table.h"
#include "module/common.h"
#include "module/group_state.h"
#include "module/tasks_family.h"
#include "module/epoch_guard.h"
#include "module/txn.h"

namespace suma::mod {
namespace {

constexpr const char* kRequeueBatch = "100";

struct TaskKeys {
  explicit TaskKeys(const Group& g)
      : tasks(g.Key("tasks")),
        queue(g.Key("tqueue")),
        claims(g.Key("tclaims")),
        owners(g.Key("towners")),
        attempts(g.Key("tattempts")) {}
  std::string tasks, queue, claims, owners, attempts;
};

Status CheckTaskTypes(rm::Ctx* ctx, const Group& g, const TaskKeys& k) {
  Status s = CheckTypes(ctx, {{k.tasks, rm::kKeyHash},
                              {k.queue, rm::kKeyZset},
                              {k.claims, rm::kKeyZset},
                              {k.owners, rm::kKeyHash},
                              {k.attempts, rm::kKeyHash}});
  return s.ok() ? CheckMembershipTypes(ctx, g) : s;
}

// Task ids are decimal members and hash fields; 0 for anything else.
int64_t IdOf(std::string_view id) {
  auto v = ParseInt("id", id, 0, INT64_MAX);
  return v.ok() ? *v : 0;
}

void Requeue(Txn& txn, const Group& g, const TaskKeys& k, std::string_view id, int64_t now,
             std::string_view reason) {
  int64_t n = IdOf(id);
  txn.CallZRem(k.claims, id);
  txn.CallHDel(k.owners, id);
  txn.CallZAdd(k.queue, id, n);
  Emit(txn, g, "task", now, [&](EventBuilder& e) {
    e.Str("action", "requeue").Int("id", n).Str("reason", reason);
  });
}

void RequeueLapsed(Txn& txn, const Group& g, const TaskKeys& k, int64_t now) {
  Num upto(now);
  std::string max = "(" + std::string(upto.c_str());
  Reply r(rm::Call(txn.ctx(), "ZRANGEBYSCORE", "cccccc", k.claims.c_str(), "-inf", max.c_str(),
                   "LIMIT", "0", kRequeueBatch));
  for (size_t i = 0; r.type() == rm::kReplyArray && i < r.length(); ++i)
    Requeue(txn, g, k, Reply::Text(r.at(i)), now, "lease");
}

// The value of a counter field in a hash; 0 when absent or not a number.
int64_t Counter(rm::Ctx* ctx, const std::string& key, std::string_view field) {
  Reply r(Call(ctx, false, "HGET", {key, field}));
  return r.type() == rm::kReplyString ? IdOf(r.str()) : 0;
}

int Push(rm::Ctx* ctx, const Group& g, const TaskKeys& k, rm::Str** argv, int argc) {
  if (argc != 1) return ReplyStatus(ctx, err::Syntax("PUSH <json>"));
  std::string_view json = Arg(argv[0]);
  if (json.size() > static_cast<size_t>(rt().cfg.max_payload))
    return ReplyStatus(ctx, err::PayloadTooLarge("task", rt().cfg.max_payload));
  Status s = ValidateJson("task", json);
  if (!s.ok()) return ReplyStatus(ctx, s);
  {
    OpenedKey tasks(ctx, k.tasks, rm::kRead);
    if (static_cast<int64_t>(rm::ValueLength(tasks.get())) >= rt().cfg.max_tasks)
      return ReplyStatus(ctx, err::QueueFull(g.name, rt().cfg.max_tasks));
  }
  int64_t now = NowMs();
  std::string meta = g.Key("meta");
  auto id = NextFenced("task id", Counter(ctx, meta, "taskseq"), now, rt().fenced_high);
  if (!id.ok()) return ReplyStatus(ctx, id.status());
  rt().fenced_high = std::max(rt().fenced_high, *id);
  Num sid(*id);
  Txn txn(ctx);
  txn.CallHSet(meta, "taskseq", sid.c_str());
  txn.CallHSet(k.tasks, sid.c_str(), json);
  txn.CallZAdd(k.queue, sid.c_str(), *id);
  Emit(txn, g, "task", now, [&](EventBuilder& e) { e.Str("action", "push").Int("id", *id); });
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, *id);
}

int Claim(rm::Ctx* ctx, const Group& g, const TaskKeys& k, rm::Str** argv, int argc) {
  if (argc < 1 || argc > 2) return ReplyStatus(ctx, err::Syntax("CLAIM <vip> [lease_ms]"));
  Status s = ValidateVip(Arg(argv[0]));
  if (!s.ok()) return ReplyStatus(ctx, s);
  int64_t lease = rt().cfg.task_lease_ms;
  if (argc == 2) {
    auto v = ParseInt("lease_ms", Arg(argv[1]), kMinLeaseMs, kMaxLeaseMs);
    if (!v.ok()) return ReplyStatus(ctx, v.status());
    lease = *v;
  }
  int64_t now = NowMs();
  Txn txn(ctx);
  RequeueLapsed(txn, g, k, now);
  Reply first(rm::Call(ctx, "ZRANGE", "ccc", k.queue.c_str(), "0", "0"));
  if (first.type() != rm::kReplyArray || first.length() == 0) {
    s = txn.Finish();
    return s.ok() ? rm::ReplyWithNull(ctx) : ReplyStatus(ctx, s);
  }
  std::string id(Reply::Text(first.at(0)));
  Reply payload(rm::Call(ctx, "HGET", "cc", k.tasks.c_str(), id.c_str()));
  // Saturates: the count may have been written by hand up to INT64_MAX.
  int64_t before = Counter(ctx, k.attempts, id);
  int64_t attempts = before < INT64_MAX ? before + 1 : before;
  txn.CallZRem(k.queue, id);
  txn.CallZAdd(k.claims, id, now + lease);
  txn.CallHSet(k.owners, id, Arg(argv[0]));
  txn.CallHSet(k.attempts, id, Num(attempts).c_str());
  Emit(txn, g, "task", now, [&](EventBuilder& e) {
    e.Str("action", "claim").Int("id", IdOf(id)).Str("vip", Arg(argv[0]));
  });
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  rm::ReplyWithArray(ctx, 3);
  rm::ReplyWithLongLong(ctx, IdOf(id));
  ReplyBuf(ctx, payload.str());
  return rm::ReplyWithLongLong(ctx, attempts);
}

// Common to ACK and EXTEND: is `id` claimed (by vip, when given)?
bool ClaimedBy(rm::Ctx* ctx, const TaskKeys& k, const std::string& id, std::string_view vip,
               int64_t now) {
  Reply score(rm::Call(ctx, "ZSCORE", "cc", k.claims.c_str(), id.c_str()));
  if (score.type() != rm::kReplyString) return false;
  auto deadline = ParseInt("deadline", score.str(), INT64_MIN, INT64_MAX);
  if (!deadline.ok() || *deadline <= now) return false;
  if (vip.empty()) return true;
  Reply owner(rm::Call(ctx, "HGET", "cc", k.owners.c_str(), id.c_str()));
  return owner.type() == rm::kReplyString && owner.str() == vip;
}

// ACK <id> [vip] [IFEPOCH e]
int Ack(rm::Ctx* ctx, const Group& g, const TaskKeys& k, rm::Str** argv, int argc) {
  if (argc < 1 || argc > 4) return ReplyStatus(ctx, err::Syntax("ACK <id> [vip] [IFEPOCH e]"));
  auto id = ParseInt("id", Arg(argv[0]), 1, INT64_MAX);
  if (!id.ok()) return ReplyStatus(ctx, id.status());
  std::string_view vip;
  int guard = 1;
  if (argc == 2 || argc == 4) {
    vip = Arg(argv[1]);
    Status s = ValidateVip(vip);
    if (!s.ok()) return ReplyStatus(ctx, s);
    guard = 2;
  }
  Status s = CheckGuards(ctx, g, argv + guard, argc - guard);
  if (!s.ok()) return ReplyStatus(ctx, s);
  int64_t now = NowMs();
  Num sid(*id);
  std::string ids(sid.c_str());
  if (!ClaimedBy(ctx, k, ids, vip, now)) return rm::ReplyWithLongLong(ctx, 0);
  Txn txn(ctx);
  for (const std::string* key : {&k.tasks, &k.owners, &k.attempts}) txn.CallHDel(*key, ids);
  txn.CallZRem(k.claims, ids);
  Emit(txn, g, "task", now, [&](EventBuilder& e) { e.Str("action", "ack").Int("id", *id); });
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, 1);
}

// EXTEND <id> <vip> [lease_ms]
int Extend(rm::Ctx* ctx, const Group&, const TaskKeys& k, rm::Str** argv, int argc) {
  if (argc < 2 || argc > 3) return ReplyStatus(ctx, err::Syntax("EXTEND <id> <vip> [lease_ms]"));
  auto id = ParseInt("id", Arg(argv[0]), 1, INT64_MAX);
  if (!id.ok()) return ReplyStatus(ctx, id.status());
  Status s = ValidateVip(Arg(argv[1]));
  if (!s.ok()) return ReplyStatus(ctx, s);
  int64_t lease = rt().cfg.task_lease_ms;
  if (argc == 3) {
    auto v = ParseInt("lease_ms", Arg(argv[2]), kMinLeaseMs, kMaxLeaseMs);
    if (!v.ok()) return ReplyStatus(ctx, v.status());
    lease = *v;
  }
  int64_t now = NowMs();
  Num sid(*id);
  if (!ClaimedBy(ctx, k, sid.c_str(), Arg(argv[1]), now)) return rm::ReplyWithLongLong(ctx, 0);
  Txn txn(ctx);
  txn.CallZAdd(k.claims, sid.c_str(), now + lease);
  s = txn.Finish();
  if (!s.ok()) return ReplyStatus(ctx, s);
  return rm::ReplyWithLongLong(ctx, 1);
}

// PENDING [count] -> [[id, payload], ...] waiting tasks, oldest first
int Pending(rm::Ctx* ctx, const Group&, const TaskKeys& k, rm::Str** argv, int argc) {
  if (argc > 1) return ReplyStatus(ctx, err::Syntax("PENDING [count]"));
  int64_t count = 100;
  if (argc == 1) {
    auto c = ParseInt("count", Arg(argv[0]), 1, 10000);
    if (!c.ok()) return ReplyStatus(ctx, c.status());
    count = *c;
  }
  Num last(count - 1);
  Reply ids(rm::Call(ctx, "ZRANGE", "ccc", k.queue.c_str(), "0", last.c_str()));
  size_t n = ids.type() == rm::kReplyArray ? ids.length() : 0;
  rm::ReplyWithArray(ctx, static_cast<long>(n));
  for (size_t i = 0; i < n; ++i) {
    std::string id(Reply::Text(ids.at(i)));
    Reply payload(rm::Call(ctx, "HGET", "cc", k.tasks.c_str(), id.c_str()));
    rm::ReplyWithArray(ctx, 2);
    rm::ReplyWithLongLong(ctx, IdOf(id));
    ReplyBuf(ctx, payload.str());
  }
  return rm::kOk;
}

// CLAIMED -> [[id, vip, deadline_ms], ...]
int Claimed(rm::Ctx* ctx, const Group&, const TaskKeys& k, rm::Str**, int argc) {
  if (argc != 0) return ReplyStatus(ctx, err::Syntax("CLAIMED takes no arguments"));
  Reply ids(rm::Call(ctx, "ZRANGE", "cccc", k.claims.c_str(), "0", "-1", "WITHSCORES"));
  size_t n = ids.type() == rm::kReplyArray ? ids.length() / 2 : 0;
  rm::ReplyWithArray(ctx, static_cast<long>(n));
  for (size_t i = 0; i < n; ++i) {
    std::string id(Reply::Text(ids.at(2 * i)));
    Reply owner(rm::Call(ctx, "HGET", "cc", k.owners.c_str(), id.c_str()));
    auto dl = ParseInt("deadline", Reply::Text(ids.at(2 * i + 1)), INT64_MIN, INT64_MAX);
    rm::ReplyWithArray(ctx, 3);
    rm::ReplyWithLongLong(ctx, IdOf(id));
    ReplyBuf(ctx, owner.str());
    rm::ReplyWithLongLong(ctx, dl.ok() ? *dl : 0);
  }
  return rm::kOk;
}

// STATS -> [queued, n, claimed, n]
int Stats(rm::Ctx* ctx, const Group&, const TaskKeys& k, rm::Str**, int argc) {
  if (argc != 0) return ReplyStatus(ctx, err::Syntax("STATS takes no arguments"));
  OpenedKey queue(ctx, k.queue, rm::kRead), claims(ctx, k.claims, rm::kRead);
  rm::ReplyWithArray(ctx, 4);
  rm::ReplyWithSimpleString(ctx, "queued");
  rm::ReplyWithLongLong(ctx, static_cast<long long>(rm::ValueLength(queue.get())));
  rm::ReplyWithSimpleString(ctx, "claimed");
  return rm::ReplyWithLongLong(ctx, static_cast<long long>(rm::ValueLength(claims.get())));
}

using SubFn = int (*)(rm::Ctx*, const Group&, const TaskKeys&, rm::Str**, int);
struct Sub {
  const char* name;
  SubFn fn;
  bool reads_only;
};
constexpr Sub kSubs[] = {{"PUSH", Push, false},       {"CLAIM", Claim, false},
                         {"ACK", Ack, false},         {"EXTEND", Extend, false},
                         {"PENDING", Pending, true},  {"CLAIMED", Claimed, true},
                         {"STATS", Stats, true}};

// Shared by suma_ci_task (every subcommand, a write command) and
// suma_ci_task_info (the reading ones, a readonly command that replicas serve).
int Dispatch(rm::Ctx* ctx, rm::Str** argv, int argc, const char* command, bool reads_only) {
  auto g = ResolveGroup(ctx, argv[1]);
  if (!g.ok()) return ReplyStatus(ctx, g.status());
  std::string_view name = Arg(argv[2]);
  for (const Sub& sub : kSubs) {
    if (!EqualsIgnoreCase(name, sub.name) || (reads_only && !sub.reads_only)) continue;
    TaskKeys k(*g);
    Status s = CheckTaskTypes(ctx, *g, k);
    if (!s.ok()) return ReplyStatus(ctx, s);
    return sub.fn(ctx, *g, k, argv + 3, argc - 3);
  }
  return ReplyStatus(ctx, err::UnknownSubcommand(command, name));
}

// suma_ci_task <channel> <subcommand> [args...]
int CmdTask(rm::Ctx* ctx, rm::Str** argv, int argc) {
  return Dispatch(ctx, argv, argc, "suma_ci_task", false);
}

// suma_ci_task_info <channel> PENDING [count] | CLAIMED | STATS
int CmdTaskInfo(rm::Ctx* ctx, rm::Str** argv, int argc) {
  return Dispatch(ctx, argv, argc, "suma_ci_task_info", true);
}

}  // namespace

Status CheckTaskKeyTypes(rm::Ctx* ctx, const Group& g) {
  TaskKeys k(g);
  return CheckTaskTypes(ctx, g, k);
}

void RequeueLapsedClaims(Txn& txn, const Group& g, int64_t now) {
  if (OpenedKey(txn.ctx(), g.Key("tclaims"), rm::kRead).type() != rm::kKeyZset) return;
  TaskKeys k(g);
  if (!CheckTaskTypes(txn.ctx(), g, k).ok()) return;
  RequeueLapsed(txn, g, k, now);
}

void RequeueClaimsOf(Txn& txn, const Group& g, std::string_view vip, int64_t now) {
  rm::Ctx* ctx = txn.ctx();
  // Every eviction runs this; most groups have no claims, so look first.
  if (OpenedKey(ctx, g.Key("towners"), rm::kRead).type() != rm::kKeyHash) return;
  TaskKeys k(g);
  // A task key of the wrong type would make the requeue stop half-way (the
  // claim dropped, the task never queued again): leave the claims as they are.
  if (!CheckTaskTypes(ctx, g, k).ok()) return;
  Reply all(rm::Call(ctx, "HGETALL", "c", k.owners.c_str()));
  std::vector<std::string> ids;
  for (size_t i = 0; all.type() == rm::kReplyArray && i + 1 < all.length(); i += 2)
    if (Reply::Text(all.at(i + 1)) == vip) ids.emplace_back(Reply::Text(all.at(i)));
  for (const auto& id : ids) Requeue(txn, g, k, id, now, "offline");
}

namespace {

constexpr ArgRow kTaskArgs[] = {
    {"channel", rm::kArgKey},
    {"subcommand", rm::kArgString},
    {"arg", rm::kArgString, rm::kArgOptional | rm::kArgMultiple}};

constexpr CommandRow kCommands[] = {
    {"suma_ci_task", CmdTask, "write deny-oom", -3, kWritesGroup,
     "The group's at-least-once task queue: PUSH json, CLAIM vip [lease_ms], ACK id [vip] "
     "[IFEPOCH e], EXTEND id vip [lease_ms], PENDING [count], CLAIMED, STATS.",
     "O(log N) per task moved", kTaskArgs},
    {"suma_ci_task_info", CmdTaskInfo, "readonly", -3, kReadsGroup,
     "The task queue's reads (PENDING [count], CLAIMED, STATS); replicas serve it.",
     "O(count)", kTaskArgs},
};

}  // namespace

std::span<const CommandRow> TasksCommands() { return kCommands; }

}  // namespace suma::mod
