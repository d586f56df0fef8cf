#include "agent/health.h"

#include <event2/buffer.h>
#include <event2/http.h>

#include "core/json_text.h"
#include "suma/client.h"

namespace suma::agent {

HealthServer::~HealthServer() {
  if (http_) evhttp_free(http_);
}

bool HealthServer::Listen(const std::string& host_port, std::string* error) {
  auto ep = ParseEndpoint(host_port);
  http_ = evhttp_new(base_);
  if (!ep || !http_ || evhttp_bind_socket_with_handle(http_, ep->host.c_str(), ep->port) == nullptr) {
    *error = "health-listen " + host_port + ": cannot listen there";
    return false;
  }
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(http_, OnHttp, this);
  return true;
}

std::string HealthServer::StatusJson(const HealthSnapshot& s) {
  JsonWriter j;
  j.BeginObject().Key("group").Str(s.group).Key("vip").Str(s.vip);
  j.Key("connected").Bool(s.connected).Key("server").Str(s.server);
  j.Key("leader").Bool(s.leader).Key("epoch").Int(s.epoch).Key("drained");
  if (s.drained)
    j.Bool(*s.drained);
  else
    j.Null();
  j.Key("applied_seq").Int(s.applied_seq).EndObject();
  return j.str() + "\n";
}

void HealthServer::OnHttp(evhttp_request* req, void* arg) {
  HealthSnapshot s = static_cast<HealthServer*>(arg)->snapshot_();
  std::string path = evhttp_request_get_uri(req);
  path = path.substr(0, path.find('?'));
  int code = 200;
  std::string body;
  if (path == "/health" || path == "/") {
    if (!s.drained) {
      code = 503;
      body = "starting\n";
    } else if (*s.drained) {
      code = 503;
      body = "drained\n";
    } else {
      body = "ok\n";
    }
  } else if (path == "/status") {
    body = StatusJson(s);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
  } else {
    code = 404;
    body = "not found\n";
  }
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, body.data(), body.size());
  evhttp_send_reply(req, code, code == 200 ? "OK" : code == 404 ? "Not Found" : "Service Unavailable", out);
  evbuffer_free(out);
}

}  // namespace suma::agent
