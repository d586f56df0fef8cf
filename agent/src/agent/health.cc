// HTTP health endpoint on the agent's event loop (libevent evhttp).
//   GET /health  200 "ok"        live and undrained
//                503 "drained"   drained with suma_vip_kill
//                503 "starting"  drain state not read yet
//   GET /status  200 JSON        group, vip, leader, epoch, drained, ...
// While the server is unreachable the last known state stands: a host that
// serves traffic keeps serving it when only the coordination is away.
#include <event2/buffer.h>
#include <event2/http.h>

#include "agent/agent.h"

namespace suma::agent {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

bool Agent::StartHealth(std::string* error) {
  if (cfg_.health_listen.empty()) return true;
  auto ep = ParseEndpoint(cfg_.health_listen);
  http_ = evhttp_new(base_);
  if (!http_ || !evhttp_bind_socket_with_handle(http_, ep->host.c_str(), ep->port)) {
    *error = "health-listen " + cfg_.health_listen + ": cannot listen there";
    return false;
  }
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
  evhttp_set_gencb(http_, OnHttp, this);
  return true;
}

std::string Agent::StatusJson() const {
  std::string drained = drained_ ? (*drained_ ? "true" : "false") : "null";
  return "{\"group\":" + JsonString(cfg_.group) + ",\"vip\":" + JsonString(cfg_.vip) +
         ",\"connected\":" + (client_.ready() ? "true" : "false") +
         ",\"server\":" + JsonString(client_.address()) +
         ",\"leader\":" + (leading_ ? "true" : "false") +
         ",\"epoch\":" + std::to_string(leading_ ? epoch_ : 0) +
         ",\"drained\":" + drained + ",\"applied_seq\":" + std::to_string(applied_seq_) + "}\n";
}

void Agent::OnHttp(evhttp_request* req, void* arg) {
  auto* self = static_cast<Agent*>(arg);
  std::string path = evhttp_request_get_uri(req);
  path = path.substr(0, path.find('?'));
  int code = 200;
  std::string body;
  if (path == "/health" || path == "/") {
    if (!self->drained_) {
      code = 503;
      body = "starting\n";
    } else if (*self->drained_) {
      code = 503;
      body = "drained\n";
    } else {
      body = "ok\n";
    }
  } else if (path == "/status") {
    body = self->StatusJson();
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
