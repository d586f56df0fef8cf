#include "module/listing.h"

#include <string>
#include <vector>

#include "core/errors.h"
#include "core/glob.h"
#include "core/names.h"
#include "core/numbers.h"

namespace suma::mod {
namespace {

constexpr int64_t kDefaultCount = 100;
constexpr int64_t kMaxCount = 1000;
constexpr int kScanBudget = 20000;  // keys examined per call
constexpr int64_t kUnpagedStep = 1000;

struct ListArgs {
  std::string_view pattern;
  std::string group;  // empty: every group
  std::string cursor = "0";
  bool paged = false;
  int64_t count = kDefaultCount;
};

Result<ListArgs> ParseListArgs(rm::Ctx* ctx, rm::Str** argv, int argc) {
  ListArgs a;
  a.pattern = Arg(argv[1]);
  Status s = CheckDb(ctx);
  if (s.ok()) s = ValidatePattern(a.pattern);
  if (!s.ok()) return s;
  for (int i = 2; i < argc; i += 2) {
    std::string_view opt = Arg(argv[i]);
    if (i + 1 >= argc) return err::Syntax(std::string(opt) + " needs a value");
    if (EqualsIgnoreCase(opt, "GROUP")) {
      auto g = ResolveGroup(ctx, argv[i + 1]);
      if (!g.ok()) return g.status();
      a.group = g->name;
    } else if (EqualsIgnoreCase(opt, "CURSOR")) {
      auto c = ParseInt("cursor", Arg(argv[i + 1]), 0, INT64_MAX);
      if (!c.ok()) return c.status();
      a.cursor = std::string(Arg(argv[i + 1]));
      a.paged = true;
    } else if (EqualsIgnoreCase(opt, "COUNT")) {
      auto c = ParseInt("count", Arg(argv[i + 1]), 1, kMaxCount);
      if (!c.ok()) return c.status();
      a.count = *c;
    } else {
      return err::UnknownOption(opt);
    }
  }
  return a;
}

// Splits "<group>:<kind>:<item>" and returns item when kind matches.
bool ItemOf(std::string_view key, std::string_view kind, std::string_view* item) {
  size_t c1 = key.find(':');
  if (c1 == std::string_view::npos) return false;
  std::string_view rest = key.substr(c1 + 1);
  if (rest.size() <= kind.size() + 1 || rest.substr(0, kind.size()) != kind ||
      rest[kind.size()] != ':')
    return false;
  *item = rest.substr(kind.size() + 1);
  auto g = ParseGroup(key.substr(0, c1), false);
  // On a server locked to one tenant, other groups' items are never listed
  // (written before the lock was set, or by hand).
  return g.ok() && rt().cfg.CheckTenant(*g).ok();
}

class AclFilter {
 public:
  explicit AclFilter(rm::Ctx* ctx) {
    rm::Str* name = rm::GetCurrentUserName(ctx);
    if (name) {
      user_ = rm::GetModuleUserFromUserName(name);
      rm::FreeString(ctx, name);
    }
  }
  ~AclFilter() {
    if (user_) rm::FreeModuleUser(user_);
  }
  bool Allows(rm::Str* key) const {
    return !user_ || rm::ACLCheckKeyPermissions(user_, key, rm::kKeyPermAccess) == rm::kOk;
  }

 private:
  rm::User* user_ = nullptr;
};

}  // namespace

int ReplyListing(rm::Ctx* ctx, rm::Str** argv, int argc, std::string_view kind,
                 const ItemFilter& keep) {
  if (argc < 2 || argc % 2 != 0) return rm::WrongArity(ctx);
  auto a = ParseListArgs(ctx, argv, argc);
  if (!a.ok()) return ReplyStatus(ctx, a.status());
  std::string match = (a->group.empty() ? std::string("*") : a->group) + ":" + std::string(kind) +
                      ":" + std::string(a->pattern);
  AclFilter acl(ctx);
  std::vector<std::string> items;
  std::string cursor = a->cursor;
  // A paged caller must not lose items past COUNT, so it scans in steps of
  // COUNT (SCAN's COUNT is a hint: a step may return a few more).
  int64_t step = a->paged ? a->count : kUnpagedStep;
  Num step_str(step);
  int64_t examined = 0;
  do {
    Reply r(rm::Call(ctx, "SCAN", "ccccc", cursor.c_str(), "MATCH", match.c_str(), "COUNT",
                     step_str.c_str()));
    if (r.type() != rm::kReplyArray || r.length() != 2) break;
    cursor = std::string(Reply::Text(r.at(0)));
    rm::CallReply* keys = r.at(1);
    for (size_t i = 0, n = rm::CallReplyLength(keys); i < n; ++i) {
      std::string key(Reply::Text(rm::CallReplyArrayElement(keys, i)));
      std::string_view item;
      if (!ItemOf(key, kind, &item) || !GlobMatch(a->pattern, item)) continue;
      rm::Str* k = rm::CreateString(ctx, key.data(), key.size());
      bool allowed = acl.Allows(k);
      rm::FreeString(ctx, k);
      if (allowed && keep(ctx, key)) items.emplace_back(item);
    }
    examined += step;
  } while (cursor != "0" && static_cast<int64_t>(items.size()) < a->count &&
           examined < kScanBudget);

  if (!a->paged && static_cast<int64_t>(items.size()) > a->count) items.resize(a->count);
  if (a->paged) {
    rm::ReplyWithArray(ctx, 2);
    ReplyBuf(ctx, cursor);
  }
  rm::ReplyWithArray(ctx, static_cast<long>(items.size()));
  for (const auto& it : items) ReplyBuf(ctx, it);
  return rm::kOk;
}

}  // namespace suma::mod
