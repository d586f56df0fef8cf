#include "adapters/redis_adapters.h"

#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "core/record_json.h"

namespace fleet {
namespace {

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

std::string ReplyError(const redisReply* r) { return std::string(r->str, r->len); }

// "field:value" out of an INFO text.
int64_t InfoField(const std::string& info, const std::string& field) {
  auto p = info.find("\r\n" + field + ":");
  if (p == std::string::npos) return 0;
  return std::atoll(info.c_str() + p + field.size() + 3);
}

}  // namespace

RedisLink::RedisLink(std::string host, int port, std::string user, std::string password, int timeout_ms)
    : host_(std::move(host)), user_(std::move(user)), password_(std::move(password)), port_(port),
      timeout_ms_(timeout_ms) {}

RedisLink::~RedisLink() {
  if (c_) redisFree(c_);
}

bool RedisLink::Connect(std::string* error) {
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  c_ = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!c_ || c_->err) {
    *error = host_ + ":" + std::to_string(port_) + ": " + (c_ ? c_->errstr : "out of memory");
    if (c_) redisFree(c_);
    c_ = nullptr;
    return false;
  }
  redisSetTimeout(c_, tv);
  if (!password_.empty()) {
    redisReply* r = user_.empty()
                        ? static_cast<redisReply*>(redisCommand(c_, "AUTH %b", password_.data(), password_.size()))
                        : static_cast<redisReply*>(redisCommand(c_, "AUTH %b %b", user_.data(), user_.size(),
                                                                password_.data(), password_.size()));
    ReplyPtr p(r);
    if (!r || r->type == REDIS_REPLY_ERROR) {
      *error = r ? "AUTH: " + ReplyError(r) : std::string("AUTH: connection lost");
      redisFree(c_);
      c_ = nullptr;
      return false;
    }
  }
  return true;
}

redisReply* RedisLink::Command(const std::vector<std::string>& argv, std::string* error) {
  std::lock_guard<std::mutex> l(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!c_ && !Connect(error)) return nullptr;
    std::vector<const char*> a;
    std::vector<size_t> len;
    for (const auto& s : argv) {
      a.push_back(s.data());
      len.push_back(s.size());
    }
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, static_cast<int>(a.size()), a.data(), len.data()));
    if (r) return r;
    *error = c_->errstr;
    redisFree(c_);
    c_ = nullptr;  // a stale connection gets one fresh retry
  }
  return nullptr;
}

// ---- control ----------------------------------------------------------------

RedisControl::RedisControl(const std::string& host, int port, const std::string& password)
    : link_(host, port, "", password, 3000) {}

bool RedisControl::Ping(std::string* error) {
  ReplyPtr r(link_.Command({"PING"}, error));
  return r && r->type != REDIS_REPLY_ERROR;
}

bool RedisControl::LoadAll(std::vector<Tenant>* out, std::string* error) {
  std::string cursor = "0";
  std::vector<std::string> keys;
  for (int page = 0; page < 100000; ++page) {
    ReplyPtr r(link_.Command({"sumavlib.suma_diamond_list", "tenant.*", "GROUP", kControlGroup, "CURSOR",
                              cursor, "COUNT", "1000"},
                             error));
    if (!r) return false;
    if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return *error = "unexpected diamond_list reply", false;
    cursor.assign(r->element[0]->str, r->element[0]->len);
    for (size_t i = 0; i < r->element[1]->elements; ++i)
      keys.emplace_back(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
    if (cursor == "0") break;
  }
  out->clear();
  for (const auto& k : keys) {
    ReplyPtr r(link_.Command({"sumavlib.suma_diamond_get", kControlGroup, k}, error));
    if (!r) return false;
    if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) continue;  // deleted meanwhile
    Tenant t;
    std::string perr;
    if (!ParseRecord(std::string(r->element[0]->str, r->element[0]->len), &t, &perr)) {
      fprintf(stderr, "suma-fleet: record %s skipped: %s\n", k.c_str(), perr.c_str());
      continue;
    }
    t.version = r->element[1]->integer;
    out->push_back(t);
  }
  return true;
}

bool RedisControl::Save(Tenant* t, bool* conflict, std::string* error) {
  *conflict = false;
  std::string key = "tenant." + t->name;
  ReplyPtr r(link_.Command({"sumavlib.suma_diamond_cas", kControlGroup, key, std::to_string(t->version),
                            RecordJson(*t)},
                           error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  if (r->integer != 1) return *conflict = true, false;
  ReplyPtr g(link_.Command({"sumavlib.suma_diamond_get", kControlGroup, key}, error));
  if (!g) return false;
  if (g->type == REDIS_REPLY_ARRAY && g->elements >= 2) t->version = g->element[1]->integer;
  return true;
}

bool RedisControl::Remove(const std::string& name, std::string* error) {
  ReplyPtr r(link_.Command({"sumavlib.suma_diamond_delete", kControlGroup, "tenant." + name}, error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  return true;
}

bool RedisControl::Publish(const std::string& channel, const std::string& json, std::string* error) {
  ReplyPtr r(link_.Command({"sumavlib.suma_message_publish", channel, json}, error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  return true;
}

bool RedisControl::Register(const std::string& master_key, const std::string& vip, const std::string& meta,
                            std::string* error) {
  ReplyPtr r(link_.Command({"sumavlib.suma_vip_register", master_key, vip, meta}, error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  return true;
}

bool RedisControl::Unregister(const std::string& master_key, const std::string& vip, std::string* error) {
  ReplyPtr r(link_.Command({"sumavlib.suma_vip_unregister", master_key, vip}, error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  return true;
}

bool RedisControl::FleetSecret(const std::string& candidate, std::string* secret, std::string* error) {
  ReplyPtr s(link_.Command({"SET", kSecretKey, candidate, "NX"}, error));
  if (!s) return false;
  if (s->type == REDIS_REPLY_ERROR) return *error = ReplyError(s.get()), false;
  ReplyPtr g(link_.Command({"GET", kSecretKey}, error));
  if (!g) return false;
  if (g->type != REDIS_REPLY_STRING) return *error = std::string("cannot read ") + kSecretKey, false;
  secret->assign(g->str, g->len);
  return true;
}

// ---- tenant servers ---------------------------------------------------------

bool RedisServers::Ping(int port, const std::string& pw) {
  RedisLink l(host_, port, kAdminUser, pw, 500);
  std::string e;
  ReplyPtr r(l.Command({"PING"}, &e));
  return r && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
}

bool RedisServers::GetUsage(int port, const std::string& pw, Usage* out) {
  RedisLink l(host_, port, kAdminUser, pw, 500);
  std::string e;
  ReplyPtr r(l.Command({"INFO", "memory"}, &e));
  if (!r || r->type != REDIS_REPLY_STRING) return false;
  std::string info = "\r\n" + std::string(r->str, r->len);
  out->used_memory = InfoField(info, "used_memory");
  out->maxmemory = InfoField(info, "maxmemory");
  ReplyPtr c(l.Command({"INFO", "clients"}, &e));
  if (!c || c->type != REDIS_REPLY_STRING) return false;
  out->connected_clients = InfoField("\r\n" + std::string(c->str, c->len), "connected_clients");
  return true;
}

bool RedisServers::SetMaxmemory(int port, const std::string& pw, int64_t bytes, std::string* error) {
  RedisLink l(host_, port, kAdminUser, pw, 2000);
  ReplyPtr r(l.Command({"CONFIG", "SET", "maxmemory", std::to_string(bytes)}, error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  return true;
}

bool RedisServers::Register(int port, const std::string& pw, const std::string& master_key,
                            const std::string& vip, const std::string& meta, std::string* error) {
  RedisLink l(host_, port, kAdminUser, pw, 2000);
  ReplyPtr r(l.Command({"sumavlib.suma_vip_register", master_key, vip, meta}, error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  return true;
}

bool RedisServers::Unregister(int port, const std::string& pw, const std::string& master_key,
                              const std::string& vip, std::string* error) {
  RedisLink l(host_, port, kAdminUser, pw, 2000);
  ReplyPtr r(l.Command({"sumavlib.suma_vip_unregister", master_key, vip}, error));
  if (!r) return false;
  if (r->type == REDIS_REPLY_ERROR) return *error = ReplyError(r.get()), false;
  return true;
}

bool RedisServers::PortInUse(int port) {
  addrinfo hints{}, *ai = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  if (getaddrinfo(bind_address.c_str(), std::to_string(port).c_str(), &hints, &ai) != 0 || !ai)
    return false;  // not an address we can probe: let the server's own bind decide
  bool in_use = false;
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Only EADDRINUSE counts: an address that is not this network namespace's
    // (the fleet in a container of its own) proves nothing about the tenants'.
    in_use = bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EADDRINUSE;
    close(fd);
  }
  freeaddrinfo(ai);
  return in_use;
}

}  // namespace fleet
