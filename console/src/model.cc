#include "model.h"

#include <algorithm>
#include <set>

#include "core/group_name.h"
#include "core/json_text.h"

namespace console {
namespace {

std::string Cmd(const char* name) { return std::string(kCmdPrefix) + name; }

constexpr long long kDefaultHostTtlMs = 10000;
constexpr size_t kSnapshotValueMax = 4096;

// Server clock (ms) and host-ttl-ms, so host states are judged the way the
// module judges them even if the console's clock differs from the primary's.
struct Clock {
  long long now_ms = 0;
  long long ttl_ms = kDefaultHostTtlMs;
};

Clock ParseClock(const Reply& time, const Reply& ttl) {
  Clock c;
  c.now_ms = time.at(0).AsInt() * 1000 + time.at(1).AsInt() / 1000;
  // CONFIG may be refused to a restricted ACL user: fall back to the default.
  long long t = ttl.at(1).AsInt(-1);
  if (t > 0) c.ttl_ms = t;
  return c;
}

const std::vector<std::string> kClockArgv[] = {{"TIME"}, {"CONFIG", "GET", "sumavlib.host-ttl-ms"}};

ActionResult Error(int status, const std::string& msg) {
  suma::JsonWriter j;
  j.BeginObject().Key("ok").Bool(false).Key("error").Str(msg).EndObject();
  return {status, j.str()};
}

ActionResult FromReply(const Reply& r, const char* field) {
  if (r.error()) return Error(400, r.str);
  suma::JsonWriter j;
  j.BeginObject().Key("ok").Bool(true).Key(field).Int(r.AsInt()).EndObject();
  return {200, j.str()};
}

// All config keys of the group, via the module's paged listing.
std::vector<std::string> ConfigKeys(RedisConn& c, const std::string& group) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  // Bounded: each call examines a slice of the keyspace; stop after a generous
  // number of pages so one huge keyspace cannot hold a request forever.
  for (int page = 0; page < 10000; ++page) {
    Reply r = c.Command({Cmd("suma_diamond_list"), "*", "GROUP", group, "CURSOR", cursor,
                         "COUNT", "1000"});
    if (r.error() || r.kind != Reply::kArray) break;
    for (const Reply& k : r.at(1).elems) keys.push_back(k.str);
    cursor = r.at(0).str;
    if (cursor == "0" || cursor.empty()) break;
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace

std::vector<std::string> DiscoverGroups(RedisConn& c) {
  std::set<std::string> groups;
  const std::pair<const char*, const char*> kinds[] = {{"*:meta", "hash"}, {"*:hosts", "zset"}};
  for (const auto& [pattern, type] : kinds) {
    std::string cursor = "0";
    do {
      Reply r = c.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", type});
      if (r.error() || r.kind != Reply::kArray) break;
      cursor = r.at(0).str;
      for (const Reply& k : r.at(1).elems) {
        std::string g = k.str.substr(0, k.str.rfind(':'));
        if (suma::IsGroupName(g)) groups.insert(g);
      }
    } while (cursor != "0" && !cursor.empty());
  }
  // SCAN shows every key name, whatever the ACL user may read: keep the groups
  // whose keys this user can read (NOPERM otherwise), so a console running as
  // one tenant's user does not list other tenants' groups.
  std::vector<std::string> all(groups.begin(), groups.end()), out;
  std::vector<Argv> probes;
  for (const std::string& g : all) probes.push_back({"EXISTS", g + ":meta"});
  std::vector<Reply> r = probes.empty() ? std::vector<Reply>{} : c.Pipeline(probes);
  for (size_t i = 0; i < all.size(); ++i)
    if (!r[i].error()) out.push_back(all[i]);
  return out;
}

long long LastSeq(RedisConn& c, const std::string& group) {
  return c.Command({"HGET", group + ":meta", "seq"}).AsInt(0);
}

std::vector<std::string> EventsAfter(RedisConn& c, const std::string& group, long long after,
                                     int count) {
  Reply r = c.Command({Cmd("suma_events"), group, std::to_string(std::max(0LL, after)), "COUNT",
                       std::to_string(count)});
  std::vector<std::string> out;
  for (const Reply& e : r.elems) out.push_back(e.str);
  return out;
}

std::string GroupSnapshotJson(RedisConn& c, const std::string& group) {
  std::vector<Argv> cmds = {kClockArgv[0],
                            kClockArgv[1],
                            {"ZREVRANGE", group + ":hosts", "0", "999", "WITHSCORES"},
                            {Cmd("suma_leader_info"), group},
                            {Cmd("suma_vip_drained"), group},
                            {Cmd("suma_ci_task_info"), group, "STATS"},
                            {Cmd("suma_ci_task_info"), group, "PENDING", "50"},
                            {Cmd("suma_ci_task_info"), group, "CLAIMED"},
                            {"HGET", group + ":meta", "seq"}};
  std::vector<Reply> r = c.Pipeline(cmds);
  // suma_ci_task_info is read-only, so replicas and a server under OOM serve
  // it; an ACL user without it still gets the rest of the page.
  for (size_t i = 3; i < r.size(); ++i)
    if (r[i].error() && (i < 5 || i > 7)) throw RedisError(cmds[i][0] + ": " + r[i].str);
  Clock clk = ParseClock(r[0], r[1]);
  const Reply& hosts = r[2];
  const Reply& leader = r[3];
  const Reply& drained = r[4];
  std::string leader_vip = leader.at(1).nil() ? "" : leader.at(1).str;
  std::set<std::string> drained_set;
  for (size_t i = 0; i + 1 < drained.elems.size(); i += 2) drained_set.insert(drained.elems[i].str);

  suma::JsonWriter j;
  j.BeginObject().Key("group").Str(group).Key("now_ms").Int(clk.now_ms);
  j.Key("host_ttl_ms").Int(clk.ttl_ms);
  j.Key("leader").BeginObject().Key("vip");
  if (leader_vip.empty()) j.Null(); else j.Str(leader_vip);
  j.Key("epoch").Int(leader.at(3).AsInt()).Key("lease_left_ms").Int(leader.at(5).AsInt());
  j.EndObject();

  // State as suma_vip_info defines it: drained wins, then live/offline by age.
  std::set<std::string> seen;
  j.Key("hosts").BeginArray();
  for (size_t i = 0; i + 1 < hosts.elems.size(); i += 2) {
    const std::string& vip = hosts.elems[i].str;
    // Newer modules keep a marker member (score -inf, text with spaces) in the
    // zset; a vip never contains a space.
    if (vip.find(' ') != std::string::npos || hosts.elems[i + 1].str == "-inf") continue;
    long long last = static_cast<long long>(std::atof(hosts.elems[i + 1].str.c_str()));
    bool live = last >= clk.now_ms - clk.ttl_ms;
    bool is_drained = drained_set.count(vip) > 0;
    seen.insert(vip);
    j.BeginObject().Key("vip").Str(vip).Key("last_seen_ms").Int(last);
    j.Key("state").Str(is_drained ? "drained" : live ? "live" : "offline");
    j.Key("live").Bool(live).Key("drained").Bool(is_drained);
    j.Key("leader").Bool(vip == leader_vip).EndObject();
  }
  // Drained before ever being seen: still a row, so it can be restored.
  for (const std::string& vip : drained_set) {
    if (seen.count(vip)) continue;
    j.BeginObject().Key("vip").Str(vip).Key("last_seen_ms").Null().Key("state").Str("drained");
    j.Key("live").Bool(false).Key("drained").Bool(true).Key("leader").Bool(false).EndObject();
  }
  j.EndArray();

  j.Key("drained").BeginArray();
  for (size_t i = 0; i + 1 < drained.elems.size(); i += 2)
    j.BeginObject().Key("vip").Str(drained.elems[i].str).Key("at_ms").Int(drained.elems[i + 1].AsInt()).EndObject();
  j.EndArray();

  const Reply& stats = r[5];
  if (stats.error()) {
    j.Key("tasks").BeginObject().Key("error").Str(stats.str).EndObject();
  } else {
    j.Key("tasks").BeginObject().Key("queued").Int(stats.at(1).AsInt());
    j.Key("claimed").Int(stats.at(3).AsInt()).Key("pending").BeginArray();
    for (const Reply& t : r[6].elems)
      j.BeginObject().Key("id").Int(t.at(0).AsInt()).Key("payload").Str(t.at(1).str).EndObject();
    j.EndArray().Key("claims").BeginArray();
    for (const Reply& t : r[7].elems) {
      j.BeginObject().Key("id").Int(t.at(0).AsInt()).Key("vip").Str(t.at(1).str);
      j.Key("deadline_ms").Int(t.at(2).AsInt()).EndObject();
    }
    j.EndArray().EndObject();
  }

  std::vector<std::string> keys = ConfigKeys(c, group);
  std::vector<Argv> gets;
  for (const std::string& k : keys) gets.push_back({Cmd("suma_diamond_get"), group, k});
  std::vector<Reply> vals = gets.empty() ? std::vector<Reply>{} : c.Pipeline(gets);
  j.Key("configs").BeginArray();
  for (size_t i = 0; i < keys.size(); ++i) {
    const Reply& v = vals[i];
    if (v.nil() || v.error()) continue;  // deleted since listed
    const std::string& value = v.at(0).str;
    j.BeginObject().Key("key").Str(keys[i]).Key("version").Int(v.at(1).AsInt());
    j.Key("ts_ms").Int(v.at(2).AsInt()).Key("value").Str(value.substr(0, kSnapshotValueMax));
    j.Key("truncated").Bool(value.size() > kSnapshotValueMax).EndObject();
  }
  j.EndArray();

  long long seq = r[8].AsInt(0);
  j.Key("last_seq").Int(seq).Key("events").BeginArray();
  for (const std::string& e : EventsAfter(c, group, seq - 30, 30)) j.Raw(e);
  j.EndArray().EndObject();
  return j.str();
}

std::string ConfigHistoryJson(RedisConn& c, const std::string& group, const std::string& key) {
  Reply r = c.Command({Cmd("suma_diamond_history"), group, key, "1000"});
  if (r.error()) throw RedisError(r.str);
  suma::JsonWriter j;
  j.BeginArray();
  for (const Reply& e : r.elems) {
    j.BeginObject().Key("version").Int(e.at(0).AsInt()).Key("ts_ms").Int(e.at(1).AsInt()).Key("value");
    if (e.at(2).nil()) j.Null(); else j.Str(e.at(2).str);
    j.EndObject();
  }
  j.EndArray();
  return j.str();
}

ActionResult Drain(RedisConn& c, const std::string& group, const std::string& vip) {
  return FromReply(c.Command({Cmd("suma_vip_kill"), group, vip}), "changed");
}

ActionResult Restore(RedisConn& c, const std::string& group, const std::string& vip) {
  return FromReply(c.Command({Cmd("suma_vip_reset"), group, vip}), "changed");
}

ActionResult Publish(RedisConn& c, const std::string& group, const std::string& key,
                     const std::string& value, long long expected_version) {
  Reply r = expected_version < 0
                ? c.Command({Cmd("suma_diamond_publish"), group, key, value})
                : c.Command({Cmd("suma_diamond_cas"), group, key, std::to_string(expected_version), value});
  if (r.error()) return Error(400, r.str);
  if (r.AsInt() == 0)
    return Error(409, "config '" + key + "' changed since version " +
                          std::to_string(expected_version) + " was read; reload and try again");
  Reply now = c.Command({Cmd("suma_diamond_get"), group, key});
  suma::JsonWriter j;
  j.BeginObject().Key("ok").Bool(true).Key("version").Int(now.at(1).AsInt()).EndObject();
  return {200, j.str()};
}

ActionResult Rollback(RedisConn& c, const std::string& group, const std::string& key,
                      long long version) {
  Reply h = c.Command({Cmd("suma_diamond_history"), group, key, "1000"});
  if (h.error()) return Error(400, h.str);
  if (h.elems.empty()) return Error(404, "config '" + key + "' has no history");
  long long current = h.elems.front().at(0).AsInt();
  // The newest entry may be a delete: then the key "does not exist" for CAS.
  bool current_deleted = h.elems.front().at(2).nil();
  for (const Reply& e : h.elems) {
    if (e.at(0).AsInt() != version) continue;
    if (e.at(2).nil()) return Error(400, "version " + std::to_string(version) + " is a delete");
    return Publish(c, group, key, e.at(2).str, current_deleted ? 0 : current);
  }
  return Error(404, "version " + std::to_string(version) + " of '" + key + "' is not in the history");
}

}  // namespace console
