// HTTP routes of suma-console (see app.h for the access rules).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include "app.h"
#include "cluster.h"
#include "core/event_view.h"
#include "core/group_name.h"
#include "core/json_text.h"
#include "metrics.h"
#include "model.h"

namespace console {
namespace {

using httplib::Request;
using httplib::Response;

void SendJson(Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "application/json");
}

void SendError(Response& res, int status, const std::string& msg) {
  suma::JsonWriter j;
  j.BeginObject().Key("ok").Bool(false).Key("error").Str(msg).EndObject();
  SendJson(res, status, j.str());
}

std::string Token(const Request& req) {
  return CookieValue(req.get_header_value("Cookie"), kSessionCookie);
}

// Wraps an /api/ handler: session check, CSRF header on POST, Redis errors
// turned into 503 so the page can say "Redis unreachable" instead of hanging.
template <typename Fn>
httplib::Server::Handler Api(App& app, bool is_post, Fn fn) {
  return [&app, is_post, fn](const Request& req, Response& res) {
    if (!Authorize(app, req, res, is_post)) return;
    try {
      fn(req, res);
    } catch (const RedisError& e) {
      SendError(res, 503, e.what());
    }
  };
}

// Required request parameter (query string or form body); sends 400 when absent.
bool Param(const Request& req, Response& res, const char* name, std::string* out) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) {
    SendError(res, 400, std::string("missing parameter '") + name + "'");
    return false;
  }
  *out = req.get_param_value(name);
  return true;
}

bool GroupParam(const Request& req, Response& res, std::string* g) {
  if (!Param(req, res, "g", g)) return false;
  if (!suma::IsGroupName(*g)) {
    SendError(res, 400, "invalid group name");
    return false;
  }
  return true;
}

bool IntParam(const Request& req, const char* name, long long* out) {
  if (!req.has_param(name) || req.get_param_value(name).empty()) return false;
  char* end = nullptr;
  *out = std::strtoll(req.get_param_value(name).c_str(), &end, 10);
  return end && *end == '\0';
}

void AddSecurityHeaders(Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

// One SSE stream: backlog (events after Last-Event-ID, or the last 20), then
// live events from the hub. Events are deduplicated by seq, since the backlog
// is read after subscribing so that nothing falls between the two.
struct SseState {
  std::shared_ptr<Mailbox> box;
  std::vector<std::string> backlog;
  long long last_sent = -1;
  bool started = false;
};

void AppendFrame(std::string& out, SseState& s, const std::string& json) {
  auto ev = suma::EventView::Parse(json);
  long long seq = ev ? ev->seq() : -1;
  if (seq >= 0 && seq <= s.last_sent) return;
  if (seq >= 0) {
    out += "id: " + std::to_string(seq) + "\n";
    s.last_sent = seq;
  }
  out += "data: " + json + "\n\n";
}

void HandleEvents(App& app, const Request& req, Response& res) {
  std::string g;
  if (!GroupParam(req, res, &g)) return;
  long long after = -1;
  std::string last_id = req.get_header_value("Last-Event-ID");
  if (!last_id.empty()) after = std::atoll(last_id.c_str());
  else if (!IntParam(req, "after", &after)) after = -1;

  auto state = std::make_shared<SseState>();
  state->box = app.hub.Subscribe(g);
  try {
    RedisConn c = RedisConn::Connect(ForGroup(app.opt, g));
    if (after < 0) after = std::max(0LL, LastSeq(c, g) - 20);
    state->backlog = EventsAfter(c, g, after, 1000);
    state->last_sent = after;
  } catch (const RedisError& e) {
    app.hub.Unsubscribe(state->box);
    return SendError(res, 503, e.what());
  }
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  App* a = &app;
  res.set_chunked_content_provider(
      "text/event-stream",
      [a, state](size_t, httplib::DataSink& sink) {
        std::string out;
        if (!state->started) {
          state->started = true;
          out += "retry: 2000\n\n";
          for (const std::string& e : state->backlog) AppendFrame(out, *state, e);
          state->backlog.clear();
        } else {
          std::deque<std::string> got;
          bool gap = false;
          {
            std::unique_lock<std::mutex> lock(state->box->mu);
            state->box->cv.wait_for(lock, std::chrono::seconds(10), [&] {
              return !state->box->events.empty() || a->hub.stopping();
            });
            got.swap(state->box->events);
            std::swap(gap, state->box->gap);
          }
          // The page re-reads the whole state when told it missed events.
          if (gap) out += "event: gap\ndata: {}\n\n";
          for (const std::string& e : got) AppendFrame(out, *state, e);
        }
        if (a->hub.stopping()) return false;
        if (out.empty()) out = ": keepalive\n\n";
        return sink.write(out.data(), out.size());
      },
      [a, state](bool) { a->hub.Unsubscribe(state->box); });
}

}  // namespace

bool Authorize(App& app, const Request& req, Response& res, bool is_post) {
  if (!app.sessions.Valid(Token(req))) return SendError(res, 401, "login required"), false;
  if (is_post && req.get_header_value("X-Suma-Console") != "1")
    return SendError(res, 403, "missing X-Suma-Console header"), false;
  return true;
}

void SendApiJson(Response& res, int status, const std::string& body) { SendJson(res, status, body); }

void InstallRoutes(httplib::Server& svr, App& app) {
  svr.set_post_routing_handler([](const Request&, Response& res) { AddSecurityHeaders(res); });

  for (int i = 0; i < kAssetCount; ++i) {
    const Asset* a = &kAssets[i];
    svr.Get(a->path, [a](const Request&, Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(a->body, a->content_type);
    });
  }

  // Browsers ask for it on their own; answer without a 404 in their console.
  svr.Get("/favicon.ico", [](const Request&, Response& res) { res.status = 204; });

  svr.Get("/healthz", [&app](const Request& req, Response& res) {
    // The console is healthy when it answers; ?deep=1 also requires Redis.
    bool deep = req.has_param("deep") && req.get_param_value("deep") != "0";
    std::string redis = "unchecked";
    if (deep) {
      try {
        redis = "up";
        for (const RedisTarget& t : Primaries(app.opt)) {
          RedisConn c = RedisConn::Connect(t);
          if (c.Command({"PING"}).error()) redis = "down";
        }
      } catch (const RedisError&) {
        redis = "down";
      }
    }
    suma::JsonWriter j;
    j.BeginObject().Key("status").Str(redis == "down" ? "degraded" : "ok");
    j.Key("redis").Str(redis).Key("event_feed").Str(app.hub.connected() ? "up" : "down").EndObject();
    SendJson(res, redis == "down" ? 503 : 200, j.str());
  });

  svr.Get("/metrics", [&app](const Request& req, Response& res) {
    if (!app.opt.metrics_token.empty() &&
        !ConstantTimeEquals(req.get_header_value("Authorization"), "Bearer " + app.opt.metrics_token)) {
      res.status = 401;
      res.set_content("metrics token required\n", "text/plain");
      return;
    }
    res.set_content(RenderMetrics(app.opt, app.hub), "text/plain; version=0.0.4; charset=utf-8");
  });

  svr.Post("/login", [&app](const Request& req, Response& res) {
    if (app.sessions.Throttled()) {
      std::fprintf(stderr, "suma-console: login refused (too many failures) from %s\n", req.remote_addr.c_str());
      return SendError(res, 429, "too many failed logins; try again in a minute");
    }
    std::string token = app.sessions.Login(req.get_param_value("user"), req.get_param_value("password"));
    if (token.empty()) {
      std::fprintf(stderr, "suma-console: failed login from %s\n", req.remote_addr.c_str());
      return SendError(res, 401, "wrong user or password");
    }
    res.set_header("Set-Cookie", app.sessions.Cookie(token));
    suma::JsonWriter j;
    j.BeginObject().Key("ok").Bool(true).Key("user").Str(app.sessions.user()).EndObject();
    SendJson(res, 200, j.str());
  });

  svr.Post("/logout", [&app](const Request& req, Response& res) {
    app.sessions.Logout(Token(req));
    res.set_header("Set-Cookie", app.sessions.ClearCookie());
    SendJson(res, 200, "{\"ok\":true}");
  });

  svr.Get("/api/me", Api(app, false, [&app](const Request&, Response& res) {
    suma::JsonWriter j;
    j.BeginObject().Key("user").Str(app.sessions.enabled() ? app.sessions.user() : "");
    j.Key("auth").Bool(app.sessions.enabled()).EndObject();
    SendJson(res, 200, j.str());
  }));

  svr.Get("/api/groups", Api(app, false, [&app](const Request&, Response& res) {
    // On a cluster each primary holds the groups of its own slots.
    std::set<std::string> groups;
    for (const RedisTarget& t : Primaries(app.opt)) {
      RedisConn c = RedisConn::Connect(t);
      for (const std::string& g : DiscoverGroups(c)) groups.insert(g);
    }
    suma::JsonWriter j;
    j.BeginObject().Key("groups").BeginArray();
    for (const std::string& g : groups) j.Str(g);
    j.EndArray().EndObject();
    SendJson(res, 200, j.str());
  }));

  svr.Get("/api/group", Api(app, false, [&app](const Request& req, Response& res) {
    std::string g;
    if (!GroupParam(req, res, &g)) return;
    RedisConn c = RedisConn::Connect(ForGroup(app.opt, g));
    SendJson(res, 200, GroupSnapshotJson(c, g));
  }));

  svr.Get("/api/config/history", Api(app, false, [&app](const Request& req, Response& res) {
    std::string g, key;
    if (!GroupParam(req, res, &g) || !Param(req, res, "key", &key)) return;
    RedisConn c = RedisConn::Connect(ForGroup(app.opt, g));
    SendJson(res, 200, ConfigHistoryJson(c, g, key));
  }));

  auto vip_action = [&app](ActionResult (*fn)(RedisConn&, const std::string&, const std::string&),
                           const char* verb) {
    return Api(app, true, [&app, fn, verb](const Request& req, Response& res) {
      std::string g, vip;
      if (!GroupParam(req, res, &g) || !Param(req, res, "vip", &vip)) return;
      RedisConn c = RedisConn::Connect(ForGroup(app.opt, g));
      ActionResult r = fn(c, g, vip);
      std::fprintf(stderr, "suma-console: %s %s %s by %s -> %d\n", verb, g.c_str(), vip.c_str(),
                   app.sessions.user().c_str(), r.http_status);
      SendJson(res, r.http_status, r.json);
    });
  };
  svr.Post("/api/drain", vip_action(&Drain, "drain"));
  svr.Post("/api/restore", vip_action(&Restore, "restore"));

  svr.Post("/api/publish", Api(app, true, [&app](const Request& req, Response& res) {
    std::string g, key;
    if (!GroupParam(req, res, &g) || !Param(req, res, "key", &key)) return;
    if (!req.has_param("value")) return SendError(res, 400, "missing parameter 'value'");
    long long expected = -1;
    if (req.has_param("expected_version") && !IntParam(req, "expected_version", &expected))
      return SendError(res, 400, "invalid expected_version");
    RedisConn c = RedisConn::Connect(ForGroup(app.opt, g));
    ActionResult r = Publish(c, g, key, req.get_param_value("value"), expected);
    std::fprintf(stderr, "suma-console: publish %s %s -> %d\n", g.c_str(), key.c_str(), r.http_status);
    SendJson(res, r.http_status, r.json);
  }));

  svr.Post("/api/rollback", Api(app, true, [&app](const Request& req, Response& res) {
    std::string g, key;
    long long version = 0;
    if (!GroupParam(req, res, &g) || !Param(req, res, "key", &key)) return;
    if (!IntParam(req, "version", &version)) return SendError(res, 400, "invalid version");
    RedisConn c = RedisConn::Connect(ForGroup(app.opt, g));
    ActionResult r = Rollback(c, g, key, version);
    std::fprintf(stderr, "suma-console: rollback %s %s to v%lld -> %d\n", g.c_str(), key.c_str(),
                 version, r.http_status);
    SendJson(res, r.http_status, r.json);
  }));

  svr.Get("/api/events", Api(app, false, [&app](const Request& req, Response& res) {
    HandleEvents(app, req, res);
  }));

  InstallFleetRoutes(svr, app);
}

}  // namespace console
