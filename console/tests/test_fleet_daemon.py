"""The console's Tenants routes against the real suma-fleet daemon (not the fake).

Checks that the two halves agree on the API: the daemon's list, its 404, 400
and 503 error objects and its bearer-token refusal come through the console as
the page expects. The daemon runs with a control server (redis-server with
sumavlib) and a container-engine socket that does not exist, so no container is
started: create ends in ENGINE_DOWN. (The full path through a real engine is
suma-fleet's own podman suite.)

The daemon is SUMA_FLEET_BIN, or SUMA_BUILD_DIR/fleet/suma-fleet; without one
the tests skip, saying why.
"""
import os
import subprocess
import tempfile
import urllib.request

import pytest

from console_support import Console, Http, RedisServer, free_port, wait_until

TOKEN = "daemon-test-token"
FLEET_BIN = os.environ.get("SUMA_FLEET_BIN") or os.path.join(os.environ.get("SUMA_BUILD_DIR", "build"),
                                                             "fleet", "suma-fleet")
pytestmark = pytest.mark.skipif(not os.access(FLEET_BIN, os.X_OK),
                                reason="no suma-fleet binary at %s (build the suma-fleet target)" % FLEET_BIN)


@pytest.fixture(scope="module")
def daemon():
    ctl = RedisServer()
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="suma-fleet-", suffix=".log", delete=False)
    proc = subprocess.Popen([FLEET_BIN, "serve", "--listen", "127.0.0.1:%d" % port,
                             "--engine", os.path.join(tempfile.gettempdir(), "suma-no-engine-%d.sock" % port),
                             "--control", "127.0.0.1:%d" % ctl.port, "--ports", "%d-%d" % (port + 1, port + 20)],
                            stdout=log, stderr=log, env=dict(os.environ, SUMA_FLEET_TOKEN=TOKEN))

    def healthy():
        try:
            return urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2).status == 200
        except OSError:
            return False
    try:
        wait_until(healthy, timeout=15, what="suma-fleet /healthz", on_fail=lambda: open(log.name).read())
        yield "http://127.0.0.1:%d" % port
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        ctl.cleanup()
        os.unlink(log.name)


@pytest.fixture
def http(daemon):
    c = Console(free_port(), extra=["--fleet", daemon], env={"SUMA_FLEET_TOKEN": TOKEN})
    h = Http(c.url)
    h.login()
    yield h
    c.stop()


def test_list_and_unknown_tenant(http):
    assert http.get("/api/fleet/info").json() == {"enabled": True}
    r = http.get("/api/fleet/tenants")
    assert r.status == 200 and r.json()["tenants"] == []
    r = http.get("/api/fleet/tenant?name=agent.zy_none")
    assert r.status == 404 and r.json()["code"] == "NOT_FOUND"
    for path, form in [("/api/fleet/scale", {"name": "agent.zy_none", "cpus": "1"}),
                       ("/api/fleet/delete", {"name": "agent.zy_none", "purge": "1"}),
                       ("/api/fleet/credentials", {"name": "agent.zy_none"})]:
        r = http.post(path, form)
        assert r.status == 404 and r.json()["code"] == "NOT_FOUND", (path, r.body)


def test_create_errors_come_through(http):
    form = {"owner": "agent.zy", "business": "test", "memory_mb": "128", "cpus": "0.5", "replicas": "1",
            "persistence": "always"}
    r = http.post("/api/fleet/create", form)
    assert r.status == 503 and r.json()["code"] == "ENGINE_DOWN", r.body
    r = http.post("/api/fleet/create", dict(form, memory_mb="1"))
    assert r.status == 400 and r.json()["code"] == "BAD_REQUEST" and "memory_mb" in r.json()["error"]
    assert http.get("/api/fleet/tenants").json()["tenants"] == []  # nothing left behind


def test_wrong_token_is_502(daemon):
    c = Console(free_port(), extra=["--fleet", daemon], env={"SUMA_FLEET_TOKEN": "not-" + TOKEN})
    try:
        h = Http(c.url)
        h.login()
        r = h.get("/api/fleet/tenants")
        assert r.status == 502 and r.json()["code"] == "FLEET_AUTH"
    finally:
        c.stop()
