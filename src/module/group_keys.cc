#include "module/group_keys.h"

namespace suma::mod {
namespace {

GroupKeys Make(rm::Ctx* ctx, const std::string& name) {
  auto make = [&](std::string_view kind) {
    std::string k = name + ":" + std::string(kind);
    return rm::CreateString(ctx, k.data(), k.size());
  };
  return {make("hosts"), make("meta"), make("drained"), make("events")};
}

void Free(rm::Ctx* ctx, const GroupKeys& k) {
  for (rm::Str* s : {k.hosts, k.meta, k.drained, k.events})
    if (s) rm::FreeString(ctx, s);
}

GroupMap& Map() {
  static GroupMap m;
  return m;
}

}  // namespace

ScopedKeys::ScopedKeys(rm::Ctx* ctx, const Group& g) : ctx_(ctx), keys_(Make(ctx, g.name)) {}
ScopedKeys::~ScopedKeys() { Free(ctx_, keys_); }

const GroupKeys& TrackedKeys(const Group& g) {
  auto it = Map().find(g.name);
  if (it == Map().end()) it = Map().emplace(g.name, Make(nullptr, g.name)).first;
  return it->second;
}

GroupMap& TrackedGroups() { return Map(); }

GroupMap::iterator ForgetGroup(GroupMap::iterator it) {
  Free(nullptr, it->second);
  return Map().erase(it);
}

void ForgetAllGroups() {
  for (auto it = Map().begin(); it != Map().end();) it = ForgetGroup(it);
}

}  // namespace suma::mod
