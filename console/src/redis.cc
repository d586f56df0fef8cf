#include "redis.h"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace console {
namespace {

Reply Convert(const redisReply* r) {
  Reply out;
  if (!r) return out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.kind = Reply::kInt;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = Reply::kStr;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = Reply::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = Reply::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = Reply::kArray;
      out.elems.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elems.push_back(Convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

timeval Tv(int ms) { return timeval{ms / 1000, (ms % 1000) * 1000}; }

void Fail(redisContext* c, const char* what) {
  throw RedisError(std::string(what) + ": " + (c && c->errstr[0] ? c->errstr : "connection lost"));
}

// Queues one command in hiredis's output buffer.
void Append(redisContext* c, const Argv& a) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const std::string& s : a) {
    ptrs.push_back(s.data());
    lens.push_back(s.size());
  }
  if (redisAppendCommandArgv(c, static_cast<int>(a.size()), ptrs.data(), lens.data()) != REDIS_OK)
    Fail(c, "redis write");
}

}  // namespace

long long Reply::AsInt(long long def) const {
  if (kind == kInt) return integer;
  if (kind == kStr || kind == kStatus) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(str.c_str(), &end, 10);
    if (errno == 0 && end && *end == '\0' && !str.empty()) return v;
  }
  return def;
}

const Reply& Reply::at(size_t i) const {
  static const Reply kNilReply;
  return (kind == kArray && i < elems.size()) ? elems[i] : kNilReply;
}

RedisConn RedisConn::Connect(const RedisTarget& t) {
  redisContext* c = redisConnectWithTimeout(t.host.c_str(), t.port, Tv(t.timeout_ms));
  if (!c || c->err) {
    std::string msg = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    throw RedisError("cannot connect to redis " + t.host + ":" + std::to_string(t.port) + ": " + msg);
  }
  redisSetTimeout(c, Tv(t.timeout_ms));
  RedisConn conn(c);
  if (!t.password.empty()) {
    Argv auth = {"AUTH"};
    if (!t.user.empty()) auth.push_back(t.user);
    auth.push_back(t.password);
    Reply r = conn.Command(auth);
    // The reply text is Redis's own; the password never appears in it.
    if (r.error()) throw RedisError("redis AUTH failed: " + r.str);
  }
  return conn;
}

RedisConn::~RedisConn() {
  if (c_) redisFree(c_);
}

Reply RedisConn::Command(const Argv& argv) { return Pipeline({argv}).front(); }

std::vector<Reply> RedisConn::Pipeline(const std::vector<Argv>& cmds) {
  for (const Argv& a : cmds) Append(c_, a);
  std::vector<Reply> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(c_, &raw) != REDIS_OK || !raw) Fail(c_, "redis read");
    out.push_back(Convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return out;
}

void RedisConn::Send(const Argv& a) {
  Append(c_, a);
  int done = 0;
  do {
    if (redisBufferWrite(c_, &done) != REDIS_OK) Fail(c_, "redis write");
  } while (!done);
}

bool RedisConn::ReadPush(Reply* out) {
  void* raw = nullptr;
  if (redisGetReply(c_, &raw) != REDIS_OK || !raw) {
    // hiredis reports a read timeout as an I/O error with EAGAIN; the buffered
    // state is intact, so clear the error and let the caller poll again.
    if (c_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK ||
                                   std::strstr(c_->errstr, "temporarily unavailable"))) {
      c_->err = 0;
      c_->errstr[0] = '\0';
      return false;
    }
    Fail(c_, "redis subscribe read");
  }
  *out = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return true;
}

void RedisConn::SetReadTimeout(int ms) { redisSetTimeout(c_, Tv(ms)); }

}  // namespace console
