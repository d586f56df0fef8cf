#include "health.h"

#include <hiredis.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace entry {
namespace {

using Reply = std::unique_ptr<redisReply, void (*)(void*)>;

Reply Command(redisContext* c, const char* fmt, const std::string& arg = "") {
  void* r = arg.empty() ? redisCommand(c, fmt) : redisCommand(c, fmt, arg.data(), arg.size());
  return Reply(static_cast<redisReply*>(r), freeReplyObject);
}

bool NamesSumavlib(const redisReply* list) {
  if (!list || list->type != REDIS_REPLY_ARRAY) return false;
  for (size_t i = 0; i < list->elements; ++i) {
    const redisReply* m = list->element[i];
    if (m->type != REDIS_REPLY_ARRAY) continue;
    for (size_t j = 0; j + 1 < m->elements; j += 2) {
      const redisReply* k = m->element[j];
      const redisReply* v = m->element[j + 1];
      if (k->str && std::strcmp(k->str, "name") == 0 && v->str && std::strcmp(v->str, "sumavlib") == 0)
        return true;
    }
  }
  return false;
}

}  // namespace

int HealthCheck(const Settings& s) {
  timeval tv{2, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(
      redisConnectWithTimeout("127.0.0.1", s.resp_port, tv), redisFree);
  if (!c || c->err) {
    std::printf("unhealthy: redis-server is not answering on port %d\n", s.resp_port);
    return 1;
  }
  redisSetTimeout(c.get(), tv);
  if (!s.password.empty()) {
    Reply auth = Command(c.get(), "AUTH %b", s.password);
    if (!auth || auth->type == REDIS_REPLY_ERROR) {
      std::printf("unhealthy: AUTH failed: %s\n", auth && auth->str ? auth->str : "no reply");
      return 1;
    }
  }
  Reply list = Command(c.get(), "MODULE LIST");
  if (!list || list->type == REDIS_REPLY_ERROR) {
    std::printf("unhealthy: %s\n", list && list->str ? list->str : "no reply to MODULE LIST");
    return 1;
  }
  if (!NamesSumavlib(list.get())) {
    std::printf("unhealthy: sumavlib is not loaded\n");
    return 1;
  }
  std::printf("healthy: sumavlib loaded, port %d\n", s.resp_port);
  return 0;
}

}  // namespace entry
