#include "module/common.h"

#include <cctype>
#include <charconv>
#include <cstring>

#include "core/errors.h"
#include "module/slots.h"

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
  if (t.ok()) t = CheckGroupServed(ctx, *g);
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

Reply Call(rm::Ctx* ctx, bool replicate, const char* cmd, const std::vector<std::string_view>& args) {
  std::vector<rm::Str*> argv;
  argv.reserve(args.size());
  for (std::string_view a : args) argv.push_back(rm::CreateString(ctx, a.data(), a.size()));
  Reply r(rm::Call(ctx, cmd, replicate ? "!v" : "v", argv.data(), argv.size()));
  for (rm::Str* a : argv) rm::FreeString(ctx, a);
  return r;
}

Reply Call(rm::Ctx* ctx, bool replicate, const char* cmd,
           std::initializer_list<std::string_view> args) {
  return Call(ctx, replicate, cmd, std::vector<std::string_view>(args));
}


}  // namespace suma::mod
