#include "module/common.h"

#include <cctype>
#include <charconv>
#include <cstring>

#include "core/errors.h"

namespace suma::mod {

Runtime& rt() {
  static Runtime r;
  return r;
}

std::string_view Arg(rm::Str* s) {
  size_t len = 0;
  const char* p = rm::StringPtrLen(s, &len);
  return {p, len};
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

int64_t NowMs() { return rm::Milliseconds(); }

bool IsCluster() { return rt().cluster; }

int ReplyStatus(rm::Ctx* ctx, const Status& s) { return rm::ReplyWithError(ctx, s.reply().c_str()); }

int ReplyBuf(rm::Ctx* ctx, std::string_view s) {
  return rm::ReplyWithStringBuffer(ctx, s.data(), s.size());
}

Status CheckDb(rm::Ctx* ctx) {
  int db = rm::GetSelectedDb(ctx);
  return db == 0 ? Status::Ok() : err::NotDbZero(db);
}

Result<Group> ResolveGroup(rm::Ctx* ctx, rm::Str* arg) {
  if (Status db = CheckDb(ctx); !db.ok()) return db;
  auto g = ParseGroup(Arg(arg), IsCluster());
  if (!g.ok()) return g;
  Status t = rt().cfg.CheckTenant(*g);
  if (!t.ok()) return t;
  return g;
}

std::string CallerIp(rm::Ctx* ctx) {
  rm::ClientInfoV1 ci{};
  ci.version = 1;
  if (rm::GetClientInfoById(&ci, rm::GetClientId(ctx)) != rm::kOk) return {};
  ci.addr[sizeof(ci.addr) - 1] = '\0';
  return ci.addr;
}

OpenedKey::OpenedKey(rm::Ctx* ctx, const std::string& name, int mode)
    : ctx_(ctx), name_(rm::CreateString(ctx, name.data(), name.size())), owns_name_(true) {
  key_ = rm::OpenKey(ctx, name_, mode);
}

OpenedKey::OpenedKey(rm::Ctx* ctx, rm::Str* name, int mode)
    : ctx_(ctx), name_(name), owns_name_(false), key_(rm::OpenKey(ctx, name, mode)) {}

OpenedKey::~OpenedKey() {
  if (key_) rm::CloseKey(key_);
  if (owns_name_) rm::FreeString(ctx_, name_);
}

Status OpenedKey::Expect(int want) const {
  int t = type();
  if (t == rm::kKeyEmpty || t == want) return Status::Ok();
  return err::WrongType(Arg(name_));
}

Status CheckTypes(rm::Ctx* ctx, std::initializer_list<std::pair<std::string, int>> keys) {
  for (const auto& [name, want] : keys) {
    OpenedKey k(ctx, name, rm::kRead);
    Status s = k.Expect(want);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::string_view Reply::Text(rm::CallReply* r) {
  if (!r) return {};
  size_t len = 0;
  const char* p = rm::CallReplyStringPtr(r, &len);
  return p ? std::string_view(p, len) : std::string_view();
}

Num::Num(long long v) { *std::to_chars(buf, buf + sizeof(buf) - 1, v).ptr = '\0'; }

int64_t NextSeq(rm::Ctx* ctx, const Group& g) {
  std::string meta = g.Key("meta");
  Reply r(rm::Call(ctx, "HINCRBY", "!ccc", meta.c_str(), kMetaSeq, "1"));
  return r.type() == rm::kReplyInteger ? r.integer() : 0;
}

void WriteEvent(rm::Ctx* ctx, const Group& g, int64_t seq, const std::string& json) {
  std::string log = g.Key("events");
  std::string id = std::to_string(seq) + "-0";
  Num len(rt().cfg.event_log_len);
  // Explicit ids make the log replicate as-is and let hosts resume after a seq.
  Reply add(rm::Call(ctx, "XADD", "!cccccb", log.c_str(), "MAXLEN", len.c_str(), id.c_str(), "e",
                     json.data(), json.size()));
  std::string channel = g.Channel();
  // PUBLISH through Call with "!" reaches subscribers on replicas too (Redis
  // propagates PUBLISH to replicas, not to the AOF).
  Reply pub(rm::Call(ctx, "PUBLISH", "!cb", channel.c_str(), json.data(), json.size()));
  ++rt().events;
}

bool Register(rm::Ctx* ctx, const char* name, rm::CmdFunc fn, const char* flags, int firstkey,
              int lastkey, int step) {
  std::string full = std::string("sumavlib.") + name;
  return rm::CreateCommand(ctx, full.c_str(), fn, flags, firstkey, lastkey, step) == rm::kOk;
}

}  // namespace suma::mod
