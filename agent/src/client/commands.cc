// Typed wrappers over the sumavlib commands (docs/commands.md): each turns
// the reply shape documented there into a struct, or the reply into an error.
#include <cstdlib>

#include "suma/client.h"

namespace suma {
namespace {

const std::string kPrefix = "sumavlib.";

std::string Cmd(const char* name) { return kPrefix + name; }

std::string Unexpected(const Reply& r) {
  return r.is_error() ? r.str : "ERR unexpected reply shape";
}

bool ToInt(const Reply& r, int64_t* out) {
  if (r.is_int()) {
    *out = r.integer;
    return true;
  }
  if (!r.is_str() || r.str.empty()) return false;
  char* end = nullptr;
  *out = std::strtoll(r.str.c_str(), &end, 10);
  return *end == '\0';
}

// Looks `name` up in a flat [name, value, ...] reply.
const Reply* Field(const Reply& r, const std::string& name) {
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2)
    if (r.elements[i].str == name) return &r.elements[i + 1];
  return nullptr;
}

Outcome<bool> ToBool(const Reply& r) {
  if (!r.is_int()) return Outcome<bool>::Fail(Unexpected(r));
  return r.integer == 1;
}

Outcome<LeaderInfo> ParseLeaderInfo(const Reply& r) {
  const Reply* vip = Field(r, "vip");
  const Reply* epoch = Field(r, "epoch");
  const Reply* left = Field(r, "lease_left_ms");
  LeaderInfo info;
  if (!r.is_array() || !vip || !epoch || !left || !ToInt(*epoch, &info.epoch) ||
      !ToInt(*left, &info.lease_left_ms))
    return Outcome<LeaderInfo>::Fail(Unexpected(r));
  if (vip->is_str()) info.vip = vip->str;
  return info;
}

}  // namespace

void Client::KeepAlive(const std::string& group, const std::string& vip, Fn<KeepAliveReply> cb) {
  Command({Cmd("suma_keep_alive"), group, vip}, [cb](const Reply& r) {
    KeepAliveReply k;
    if (r.is_nil()) {
      k.role = KeepAliveReply::Role::NoLeader;
    } else if (r.is_str()) {
      k.role = KeepAliveReply::Role::Follower;
      k.leader = r.str;
    } else if (r.is_array()) {
      k.role = KeepAliveReply::Role::Leader;
      for (const Reply& e : r.elements) k.hosts.push_back(e.str);
    } else {
      return cb(Outcome<KeepAliveReply>::Fail(Unexpected(r)));
    }
    cb(k);
  });
}

void Client::TryLeader(const std::string& group, const std::string& vip, int64_t lease_ms,
                       Fn<LeaderClaim> cb) {
  // MULTI and the queued commands only answer +OK/+QUEUED; EXEC carries both.
  if (!ready()) return Defer([cb] { cb(Outcome<LeaderClaim>::Fail("ERR not connected")); });
  Send({"MULTI"}, [](const Reply&) {}, false, 0);
  Send({Cmd("suma_try_leader"), group, vip, std::to_string(lease_ms)}, [](const Reply&) {}, false, 0);
  Send({Cmd("suma_leader_info"), group}, [](const Reply&) {}, false, 0);
  Send({"EXEC"}, [this, cb, vip](const Reply& r) {
    // A queued command was redirected: the slot moved; find its owner.
    if (!opt_.cluster.empty() && r.is_error() && r.str.rfind("EXECABORT", 0) == 0) {
      rerouting_ = true;
      Fail("transaction redirected: " + r.str);
    }
    if (!r.is_array() || r.elements.size() != 2)
      return cb(Outcome<LeaderClaim>::Fail(Unexpected(r)));
    const Reply& took = r.elements[0];
    if (!took.is_int()) return cb(Outcome<LeaderClaim>::Fail(Unexpected(took)));
    auto info = ParseLeaderInfo(r.elements[1]);
    if (!info.ok()) return cb(Outcome<LeaderClaim>::Fail(info.error()));
    LeaderClaim c;
    c.leading = took.integer == 1 && info->vip == vip;
    c.epoch = info->epoch;
    c.lease_left_ms = info->lease_left_ms;
    cb(c);
  }, false, 0);
}

void Client::GetLeaderInfo(const std::string& group, Fn<LeaderInfo> cb) {
  Command({Cmd("suma_leader_info"), group}, [cb](const Reply& r) { cb(ParseLeaderInfo(r)); });
}

void Client::Resign(const std::string& group, const std::string& vip, Fn<bool> cb) {
  Command({Cmd("suma_leader_resign"), group, vip}, [cb](const Reply& r) { cb(ToBool(r)); });
}

void Client::GetVipInfo(const std::string& group, const std::string& vip, Fn<VipInfo> cb) {
  Command({Cmd("suma_vip_info"), group, vip}, [cb](const Reply& r) {
    const Reply* state = Field(r, "state");
    const Reply* leader = Field(r, "leader");
    const Reply* drained = Field(r, "drained");
    int64_t l = 0, d = 0;
    if (!r.is_array() || !state || !leader || !drained || !ToInt(*leader, &l) ||
        !ToInt(*drained, &d))
      return cb(Outcome<VipInfo>::Fail(Unexpected(r)));
    cb(VipInfo{state->str, l == 1, d == 1});
  });
}

void Client::Leave(const std::string& group, const std::string& vip, Fn<bool> cb) {
  Command({Cmd("suma_vip_leave"), group, vip}, [cb](const Reply& r) { cb(ToBool(r)); });
}

void Client::DiamondGet(const std::string& group, const std::string& key,
                        Fn<std::optional<DiamondValue>> cb) {
  using R = Outcome<std::optional<DiamondValue>>;
  Command({Cmd("suma_diamond_get"), group, key}, [cb](const Reply& r) {
    if (r.is_nil()) return cb(R(std::nullopt));
    DiamondValue v;
    if (!r.is_array() || r.elements.size() != 3 || !ToInt(r.elements[1], &v.version) ||
        !ToInt(r.elements[2], &v.ts_ms))
      return cb(R::Fail(Unexpected(r)));
    v.value = r.elements[0].str;
    cb(R(v));
  });
}

void Client::DiamondListAll(const std::string& group, Fn<std::vector<std::string>> cb) {
  ListPage(group, "0", std::make_shared<std::vector<std::string>>(), std::move(cb));
}

void Client::ListPage(const std::string& group, std::string cursor,
                      std::shared_ptr<std::vector<std::string>> acc,
                      Fn<std::vector<std::string>> cb) {
  using R = Outcome<std::vector<std::string>>;
  Command({Cmd("suma_diamond_list"), "*", "GROUP", group, "CURSOR", cursor, "COUNT", "1000"},
          [this, group, acc, cb](const Reply& r) {
            if (!r.is_array() || r.elements.size() != 2 || !r.elements[1].is_array())
              return cb(R::Fail(Unexpected(r)));
            for (const Reply& k : r.elements[1].elements) acc->push_back(k.str);
            if (r.elements[0].str == "0") return cb(R(*acc));
            ListPage(group, r.elements[0].str, acc, cb);
          });
}

void Client::Events(const std::string& group, int64_t after_seq, int count,
                    Fn<std::vector<std::string>> cb) {
  using R = Outcome<std::vector<std::string>>;
  Command({Cmd("suma_events"), group, std::to_string(after_seq), "COUNT", std::to_string(count)},
          [cb](const Reply& r) {
            if (!r.is_array()) return cb(R::Fail(Unexpected(r)));
            std::vector<std::string> out;
            for (const Reply& e : r.elements) out.push_back(e.str);
            cb(R(std::move(out)));
          });
}

void Client::TaskClaim(const std::string& group, const std::string& vip, int64_t lease_ms,
                       Fn<std::optional<Task>> cb) {
  using R = Outcome<std::optional<Task>>;
  Command({Cmd("suma_ci_task"), group, "CLAIM", vip, std::to_string(lease_ms)},
          [cb](const Reply& r) {
            if (r.is_nil()) return cb(R(std::nullopt));
            Task t;
            if (!r.is_array() || r.elements.size() != 3 || !ToInt(r.elements[0], &t.id) ||
                !ToInt(r.elements[2], &t.attempt))
              return cb(R::Fail(Unexpected(r)));
            t.payload = r.elements[1].str;
            cb(R(t));
          });
}

void Client::TaskAck(const std::string& group, int64_t id, const std::string& vip, Fn<bool> cb) {
  Command({Cmd("suma_ci_task"), group, "ACK", std::to_string(id), vip},
          [cb](const Reply& r) { cb(ToBool(r)); });
}

void Client::TaskExtend(const std::string& group, int64_t id, const std::string& vip,
                        int64_t lease_ms, Fn<bool> cb) {
  Command({Cmd("suma_ci_task"), group, "EXTEND", std::to_string(id), vip,
           std::to_string(lease_ms)},
          [cb](const Reply& r) { cb(ToBool(r)); });
}

}  // namespace suma
