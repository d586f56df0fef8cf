#include "client/conn.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <memory>

namespace suma {

struct Conn::Pending {
  Conn* owner;  // nullptr once the Conn let go of this command
  ReplyFn fn;
  bool subscription;
};

namespace {

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::Integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::String;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::Status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::Error;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::Array;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

void RunDeferred(evutil_socket_t, short, void* arg) {
  std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(arg));
  (*fn)();
}

}  // namespace

void Conn::Defer(event_base* base, std::function<void()> fn, int delay_ms) {
  auto* heap = new std::function<void()>(std::move(fn));
  timeval tv{delay_ms / 1000, (delay_ms % 1000) * 1000};
  if (event_base_once(base, -1, EV_TIMEOUT, RunDeferred, heap, &tv) != 0) delete heap;
}

Conn::~Conn() {
  // Nobody is left to hear about pending commands.
  for (Pending* p : pending_) {
    p->owner = nullptr;
    p->fn = nullptr;
  }
  pending_.clear();
  opened_ = nullptr;
  dropped_ = nullptr;
  Close();
}

void Conn::Open(const std::string& host, int port, std::function<void(const std::string&)> opened,
                std::function<void(const std::string&)> dropped) {
  Close();
  opened_ = std::move(opened);
  dropped_ = std::move(dropped);
  redisAsyncContext* ac = redisAsyncConnect(host.c_str(), port);
  if (!ac || ac->err) {
    std::string err = ac ? ac->errstr : "out of memory";
    if (ac) redisAsyncFree(ac);
    auto cb = std::move(opened_);
    Defer(base_, [cb, err] { cb(err); });
    return;
  }
  ac->data = this;
  redisLibeventAttach(ac, base_);
  redisAsyncSetConnectCallback(ac, OnConnect);
  redisAsyncSetDisconnectCallback(ac, OnDisconnect);
  ac_ = ac;
}

void Conn::OnConnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Conn*>(ac->data);
  if (!self || self->ac_ != ac) return;
  auto cb = std::move(self->opened_);
  if (status != REDIS_OK) {
    std::string err = ac->errstr ? ac->errstr : "connect failed";
    // hiredis frees the context after this callback.
    self->ac_ = nullptr;
    self->Detach("ERR connection lost");
    if (cb) Defer(self->base_, [cb, err] { cb(err); });
    return;
  }
  self->connected_ = true;
  redisEnableKeepAlive(const_cast<redisContext*>(&ac->c));
  if (cb) Defer(self->base_, [cb] { cb(""); });
}

void Conn::OnDisconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Conn*>(ac->data);
  if (!self || self->ac_ != ac) return;
  std::string why = ac->errstr && *ac->errstr ? ac->errstr : "server closed the connection";
  self->ac_ = nullptr;
  self->connected_ = false;
  self->Detach("ERR connection lost");
  auto cb = std::move(self->dropped_);
  if (cb) Defer(self->base_, [cb, why] { cb(why); });
}

void Conn::Detach(const std::string& why) {
  for (Pending* p : pending_) {
    p->owner = nullptr;
    if (p->fn && !p->subscription) {
      auto fn = std::move(p->fn);
      Defer(base_, [fn, why] { fn(Reply::Error(why)); });
    }
    p->fn = nullptr;
  }
  pending_.clear();
  sent_.clear();
}

void Conn::Close(const std::string& why) {
  redisAsyncContext* ac = ac_;
  ac_ = nullptr;
  connected_ = false;
  opened_ = nullptr;
  dropped_ = nullptr;
  Detach(why);
  if (ac) {
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
}

void Conn::OnReply(redisAsyncContext* ac, void* r, void* priv) {
  auto* p = static_cast<Pending*>(priv);
  auto* reply = static_cast<redisReply*>(r);
  Conn* self = p->owner;
  if (!reply) {
    // The context is being freed; Detach already answered the owner.
    if (self) self->pending_.erase(p);
    delete p;
    return;
  }
  if (p->subscription) {
    // ["message", channel, payload]; the subscribe confirmation is skipped.
    if (self && p->fn && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
        reply->element[2]->type == REDIS_REPLY_STRING &&
        std::string(reply->element[0]->str, reply->element[0]->len) == "message")
      p->fn(Reply{Reply::Type::String, 0, std::string(reply->element[2]->str,
                                                      reply->element[2]->len), {}});
    return;
  }
  if (self) {
    self->pending_.erase(p);
    if (!self->sent_.empty()) self->sent_.pop_front();
  }
  ReplyFn fn = std::move(p->fn);
  delete p;
  if (fn) fn(Convert(reply));
}

void Conn::Send(const std::vector<std::string>& argv, ReplyFn cb) {
  if (!open()) {
    Defer(base_, [cb] { cb(Reply::Error("ERR not connected")); });
    return;
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* p = new Pending{this, std::move(cb), false};
  if (redisAsyncCommandArgv(ac_, OnReply, p, static_cast<int>(args.size()), args.data(),
                            lens.data()) != REDIS_OK) {
    auto fn = std::move(p->fn);
    delete p;
    Defer(base_, [fn] { fn(Reply::Error("ERR command not sent")); });
    return;
  }
  pending_.insert(p);
  sent_.push_back(Clock::now());
}

void Conn::Subscribe(const std::string& channel,
                     std::function<void(const std::string&)> on_payload) {
  if (!open()) return;
  auto* p = new Pending{this, [on_payload](const Reply& r) { on_payload(r.str); }, true};
  const char* args[] = {"SUBSCRIBE", channel.c_str()};
  size_t lens[] = {9, channel.size()};
  if (redisAsyncCommandArgv(ac_, OnReply, p, 2, args, lens) != REDIS_OK) {
    delete p;
    return;
  }
  pending_.insert(p);
}

bool Conn::oldest_pending(Clock::time_point* t) const {
  if (sent_.empty()) return false;
  *t = sent_.front();
  return true;
}

}  // namespace suma
