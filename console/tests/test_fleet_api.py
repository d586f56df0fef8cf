"""API tests of the console's Tenants routes (/api/fleet/*) against a fake fleet.

The fake (fake_fleet.py) implements the suma-fleet contract in docs/fleet.md with
real state transitions; these tests check what the console sends it (types,
bearer token, purge) and what the page gets back (statuses, error codes, the
one-time password), and that bad input never reaches the fleet.
"""
import json
import subprocess
import urllib.parse

import pytest

from console_support import CONSOLE_BIN, Console, Http, free_port, wait_until
from fake_fleet import FakeFleet

TOKEN = "fleet-token-7f3a"


@pytest.fixture
def fleet():
    f = FakeFleet(token=TOKEN, delay=0.4)
    yield f
    f.stop()


@pytest.fixture
def console(fleet):
    # No Redis behind it: the Tenants routes need none (free_port(): nothing listens).
    c = Console(free_port(), extra=["--fleet", fleet.url + "/"], env={"SUMA_FLEET_TOKEN": TOKEN})
    yield c
    c.stop()


@pytest.fixture
def http(console):
    h = Http(console.url)
    h.login()
    return h


def tenant(http, name):
    r = http.get("/api/fleet/tenant?name=" + name)
    return r.json() if r.status == 200 else None


def create(http, **over):
    form = {"owner": "agent.zy", "business": "test", "memory_mb": "128", "cpus": "0.5",
            "replicas": "1", "persistence": "everysec"}
    form.update(over)
    return http.post("/api/fleet/create", form)


def fleet_posts(fleet, path_part):
    return [r for r in fleet.requests if r["method"] != "GET" and path_part in r["path"]]


def test_info_says_whether_a_fleet_is_configured(http, console):
    assert http.get("/api/fleet/info").json() == {"enabled": True}
    assert Http(console.url).get("/api/fleet/info").status == 401
    plain = Console(free_port())
    try:
        h = Http(plain.url)
        h.login()
        assert h.get("/api/fleet/info").json() == {"enabled": False}
        r = h.get("/api/fleet/tenants")
        assert r.status == 404 and r.json()["code"] == "NO_FLEET"
        assert h.post("/api/fleet/create", {"owner": "a", "business": "b"}).status == 404
    finally:
        plain.stop()


def test_routes_need_a_session_and_the_csrf_header(console, fleet):
    anon = Http(console.url)
    assert anon.get("/api/fleet/tenants").status == 401
    assert anon.post("/api/fleet/create", {"owner": "a"}).status == 401
    h = Http(console.url)
    h.login()
    r = h.post("/api/fleet/delete", {"name": "agent.zy_test"}, csrf=False)
    assert r.status == 403
    assert fleet_posts(fleet, "/v1/tenants") == []


def test_create_runs_to_running_with_password_once_and_token_sent(http, fleet):
    r = create(http)
    assert r.status == 202, r.body
    body = r.json()
    assert body["tenant"]["name"] == "agent.zy_test" and body["tenant"]["state"] == "creating"
    assert len(body["password"]) >= 16
    assert r.headers["Cache-Control"] == "no-store"
    sent = fleet_posts(fleet, "/v1/tenants")[-1]
    assert sent["headers"]["Authorization"] == "Bearer " + TOKEN
    assert sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == {"owner": "agent.zy", "business": "test", "memory_mb": 128,
                                        "cpus": 0.5, "replicas": 1, "persistence": "everysec"}
    wait_until(lambda: (tenant(http, "agent.zy_test") or {}).get("state") == "running", timeout=5)
    t = http.get("/api/fleet/tenants").json()["tenants"][0]
    assert t["usage"]["maxmemory"] == 128 * 1024 * 1024 * 3 // 4
    assert t["usage"]["connected_clients"] == 1
    assert t["connection"].startswith("redis://default@127.0.0.1:") and body["password"] not in t["connection"]
    assert len(t["replica_ports"]) == 1

    # Same spec again: 200, no password; a different spec: 409 CONFLICT.
    again = create(http)
    assert again.status == 200 and "password" not in again.json()
    diff = create(http, memory_mb="256")
    assert diff.status == 409 and diff.json()["code"] == "CONFLICT"
    assert "different spec" in diff.json()["error"]


def test_busy_while_an_operation_runs_then_scale(http, fleet):
    assert create(http).status == 202
    r = http.post("/api/fleet/scale", {"name": "agent.zy_test", "memory_mb": "256"})
    assert r.status == 409 and r.json() == {"ok": False, "code": "BUSY",
                                             "error": "agent.zy_test: a create is running"}
    wait_until(lambda: tenant(http, "agent.zy_test")["state"] == "running", timeout=5)
    r = http.post("/api/fleet/scale", {"name": "agent.zy_test", "memory_mb": "256", "replicas": "3"})
    assert r.status == 202 and r.json()["tenant"]["state"] == "changing"
    assert json.loads(fleet_posts(fleet, "/scale")[-1]["body"]) == {"memory_mb": 256, "replicas": 3}
    assert http.post("/api/fleet/delete", {"name": "agent.zy_test"}).json()["code"] == "BUSY"
    wait_until(lambda: tenant(http, "agent.zy_test")["state"] == "running", timeout=5)
    t = tenant(http, "agent.zy_test")
    assert t["spec"]["memory_mb"] == 256 and t["spec"]["replicas"] == 3 and len(t["replica_ports"]) == 3


def test_quota_and_fleet_side_validation_pass_through(http, fleet):
    fleet.max_memory_mb = 300
    assert create(http, business="a", memory_mb="200").status == 202
    r = create(http, business="b", memory_mb="200")
    assert r.status == 422 and r.json()["code"] == "QUOTA" and "quota of 300 MB" in r.json()["error"]
    r = create(http, business="c", memory_mb="16")
    assert r.status == 400 and r.json()["code"] == "BAD_REQUEST" and "minimum of 32" in r.json()["error"]
    r = create(http, owner="bad owner")
    assert r.status == 400 and "invalid tenant name" in r.json()["error"]
    names = [t["name"] for t in http.get("/api/fleet/tenants").json()["tenants"]]
    assert names == ["agent.zy_a"]


@pytest.mark.parametrize("form, message", [
    ({"memory_mb": "12x"}, "memory_mb must be a whole number"),
    ({"memory_mb": "1.5"}, "memory_mb must be a whole number"),
    ({"cpus": "half"}, "cpus must be a number"),
    ({"cpus": "inf"}, "cpus must be a number"),
    ({"replicas": "two"}, "replicas must be a whole number"),
    ({"owner": ""}, "missing owner"),
    ({"memory_mb": ""}, "missing memory_mb"),
])
def test_console_refuses_bad_form_before_the_fleet(http, fleet, form, message):
    r = create(http, **form)
    assert r.status == 400 and r.json()["error"] == message
    assert fleet_posts(fleet, "/v1/tenants") == []


@pytest.mark.parametrize("name", ["", "../v1", "a/b", "a?b", "a b", ".."])
def test_bad_tenant_names_never_reach_the_fleet(http, fleet, name):
    for path, form in [("/api/fleet/scale", {"name": name, "cpus": "1"}),
                       ("/api/fleet/delete", {"name": name}),
                       ("/api/fleet/credentials", {"name": name})]:
        r = http.post(path, form)
        assert r.status == 400 and r.json()["error"] == "missing or invalid tenant name"
    assert http.get("/api/fleet/tenant?name=" + urllib.parse.quote(name, safe="")).status == 400
    assert fleet_posts(fleet, "/v1/tenants") == []


def test_scale_needs_a_change_and_unknown_tenant_is_404(http, fleet):
    r = http.post("/api/fleet/scale", {"name": "agent.zy_test"})
    assert r.status == 400 and "nothing to scale" in r.json()["error"]
    r = http.post("/api/fleet/scale", {"name": "agent.zy_none", "cpus": "1"})
    assert r.status == 404 and r.json()["code"] == "NOT_FOUND"
    assert http.get("/api/fleet/tenant?name=agent.zy_none").status == 404


def test_credentials_and_delete_with_and_without_purge(http, fleet, console):
    assert create(http, business="keep").status == 202
    assert create(http, business="drop").status == 202
    wait_until(lambda: all(t["state"] == "running" for t in http.get("/api/fleet/tenants").json()["tenants"]),
               timeout=5)
    r = http.post("/api/fleet/credentials", {"name": "agent.zy_keep"})
    assert r.status == 200 and len(r.json()["password"]) >= 16
    password = r.json()["password"]

    assert http.post("/api/fleet/delete", {"name": "agent.zy_keep"}).status == 202
    assert http.post("/api/fleet/delete", {"name": "agent.zy_drop", "purge": "1"}).status == 202
    deletes = {r["path"] for r in fleet.requests if r["method"] == "DELETE"}
    assert deletes == {"/v1/tenants/agent.zy_keep", "/v1/tenants/agent.zy_drop?purge=1"}
    wait_until(lambda: http.get("/api/fleet/tenants").json()["tenants"] == [], timeout=5)
    # Changes are logged with the operator; passwords and the token never are.
    log = console.log()
    assert "fleet delete agent.zy_drop (purge) by admin -> 202" in log
    assert "fleet create agent.zy_keep by admin -> 202" in log
    assert password not in log and TOKEN not in log


def test_token_never_reaches_the_browser(http):
    for path in ["/", "/app.js", "/tenants.js", "/api/me", "/api/fleet/info", "/api/fleet/tenants"]:
        assert TOKEN.encode() not in http.get(path).body


def test_failed_create_shows_reason(http, fleet):
    fleet.fail_next_create = "engine: image not found"
    assert create(http).status == 202
    wait_until(lambda: tenant(http, "agent.zy_test")["state"] == "failed", timeout=5)
    t = tenant(http, "agent.zy_test")
    assert t["reason"] == "engine: image not found" and "usage" not in t


def test_fleet_down_or_wrong_token_is_502_not_401(fleet):
    down = Console(free_port(), extra=["--fleet", "http://127.0.0.1:%d" % free_port()])
    wrong = Console(free_port(), extra=["--fleet", fleet.url], env={"SUMA_FLEET_TOKEN": "nope"})
    try:
        for c, code in [(down, "FLEET_UNREACHABLE"), (wrong, "FLEET_AUTH")]:
            h = Http(c.url)
            h.login()
            r = h.get("/api/fleet/tenants")
            assert r.status == 502 and r.json()["code"] == code, r.body
            assert h.get("/api/fleet/info").status == 200  # the console session still stands
    finally:
        down.stop()
        wrong.stop()


def test_token_from_a_file(fleet, tmp_path):
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    c = Console(free_port(), extra=["--fleet", fleet.url, "--fleet-token-file", str(f)])
    try:
        h = Http(c.url)
        h.login()
        assert h.get("/api/fleet/tenants").status == 200
    finally:
        c.stop()
    p = subprocess.run([CONSOLE_BIN, "--fleet", fleet.url, "--fleet-token-file", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "cannot read --fleet-token-file" in p.stderr


def test_invalid_fleet_url_is_refused_at_start():
    p = subprocess.run([CONSOLE_BIN, "--fleet", "127.0.0.1:10090"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "invalid --fleet" in p.stderr


def test_console_metrics_have_no_fleet_series(http):
    text = http.get("/metrics").text
    assert "tenant" not in text and "fleet" not in text
