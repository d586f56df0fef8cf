"""HTTP/API tests of suma-console against a real redis-server with sumavlib.

Covers login and sessions, the CSRF header, every action (drain, restore,
publish with and without compare-and-set, roll back), the snapshot, the SSE
feed with resume, /metrics (per group, module and command series, evictions),
/healthz, and that Redis credentials never reach the browser.
"""
import json
import os
import socket
import subprocess
import time

import pytest

from console_support import CMD, CONSOLE_BIN, Console, Http, RedisServer, free_port, metric, \
    parse_metrics, wait_until
from suma_testing.fixtures import make_server  # noqa: E402,F401 (path set by console_support)

G = "agent.zy_test"


@pytest.fixture
def redis_srv(make_server):
    return make_server()


@pytest.fixture
def fast_srv(make_server):
    """host-ttl-ms 400: silent hosts go offline and are evicted within a second."""
    return make_server(module_args=["host-ttl-ms", "400"])


@pytest.fixture
def r(redis_srv):
    return redis_srv.client()


@pytest.fixture
def console(redis_srv):
    c = Console(redis_srv.port)
    yield c
    c.stop()


@pytest.fixture
def http(console):
    h = Http(console.url)
    h.login()
    return h


def seed(r, group=G):
    r.execute_command(CMD + "suma_try_leader", group + "_master", "10.0.0.7:9001", 60000)
    r.execute_command(CMD + "suma_keep_alive", group + "_master", "10.0.0.8:9001")
    r.execute_command(CMD + "suma_diamond_publish", group + "_channel", "db.url", "mysql://a")
    r.execute_command(CMD + "suma_ci_task", group + "_channel", "PUSH", '{"job":1}')


def test_healthz_needs_no_login_and_deep_checks_redis(console):
    h = Http(console.url)
    r = h.get("/healthz")
    assert r.status == 200 and r.json()["status"] == "ok"
    assert h.get("/healthz?deep=1").json()["redis"] == "up"


def test_healthz_deep_reports_redis_down():
    c = Console(free_port())  # nothing listens there
    try:
        h = Http(c.url)
        assert h.get("/healthz").status == 200
        r = h.get("/healthz?deep=1")
        assert r.status == 503 and r.json()["redis"] == "down"
        m = parse_metrics(h.get("/metrics").text)
        assert metric(m, "suma_up") == 0
    finally:
        c.stop()


def test_login_session_cookie_and_logout(console):
    h = Http(console.url)
    assert h.get("/api/groups").status == 401
    bad = h.post("/login", {"user": "admin", "password": "wrong"}, csrf=False)
    assert bad.status == 401 and not bad.headers.get("Set-Cookie")
    assert h.post("/login", {"user": "root", "password": "s3cret"}, csrf=False).status == 401
    ok = h.login()
    cookie = ok.headers["Set-Cookie"]
    assert "suma_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    me = h.get("/api/me").json()
    assert me == {"user": "admin", "auth": True}
    assert h.post("/logout", {}, csrf=False).status == 200
    assert h.get("/api/groups").status == 401


def test_forged_cookie_is_rejected(console):
    h = Http(console.url)
    r = h.get("/api/groups", headers={"Cookie": "suma_session=" + "ab" * 32})
    assert r.status == 401


def test_page_and_assets_are_served_with_csp(console):
    h = Http(console.url)
    page = h.get("/")
    assert page.status == 200 and b"Suma Apollo" in page.body
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert h.get("/app.js").status == 200 and h.get("/app.css").status == 200
    # Nothing is loaded from elsewhere: no absolute URLs in the page.
    for asset in ("/", "/app.js", "/app.css"):
        assert b"http://" not in h.get(asset).body and b"https://" not in h.get(asset).body


def test_posts_need_the_console_header(http, r):
    seed(r)
    resp = http.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"}, csrf=False)
    assert resp.status == 403
    assert r.execute_command(CMD + "suma_vip_drained", G) == []


def leader_epoch(r, group=G):
    info = r.execute_command(CMD + "suma_leader_info", group)
    return info[info.index("epoch") + 1]


def config_version(r, key, group=G):
    return r.execute_command(CMD + "suma_diamond_get", group, key)[1]


def test_groups_and_snapshot(http, r):
    seed(r)
    seed(r, "{agent.zy_other}")
    assert http.get("/api/groups").json()["groups"] == [G, "{agent.zy_other}"] or \
        sorted(http.get("/api/groups").json()["groups"]) == sorted([G, "{agent.zy_other}"])
    s = http.get("/api/group?g=" + G).json()
    assert s["leader"]["vip"] == "10.0.0.7:9001" and s["leader"]["epoch"] == leader_epoch(r)
    hosts = {h["vip"]: h for h in s["hosts"]}
    assert set(hosts) == {"10.0.0.7:9001", "10.0.0.8:9001"}
    assert hosts["10.0.0.7:9001"]["leader"] and not hosts["10.0.0.8:9001"]["leader"]
    assert s["configs"] == [{"key": "db.url", "version": config_version(r, "db.url"),
                             "ts_ms": s["configs"][0]["ts_ms"],
                             "value": "mysql://a", "truncated": False}]
    assert s["tasks"]["queued"] == 1 and s["tasks"]["pending"][0]["payload"] == '{"job":1}'
    assert [e["type"] for e in s["events"]][:2] == ["online", "leader"]
    assert http.get("/api/group?g=bad%20name").status == 400


def test_host_states_follow_the_module(fast_srv):
    c = Console(fast_srv.port)
    try:
        check_host_states(Http(c.url), fast_srv.client())
    finally:
        c.stop()


def check_host_states(http, r):
    http.login()
    seed(r)
    r.execute_command(CMD + "suma_vip_kill", G + "_channel", "10.0.0.9:9001")  # never seen

    def states():
        s = http.get("/api/group?g=" + G).json()
        return {h["vip"]: h["state"] for h in s["hosts"]}
    st = states()
    assert st["10.0.0.9:9001"] == "drained"
    # The module is asked after the console: with host-ttl-ms 400 a live host may
    # have gone offline (or been evicted) in between, never the other way round.
    later = {"live": ("live", "offline", "unknown"), "offline": ("offline", "unknown"),
             "drained": ("drained",)}
    for vip, state in st.items():
        info = r.execute_command(CMD + "suma_vip_info", G, vip)
        assert info[1] in later[state], (vip, info, state)
    # 10.0.0.8 goes quiet: the console shows it offline, then it is evicted.
    wait_until(lambda: states().get("10.0.0.8:9001", "evicted") in ("offline", "evicted"),
               what="silent host offline or evicted")


def test_drain_and_restore(http, r):
    seed(r)
    d = http.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"})
    assert d.status == 200 and d.json() == {"ok": True, "changed": 1}
    assert http.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"}).json()["changed"] == 0
    assert r.execute_command(CMD + "suma_vip_info", G, "10.0.0.8:9001")[7] == 1
    s = http.get("/api/group?g=" + G).json()
    assert [x["vip"] for x in s["drained"]] == ["10.0.0.8:9001"]
    assert http.post("/api/restore", {"g": G, "vip": "10.0.0.8:9001"}).json()["changed"] == 1
    assert r.execute_command(CMD + "suma_vip_drained", G) == []
    bad = http.post("/api/drain", {"g": G, "vip": "has space"})
    assert bad.status == 400 and "invalid" in bad.json()["error"]


def test_publish_cas_and_rollback(http, r):
    seed(r)
    v1 = config_version(r, "db.url")
    ok = http.post("/api/publish", {"g": G, "key": "db.url", "value": "mysql://b",
                                    "expected_version": v1}).json()
    v2 = ok["version"]
    assert ok == {"ok": True, "version": v2} and v2 > v1
    stale = http.post("/api/publish", {"g": G, "key": "db.url", "value": "mysql://c",
                                       "expected_version": v1})
    assert stale.status == 409
    assert r.execute_command(CMD + "suma_diamond_get", G, "db.url")[:2] == ["mysql://b", v2]
    new = http.post("/api/publish", {"g": G, "key": "new.key", "value": "x"}).json()["version"]
    assert new == config_version(r, "new.key") and new > v2
    rb = http.post("/api/rollback", {"g": G, "key": "db.url", "version": v1})
    v3 = rb.json()["version"]
    assert rb.json() == {"ok": True, "version": v3} and v3 > new
    assert r.execute_command(CMD + "suma_diamond_get", G, "db.url")[:2] == ["mysql://a", v3]
    hist = http.get("/api/config/history?g=%s&key=db.url" % G).json()
    assert [(h["version"], h["value"]) for h in hist] == [(v3, "mysql://a"), (v2, "mysql://b"), (v1, "mysql://a")]
    never = v3 + 1  # a version db.url never had
    assert http.post("/api/rollback", {"g": G, "key": "db.url", "version": never}).status == 404
    r.execute_command(CMD + "suma_diamond_delete", G, "new.key")
    deleted = r.execute_command(CMD + "suma_diamond_history", G, "new.key")[0][0]
    assert deleted > new  # the delete is a version of its own, with no value
    assert http.post("/api/rollback", {"g": G, "key": "new.key", "version": deleted}).status == 400


def test_binary_config_value_keeps_the_api_valid_json(http, r):
    r.execute_command(CMD + "suma_diamond_publish", G, "blob", b"\xff\xfe<script>\x00")
    s = http.get("/api/group?g=" + G)
    cfg = s.json()["configs"][0]
    assert cfg["value"] == "\ufffd\ufffd<script>\x00"
    assert b"<script>" not in s.body  # '<' is escaped in JSON


class SseReader:
    """Reads SSE frames from a raw socket, keeping what it has read so far."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def events(self, want, timeout=10):
        """Every data event so far, once at least `want` arrived (or timeout)."""
        self.sock.settimeout(timeout)
        deadline = time.time() + timeout
        while len(self.parsed()) < want and time.time() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        return self.parsed()

    def parsed(self):
        return [json.loads(l[6:]) for l in self.buf.split(b"\n") if l.startswith(b'data: {"type')]


def open_sse(console, cookie, group, last_id=None):
    s = socket.create_connection(("127.0.0.1", console.port), timeout=10)
    hdr = "GET /api/events?g=%s HTTP/1.1\r\nHost: x\r\nCookie: %s\r\nAccept: text/event-stream\r\n" % (group, cookie)
    if last_id is not None:
        hdr += "Last-Event-ID: %d\r\n" % last_id
    s.sendall((hdr + "\r\n").encode())
    return s


def session_cookie(http):
    return "; ".join("%s=%s" % (c.name, c.value) for c in http.jar)


def test_sse_feed_backlog_live_and_resume(console, http, r):
    seed(r)  # five events, seqs s0 .. s0+4
    s0 = json.loads(r.execute_command(CMD + "suma_events", G, 0)[0])["seq"]
    s = open_sse(console, session_cookie(http), G)
    try:
        sse = SseReader(s)
        assert [e["seq"] for e in sse.events(5)] == [s0 + i for i in range(5)]
        http.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"})
        evs = sse.events(6)
        assert [(e["seq"], e["type"], e.get("vip")) for e in evs][5:] == [(s0 + 5, "kill", "10.0.0.8:9001")]
    finally:
        s.close()
    s = open_sse(console, session_cookie(http), G, last_id=s0 + 3)
    try:
        assert [e["seq"] for e in SseReader(s).events(2)] == [s0 + 4, s0 + 5]
    finally:
        s.close()
    assert Http(console.url).get("/api/events?g=" + G).status == 401


def test_metrics_per_group_module_and_commands(console, http, r):
    seed(r)
    http.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"})
    text = Http(console.url).get("/metrics").text  # no login needed
    m = parse_metrics(text)
    assert metric(m, "suma_up") == 1
    assert metric(m, "suma_group_live_hosts", group=G) == 2
    assert metric(m, "suma_group_routable_hosts", group=G) == 1
    assert metric(m, "suma_group_drained_hosts", group=G) == 1
    assert metric(m, "suma_group_leader_epoch", group=G) == leader_epoch(r)
    assert metric(m, "suma_group_leader_present", group=G) == 1
    log = [json.loads(e)["seq"] for e in r.execute_command(CMD + "suma_events", G, 0)]
    assert log == list(range(log[0], log[0] + 6))  # seed's five and the kill, contiguous
    assert metric(m, "suma_group_last_event_seq", group=G) == log[-1]  # the group's event seq
    assert metric(m, "suma_group_tasks_queued", group=G) == 1
    assert metric(m, "suma_module_heartbeats_total") >= 2
    assert metric(m, "suma_module_elections_total") == 1
    assert metric(m, "suma_command_calls_total", command="suma_vip_kill") == 1
    assert metric(m, "suma_command_usec_per_call", command="suma_try_leader") > 0
    assert "# TYPE suma_group_last_event_seq gauge" in text
    assert "# TYPE suma_command_usec_per_call gauge" in text


def test_metrics_count_evictions(fast_srv):
    console = Console(fast_srv.port)
    try:
        check_evictions(console, fast_srv.client())
    finally:
        console.stop()


def check_evictions(console, r):
    r.execute_command(CMD + "suma_keep_alive", G, "10.0.0.5:9001")
    # host-ttl-ms is 400: after the start-up grace the silent host is evicted.
    wait_until(lambda: metric(parse_metrics(Http(console.url).get("/metrics").text),
                              "suma_group_evictions_total", group=G) == 1,
               timeout=15, what="eviction counted")
    m = parse_metrics(Http(console.url).get("/metrics").text)
    assert metric(m, "suma_module_evictions_total") == 1
    assert metric(m, "suma_group_live_hosts", group=G) == 0


def test_metrics_token(redis_srv):
    c = Console(redis_srv.port, extra=["--metrics-token", "tok"])
    try:
        h = Http(c.url)
        assert h.get("/metrics").status == 401
        assert h.get("/metrics", headers={"Authorization": "Bearer tok"}).status == 200
    finally:
        c.stop()


def test_refuses_public_listen_without_password(redis_srv):
    p = subprocess.run([CONSOLE_BIN, "--listen", "0.0.0.0:%d" % free_port(), "--redis",
                        "127.0.0.1:%d" % redis_srv.port], capture_output=True, text=True, timeout=10,
                       env={k: v for k, v in os.environ.items() if not k.startswith("SUMA_CONSOLE")})
    assert p.returncode == 2 and "without a console password" in p.stderr


def test_loopback_without_password_needs_no_login(redis_srv):
    c = Console(redis_srv.port, password="")
    try:
        assert Http(c.url).get("/api/me").json() == {"user": "", "auth": False}
    finally:
        c.stop()


def test_redis_password_stays_on_the_server():
    srv = RedisServer()
    try:
        srv.client().config_set("requirepass", "redis-pw-123")
        pwfile = os.path.join(srv.dir, "pw")
        with open(pwfile, "w") as f:
            f.write("redis-pw-123\n")
        c = Console(srv.port, extra=["--redis-password-file", pwfile])
        try:
            h = Http(c.url)
            h.login()
            rc = srv.client(password="redis-pw-123")
            seed(rc)
            bodies = [h.get(p).body for p in ("/", "/app.js", "/api/me", "/api/groups",
                                               "/api/group?g=" + G, "/metrics", "/healthz")]
            assert all(b"redis-pw-123" not in b for b in bodies)
            assert h.get("/api/group?g=" + G).json()["leader"]["epoch"] == leader_epoch(rc)
        finally:
            c.stop()
    finally:
        srv.cleanup()


def test_stops_promptly_with_an_open_event_stream(redis_srv):
    c = Console(redis_srv.port)
    h = Http(c.url)
    h.login()
    s = open_sse(c, session_cookie(h), G)
    try:
        sse = SseReader(s)
        sse.events(1, timeout=1)  # no events in this group: just let the stream open
        assert sse.buf.startswith(b"HTTP/1.1 200")
    finally:
        took = c.stop()
        s.close()
    print("console stop with an open SSE stream took %.3f s" % took)
    assert c.proc.returncode == 0


def test_password_guessing_is_throttled(console):
    h = Http(console.url)
    codes = [h.post("/login", {"user": "admin", "password": "guess%d" % i}, csrf=False).status
             for i in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    r = h.post("/login", {"user": "admin", "password": "s3cret"}, csrf=False)
    assert r.status == 429  # for the rest of the minute, even the right password
    assert "throttled" not in r.text and "too many failed logins" in r.json()["error"]


def test_tenant_acl_user_gets_the_live_feed(redis_srv):
    """A console run with a tenant's ACL user (no PSUBSCRIBE on every channel)
    still streams its groups' events, and sees no other tenant's group."""
    admin = redis_srv.client()
    admin.execute_command("ACL", "SETUSER", "zy", "on", ">zy-pw", "~agent.zy_*", "&agent.zy_*",
                          "+@all", "-psubscribe")
    seed(admin)
    seed(admin, "other.t_x")
    c = Console(redis_srv.port, extra=["--redis-user", "zy"], redis_password="zy-pw")
    try:
        h = Http(c.url)
        h.login()
        wait_until(lambda: metric(parse_metrics(h.get("/metrics").text), "suma_console_event_feed_up") == 1,
                   what="event feed up")
        s = open_sse(c, session_cookie(h), G)
        try:
            sse = SseReader(s)
            assert len(sse.events(5)) == 5
            # The hub subscribes to the group's channel on its first discovery.
            wait_until(lambda: admin.execute_command("PUBSUB", "NUMSUB", G + "_channel")[1] == 1,
                       what="per-group subscription")
            assert h.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"}).status == 200
            assert [e["type"] for e in sse.events(6)][5:] == ["kill"]
        finally:
            s.close()
        groups = h.get("/api/groups").json()["groups"]
        assert G in groups and "other.t_x" not in groups
    finally:
        c.stop()


def test_browsing_a_replica(redis_srv):
    """Every read works against a replica, the task queue too (suma_ci_task_info is
    read-only); actions are refused with the replica's READONLY error."""
    primary = redis_srv.client()
    seed(primary)
    rep = RedisServer(extra=["--replicaof", "127.0.0.1", str(redis_srv.port)])
    try:
        wait_until(lambda: rep.client().execute_command(CMD + "suma_ci_task_info", G, "STATS")[1] == 1,
                   what="replication")
        c = Console(rep.port)
        try:
            h = Http(c.url)
            h.login()
            s = h.get("/api/group?g=" + G).json()
            assert s["leader"]["epoch"] == leader_epoch(primary) and len(s["hosts"]) == 2
            assert "error" not in s["tasks"], s["tasks"]
            assert s["tasks"]["queued"] == 1 and s["tasks"]["claimed"] == 0
            assert s["tasks"]["pending"][0]["payload"] == '{"job":1}'
            drain = h.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"})
            assert drain.status == 400 and "READONLY" in drain.json()["error"]
            m = parse_metrics(h.get("/metrics").text)
            assert metric(m, "suma_group_live_hosts", group=G) == 2
            assert metric(m, "suma_group_tasks_queued", group=G) == 1
        finally:
            c.stop()
    finally:
        rep.cleanup()


def test_task_queue_is_read_under_oom(redis_srv, r):
    """A server over maxmemory refuses deny-oom commands (suma_ci_task) but the
    page and /metrics still show the task queue (suma_ci_task_info is read-only)."""
    seed(r)
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory", "1")
    try:
        with pytest.raises(Exception, match="OOM"):
            r.execute_command(CMD + "suma_ci_task", G + "_channel", "STATS")
        c = Console(redis_srv.port)
        try:
            h = Http(c.url)
            h.login()
            s = h.get("/api/group?g=" + G).json()
            assert "error" not in s["tasks"], s["tasks"]
            assert s["tasks"]["queued"] == 1
            m = parse_metrics(h.get("/metrics").text)
            assert metric(m, "suma_group_tasks_queued", group=G) == 1
        finally:
            c.stop()
    finally:
        r.config_set("maxmemory", "0")
