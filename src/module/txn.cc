#include "module/txn.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/errors.h"
#include "core/numbers.h"
#include "core/series.h"

namespace suma::mod {
namespace {

// A score as ZADD takes it: integers (every heartbeat) by to_chars, the
// rest exactly.
struct ScoreText {
  explicit ScoreText(double score) {
    if (score == std::numeric_limits<double>::infinity()) {
      std::strcpy(buf, "+inf");
    } else if (score == -std::numeric_limits<double>::infinity()) {
      std::strcpy(buf, "-inf");
    } else if (int64_t n = 0; ScoreIsInt(score, &n)) {
      *std::to_chars(buf, buf + sizeof(buf) - 1, n).ptr = '\0';
    } else {
      std::snprintf(buf, sizeof buf, "%.17g", score);
    }
  }
  const char* c_str() const { return buf; }
  char buf[40];
};

// The text of a Call reply that failed: its error, or why there was none.
std::string WhyFailed(const Reply& r) {
  if (r.get()) return std::string(r.str());
  if (errno == EPERM) return "the key's slot is not served by this node";
  return std::string("no reply (") + std::strerror(errno) + ")";
}

double ParseDouble(std::string_view text) {
  std::string t(text);
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  return end && *end == '\0' ? v : 0;
}

bool IdTooSmall(const Reply& r) {
  return r.is_error() && r.str().find("equal or smaller") != std::string_view::npos;
}

// The last id a stream ever generated (XINFO STREAM last-generated-id), which
// stays above its entries after an XDEL; 0 when unknown.
int64_t LastGeneratedSeq(rm::Ctx* ctx, const std::string& key) {
  Reply info(Call(ctx, false, "XINFO", {"STREAM", key}));
  for (size_t i = 0; info.type() == rm::kReplyArray && i + 1 < info.length(); i += 2) {
    if (Reply::Text(info.at(i)) != "last-generated-id") continue;
    std::string_view id = Reply::Text(info.at(i + 1));
    auto v = ParseInt("id", id.substr(0, id.find('-')), 0, INT64_MAX);
    return v.ok() ? *v : 0;
  }
  return 0;
}

std::optional<int64_t> ReadSeq(rm::Ctx* ctx, const std::string& meta) {
  Reply r(Call(ctx, false, "HGET", {meta, kMetaSeq}));
  if (r.type() != rm::kReplyString) return std::nullopt;
  auto v = ParseInt("seq", r.str(), 0, INT64_MAX);
  if (!v.ok()) return std::nullopt;  // garbage written by hand: the counter is lost
  return *v;
}

}  // namespace

Txn::Txn(rm::Ctx* ctx) : ctx_(ctx) {}

Txn::~Txn() {
  if (!finished_) Rollback();
  ReleaseUndo();
}

bool Txn::Injected(std::string_view command, std::string_view key) {
  long long& n = rt().fail_nth_write;
  if (n <= 0 || --n > 0) return false;
  Fail(command, key, "injected failure (sumavlib.debug-fail-nth-write)");
  return true;
}

void Txn::Fail(std::string_view command, std::string_view key, std::string_view why) {
  if (failure_.ok()) failure_ = err::InternalWrite(command, key, why);
}

void Txn::Record(Undo::Kind kind, rm::Str* key, rm::Str* item, bool has_prev, double prev_score,
                 std::string prev) {
  rm::RetainString(nullptr, key);
  if (item) rm::RetainString(nullptr, item);
  Undo* u = nullptr;
  if (inline_used_ < kInlineUndo) {
    u = &inline_undo_[inline_used_++];
  } else {
    undo_.emplace_back();
    u = &undo_.back();
  }
  u->kind = kind;
  u->key = key;
  u->item = item;
  u->has_prev = has_prev;
  u->prev_score = prev_score;
  u->prev = std::move(prev);
  u->ttl_ms = 0;
}

void Txn::Record(Undo::Kind kind, std::string_view key, std::string_view item, bool has_prev,
                 double prev_score, std::string prev) {
  rm::Str* k = rm::CreateString(nullptr, key.data(), key.size());
  rm::Str* i = item.empty() ? nullptr : rm::CreateString(nullptr, item.data(), item.size());
  Record(kind, k, i, has_prev, prev_score, std::move(prev));
  rm::FreeString(nullptr, k);
  if (i) rm::FreeString(nullptr, i);
}

template <typename F>
void Txn::ForEachUndoReversed(F&& f) {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) f(*it);
  for (size_t i = inline_used_; i-- > 0;) f(inline_undo_[i]);
}

void Txn::ReleaseUndo() {
  ForEachUndoReversed([](Undo& u) {
    rm::FreeString(nullptr, u.key);
    if (u.item) rm::FreeString(nullptr, u.item);
    u.key = u.item = nullptr;
  });
  inline_used_ = 0;
  undo_.clear();
}

void Txn::ZAdd(const OpenedKey& key, rm::Str* member, double score, std::optional<double> prev) {
  if (!ok() || Injected("ZADD", Arg(key.name()))) return;
  if (rm::ZsetAdd(key.get(), score, member, nullptr) != rm::kOk)
    return Fail("ZADD", Arg(key.name()), "the key is not a sorted set");
  ScoreText text(score);
  rm::Replicate(ctx_, "ZADD", "scs", key.name(), text.c_str(), member);
  Record(Undo::kZScore, key.name(), member, prev.has_value(), prev.value_or(0), {});
}

void Txn::ZRem(const OpenedKey& key, rm::Str* member, double prev) {
  if (!ok() || Injected("ZREM", Arg(key.name()))) return;
  int deleted = 0;
  if (rm::ZsetRem(key.get(), member, &deleted) != rm::kOk)
    return Fail("ZREM", Arg(key.name()), "the key is not a sorted set");
  if (!deleted) return;
  rm::Replicate(ctx_, "ZREM", "ss", key.name(), member);
  Record(Undo::kZScore, key.name(), member, true, prev, {});
}

void Txn::HSet(const OpenedKey& key, std::string_view field, rm::Str* value,
               std::optional<std::string_view> prev) {
  rm::Str* f = rm::CreateString(ctx_, field.data(), field.size());
  HSet(key, f, value, prev);
  rm::FreeString(ctx_, f);
}

void Txn::HSet(const OpenedKey& key, rm::Str* field, rm::Str* value,
               std::optional<std::string_view> prev) {
  if (!ok() || Injected("HSET", Arg(key.name()))) return;
  int r = rm::HashSet(key.get(), rm::kHashNone, field, value, nullptr);
  if (r == 0 && rm::KeyType(key.get()) != rm::kKeyHash)
    return Fail("HSET", Arg(key.name()), "the key is not a hash");
  rm::Replicate(ctx_, "HSET", "sss", key.name(), field, value);
  Record(Undo::kHashField, key.name(), field, prev.has_value(), 0,
         prev ? std::string(*prev) : std::string());
}

void Txn::HDel(const OpenedKey& key, rm::Str* field, std::string_view prev) {
  if (!ok() || Injected("HDEL", Arg(key.name()))) return;
  if (rm::HashSet(key.get(), rm::kHashNone, field, rm::HashDelete(), nullptr) == 0) return;
  rm::Replicate(ctx_, "HDEL", "ss", key.name(), field);
  Record(Undo::kHashField, key.name(), field, true, 0, std::string(prev));
}

void Txn::CallHSet(const std::string& key, std::string_view field, std::string_view value) {
  if (!ok() || Injected("HSET", key)) return;
  Reply before(Call(ctx_, false, "HGET", {key, field}));
  bool had = before.type() == rm::kReplyString;
  Reply r(Call(ctx_, true, "HSET", {key, field, value}));
  if (r.is_error()) return Fail("HSET", key, WhyFailed(r));
  Record(Undo::kHashField, key, field, had, 0, had ? std::string(before.str()) : std::string());
}

void Txn::CallHDel(const std::string& key, std::string_view field) {
  if (!ok() || Injected("HDEL", key)) return;
  Reply before(Call(ctx_, false, "HGET", {key, field}));
  if (before.type() != rm::kReplyString) return;
  Reply r(Call(ctx_, true, "HDEL", {key, field}));
  if (r.is_error()) return Fail("HDEL", key, WhyFailed(r));
  Record(Undo::kHashField, key, field, true, 0, std::string(before.str()));
}

void Txn::CallZAdd(const std::string& key, std::string_view member, int64_t score) {
  if (!ok() || Injected("ZADD", key)) return;
  Reply before(Call(ctx_, false, "ZSCORE", {key, member}));
  bool had = before.type() == rm::kReplyString;
  auto prev = ParseDouble(before.str());
  Num n(score);
  Reply r(Call(ctx_, true, "ZADD", {key, n.c_str(), member}));
  if (r.is_error()) return Fail("ZADD", key, WhyFailed(r));
  Record(Undo::kZScore, key, member, had, prev, {});
}

void Txn::CallZRem(const std::string& key, std::string_view member) {
  if (!ok() || Injected("ZREM", key)) return;
  Reply before(Call(ctx_, false, "ZSCORE", {key, member}));
  if (before.type() != rm::kReplyString) return;
  double prev = ParseDouble(before.str());
  Reply r(Call(ctx_, true, "ZREM", {key, member}));
  if (r.is_error()) return Fail("ZREM", key, WhyFailed(r));
  Record(Undo::kZScore, key, member, true, prev, {});
}

void Txn::CallDel(const std::string& key) {
  if (!ok() || Injected("DEL", key)) return;
  Reply dump(Call(ctx_, false, "DUMP", {key}));
  if (dump.type() != rm::kReplyString) return;  // absent: nothing to delete
  Reply ttl(Call(ctx_, false, "PTTL", {key}));
  Reply r(Call(ctx_, true, "DEL", {key}));
  if (r.is_error()) return Fail("DEL", key, WhyFailed(r));
  Record(Undo::kKeyDump, key, {}, true, 0, std::string(dump.str()));
  Undo& u = undo_.empty() ? inline_undo_[inline_used_ - 1] : undo_.back();
  u.ttl_ms = ttl.type() == rm::kReplyInteger && ttl.integer() > 0 ? ttl.integer() : 0;
}

void Txn::XAdd(const std::string& key, int64_t id, std::initializer_list<std::string_view> fields,
               int64_t maxlen) {
  if (!ok() || Injected("XADD", key)) return;
  bool existed = OpenedKey(ctx_, key, rm::kRead).type() == rm::kKeyStream;
  std::string sid = std::to_string(id) + "-0";
  std::vector<std::string_view> args{key, sid};
  args.insert(args.end(), fields.begin(), fields.end());
  Reply r(Call(ctx_, true, "XADD", args));
  if (r.is_error()) return Fail("XADD", key, WhyFailed(r));
  if (existed)
    Record(Undo::kStreamEntry, key, sid, true, 0, {});
  else
    Record(Undo::kKeyDump, key, {}, false, 0, {});  // undo: the stream did not exist
  trims_.emplace_back(key, maxlen);
}

void Txn::Emit(const Group& g, EventBuilder event) {
  if (ok()) events_.push_back({g, std::move(event)});
}

// Undoes in reverse order. Each undo is replicated as itself. An undo that
// fails is logged: nothing more can be done, and the command still fails.
void Txn::Rollback() {
  ForEachUndoReversed([this](const Undo& u) {
    std::string_view key = Arg(u.key), item = u.item ? Arg(u.item) : std::string_view();
    Reply r(nullptr);
    switch (u.kind) {
      case Undo::kZScore:
        r = u.has_prev ? Call(ctx_, true, "ZADD", {key, ScoreText(u.prev_score).c_str(), item})
                       : Call(ctx_, true, "ZREM", {key, item});
        break;
      case Undo::kHashField:
        r = u.has_prev ? Call(ctx_, true, "HSET", {key, item, u.prev})
                       : Call(ctx_, true, "HDEL", {key, item});
        break;
      case Undo::kStreamEntry: {
        r = Call(ctx_, true, "XDEL", {key, item});
        // XDEL leaves the stream's last id at the undone entry; set it back
        // so the next event continues the seq series without a gap.
        auto n = ParseInt("id", item.substr(0, item.find('-')), 2, INT64_MAX);
        if (!r.is_error() && n.ok()) {
          std::string back = std::to_string(*n - 1) + "-0";
          r = Call(ctx_, true, "XSETID", {key, back});
        }
        break;
      }
      case Undo::kKeyDump:
        r = u.has_prev ? Call(ctx_, true, "RESTORE",
                              {key, Num(u.ttl_ms).c_str(), u.prev, "REPLACE"})
                       : Call(ctx_, true, "DEL", {key});
        break;
    }
    if (r.is_error())
      rm::Log(ctx_, "warning", "sumavlib: could not undo a write to %.*s: %s",
              static_cast<int>(key.size()), key.data(), WhyFailed(r).c_str());
  });
  ReleaseUndo();
  events_.clear();
  trims_.clear();
}

// Gives each queued event its seq and appends it to its group's log. The
// events of one group in one Txn get consecutive seqs.
Status Txn::WriteEvents() {
  int64_t now = NowMs();
  for (size_t i = 0; i < events_.size() && ok();) {
    const Group& g = events_[i].group;
    std::string meta = g.Key("meta"), log = g.Key("events");
    auto first = NextSeq(ReadSeq(ctx_, meta), now, rt().restart_floor, rt().seq_high);
    if (!first.ok()) {
      failure_ = first.status();
      break;
    }
    int64_t seq = *first;
    size_t j = i;
    for (; j < events_.size() && events_[j].group.name == g.name && ok(); ++j, ++seq) {
      events_[j].event.set_seq(seq);
      std::string json = events_[j].event.Build();
      if (Injected("XADD", log)) break;
      bool existed = OpenedKey(ctx_, log, rm::kRead).type() == rm::kKeyStream;
      std::string sid = std::to_string(seq) + "-0";
      Reply r(Call(ctx_, true, "XADD", {log, sid, "e", json}));
      // The counter may lag the log (G:meta deleted, rewritten or restored, or
      // an undone event): continue above the log's last id instead.
      if (IdTooSmall(r) && j == i) {
        auto above = NextSeq(LastGeneratedSeq(ctx_, log), now, rt().restart_floor, rt().seq_high);
        if (!above.ok()) {  // the log's last id was written by hand at or above 2^53
          failure_ = above.status();
          break;
        }
        seq = std::max(seq, *above);
        events_[j].event.set_seq(seq);
        json = events_[j].event.Build();
        sid = std::to_string(seq) + "-0";
        r = Call(ctx_, true, "XADD", {log, sid, "e", json});
      }
      if (r.is_error()) {
        Fail("XADD", log, WhyFailed(r));
        break;
      }
      rt().seq_high = std::max(rt().seq_high, seq);
      if (existed)
        Record(Undo::kStreamEntry, log, sid, true, 0, {});
      else
        Record(Undo::kKeyDump, log, {}, false, 0, {});
    }
    if (!ok()) break;
    CallHSet(meta, kMetaSeq, Num(seq - 1).c_str());
    trims_.emplace_back(log, rt().cfg.event_log_len);
    i = j;
  }
  return failure_;
}

void Txn::AfterCommit() {
  for (const auto& [key, maxlen] : trims_) {
    OpenedKey k(ctx_, key, rm::kRead);
    if (k.type() != rm::kKeyStream || static_cast<int64_t>(rm::ValueLength(k.get())) <= maxlen)
      continue;
    Num n(maxlen);
    Reply r(Call(ctx_, true, "XTRIM", {key, "MAXLEN", n.c_str()}));
  }
  for (const Pending& p : events_) {
    std::string json = p.event.Build();
    // PUBLISH through Call with "!" reaches subscribers on replicas too
    // (Redis propagates PUBLISH to replicas, not to the AOF).
    Reply pub(Call(ctx_, true, "PUBLISH", {p.group.Channel(), json}));
    ++rt().events;
  }
}

Status Txn::Finish() {
  if (finished_) return failure_;
  if (ok() && !events_.empty()) (void)WriteEvents();
  finished_ = true;
  if (!ok()) {
    Rollback();
    return failure_;
  }
  AfterCommit();
  ReleaseUndo();
  events_.clear();
  trims_.clear();
  return Status::Ok();
}

}  // namespace suma::mod
