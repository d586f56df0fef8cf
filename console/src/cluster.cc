#include "cluster.h"

#include "suma/cluster.h"

namespace console {
namespace {

suma::Reply ToSuma(const Reply& r) {
  suma::Reply out;
  switch (r.kind) {
    case Reply::kInt: out.type = suma::Reply::Type::Integer; break;
    case Reply::kStr: out.type = suma::Reply::Type::String; break;
    case Reply::kStatus: out.type = suma::Reply::Type::Status; break;
    case Reply::kError: out.type = suma::Reply::Type::Error; break;
    case Reply::kArray: out.type = suma::Reply::Type::Array; break;
    default: break;
  }
  out.integer = r.integer;
  out.str = r.str;
  for (const Reply& e : r.elems) out.elements.push_back(ToSuma(e));
  return out;
}

suma::SlotMap LoadMap(const Options& o) {
  std::string last = "no cluster seed given";
  for (const RedisTarget& seed : o.cluster) {
    try {
      RedisConn c = RedisConn::Connect(seed);
      Reply r = c.Command({"CLUSTER", "SLOTS"});
      suma::SlotMap m;
      if (m.Load(ToSuma(r), seed.host)) return m;
      last = seed.host + ":" + std::to_string(seed.port) + ": " +
             (r.error() ? r.str : "bad CLUSTER SLOTS reply");
    } catch (const RedisError& e) {
      last = e.what();
    }
  }
  throw RedisError("no cluster seed answered CLUSTER SLOTS (" + last + ")");
}

RedisTarget Like(const RedisTarget& seed, const std::string& host, int port) {
  RedisTarget t = seed;
  t.host = host;
  t.port = port;
  return t;
}

}  // namespace

std::vector<RedisTarget> Primaries(const Options& o) {
  if (o.cluster.empty()) return {o.redis};
  std::vector<RedisTarget> out;
  for (const auto& [host, port] : LoadMap(o).Primaries())
    out.push_back(Like(o.cluster.front(), host, port));
  return out;
}

RedisTarget ForGroup(const Options& o, const std::string& group) {
  if (o.cluster.empty()) return o.redis;
  auto owner = LoadMap(o).Owner(suma::KeySlot(group));
  if (!owner) throw RedisError("the slot of group " + group + " has no owner");
  return Like(o.cluster.front(), owner->first, owner->second);
}

std::string NodeName(const RedisTarget& t) { return t.host + ":" + std::to_string(t.port); }

}  // namespace console
