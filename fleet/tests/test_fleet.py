"""suma-fleet against a real container engine (podman's Docker-compatible API
service, started here) and a real control server (redis-server + sumavlib).

If podman cannot run, the suite prints FLEET PODMAN SKIPPED and skips, except
with CI=true, where it fails: CI must prove the fleet on a real engine."""
import os
import re
import shutil
import subprocess
import time

import pytest
import redis

from suma_testing import ephemeral_low
from fleet_env import (Engine, EngineUnavailable, FleetProc, RedisServer, cgroup_memory_limit, free_port_range,
                       poll)

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def engine():
    try:
        e = Engine()
    except EngineUnavailable as ex:
        if IN_CI:
            pytest.fail("podman is required in CI: %s" % ex)
        print("FLEET PODMAN SKIPPED: %s" % ex)
        pytest.skip(str(ex))
    try:
        e.build_image()
        yield e
    finally:
        e.close()


@pytest.fixture(scope="module")
def control():
    s = RedisServer()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def fleet(engine, control):
    f = FleetProc(engine.sock, control.port, free_port_range(60),
                  extra=["--max-tenants", "12", "--max-memory-mb", "2048", "--max-cpus", "6"])
    yield f
    f.stop()


def host_pid_of(parent, comm):
    """The host pid of the child of `parent` named `comm` (containers have their own pid numbers)."""
    with open("/proc/%d/task/%d/children" % (parent, parent)) as f:
        for pid in f.read().split():
            with open("/proc/%s/comm" % pid) as c:
                if c.read().strip() == comm:
                    return int(pid)
    raise AssertionError("no %s under pid %d" % (comm, parent))


def why(t, fleet):
    """The tenant and the fleet's log as a plain string (pytest shortens a tuple's repr)."""
    import json
    return "tenant: %s\nfleet log:\n%s" % (json.dumps(t, indent=1), fleet.log_tail())


def create(fleet, owner, business, memory_mb=64, cpus=0.5, **kw):
    body = dict(owner=owner, business=business, memory_mb=memory_mb, cpus=cpus, **kw)
    st, r = fleet.request("POST", "/v1/tenants", body)
    assert st == 202, (st, r)
    t = fleet.wait_idle(r["tenant"]["name"])
    assert t["state"] == "running", why(t, fleet)
    return t, r["password"]


def client(t, password, port=None):
    return redis.Redis(host="127.0.0.1", port=port or t["port"], password=password, decode_responses=True,
                       socket_timeout=10)


def events(control, tenant):
    out = control.client().execute_command("sumavlib.suma_events", tenant + "_channel", 0)
    import json
    return [json.loads(e) for e in out]


def fleet_events(control, tenant):
    return [e["data"]["event"] for e in events(control, tenant)
            if e.get("type") == "message" and isinstance(e.get("data"), dict) and e["data"].get("source") == "suma-fleet"]


def delete(fleet, name, purge=True):
    st, r = fleet.request("DELETE", "/v1/tenants/%s%s" % (name, "?purge=1" if purge else ""))
    assert st == 202, (st, r)
    assert fleet.wait_idle(name) is None


def test_cli_create_gives_a_running_tenant_locked_server(engine, control, fleet):
    r = fleet.cli("create", "agent.zy", "test", "--memory", "128", "--cpus", "0.5")
    password = re.search(r"password\s+(\S+)", r.stdout).group(1)
    conn = re.search(r"connection\s+(\S+)", r.stdout).group(1)
    assert "state      running" in r.stdout, r.stdout
    assert conn.startswith("redis://default@127.0.0.1:") and password not in conn
    port = int(conn.rsplit(":", 1)[1])

    # redis-cli and redis-py through the connection string plus the password.
    url = conn.replace("default@", "default:%s@" % password)
    out = subprocess.run(["redis-cli", "-u", url, "--no-auth-warning", "PING"], stdout=subprocess.PIPE, text=True)
    assert out.stdout.strip() == "PONG"
    c = redis.Redis.from_url(url, decode_responses=True)
    assert c.set("k", "v") and c.get("k") == "v"
    with pytest.raises(redis.exceptions.RedisError, match="WRONGPASS|invalid"):
        redis.Redis(port=port, password="wrong").ping()
    # Locked to the tenant: its own group works, another tenant's is refused.
    assert c.execute_command("sumavlib.suma_try_leader", "agent.zy_test_master", "10.0.0.1:1")
    with pytest.raises(redis.exceptions.NoPermissionError, match="group 'other.x_biz' does not belong"):
        c.execute_command("sumavlib.suma_try_leader", "other.x_biz_master", "10.0.0.1:1")
    # Registered: in the control server's registry and in the tenant's own.
    vip = "127.0.0.1:%d" % port
    assert vip in control.client().execute_command("sumavlib.suma_vip_server_list", "*", "GROUP", "agent.zy_test")
    assert vip in c.execute_command("sumavlib.suma_vip_server_list", "*", "GROUP", "agent.zy_test")
    import json
    meta = json.loads(control.client().execute_command("sumavlib.suma_vip_server_get", "agent.zy_test_master", vip)[0])
    assert meta == {"role": "primary", "port": port, "memory_mb": 128, "cpus": 0.5}
    assert fleet_events(control, "agent.zy_test")[:2] == ["creating", "running"]
    # The record keeps only a salted hash.
    rec = control.client().execute_command("sumavlib.suma_diamond_get", "suma.fleet_control", "tenant.agent.zy_test")
    assert password not in rec[0] and '"password_hash":"sha256:' in rec[0]
    assert "admin" not in rec[0]
    # Container: limits and labels.
    info = engine.inspect("suma-agent.zy_test-primary")
    assert info["HostConfig"]["Memory"] == 128 << 20
    assert info["HostConfig"]["NanoCpus"] == 500000000
    assert info["Config"]["Labels"]["suma.tenant"] == "agent.zy_test"
    assert info["Config"]["Labels"]["suma.role"] == "primary"
    # A uid of its own (uid-base 200000 + its port), the entrypoint's and Redis's both.
    want_uid = 200000 + port
    with open("/proc/%d/status" % info["State"]["Pid"]) as f:
        uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
    assert set(uids) == {str(want_uid)}, uids
    assert any(line.startswith("Uid:\t%d\t" % want_uid) for line in
               open("/proc/%d/status" % host_pid_of(info["State"]["Pid"], "redis-server")))
    assert c.config_get("maxmemory")["maxmemory"] == str(96 << 20)
    assert c.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    # Usage and metrics.
    t = fleet.tenant("agent.zy_test")
    assert t["usage"]["maxmemory"] == 96 << 20 and t["usage"]["used_memory"] > 0
    m = fleet.metrics()
    assert 'suma_fleet_tenant_state{tenant="agent.zy_test",state="running"} 1' in m
    assert 'suma_fleet_operations_total{kind="create",result="done"}' in m
    assert 'suma_fleet_tenant_used_memory_bytes{tenant="agent.zy_test"}' in m
    # Same spec again: 200, no new password; CLI list and show.
    st, again = fleet.request("POST", "/v1/tenants", {"owner": "agent.zy", "business": "test", "memory_mb": 128, "cpus": 0.5})
    assert st == 200 and "password" not in again
    assert "agent.zy_test" in fleet.cli("list").stdout
    assert "running" in fleet.cli("show", "agent.zy_test").stdout
    # New credentials: the new password works, the old one no longer, data kept.
    cr = fleet.cli("credentials", "agent.zy_test")
    new = re.search(r"password\s+(\S+)", cr.stdout).group(1)
    assert new != password
    assert client(t, new).get("k") == "v"
    with pytest.raises(redis.exceptions.RedisError, match="WRONGPASS|invalid"):
        client(t, password).ping()
    delete(fleet, "agent.zy_test")


def test_scale_memory_live_and_replicas_up_then_down(engine, control, fleet):
    t, pw = create(fleet, "scale", "one", memory_mb=64)
    c = client(t, pw)
    c.set("x", "1")
    before = engine.inspect("suma-scale_one-primary")["Id"]
    cgroup_v1 = os.path.isdir("/sys/fs/cgroup/memory")
    assert cgroup_memory_limit(before) == (64 << 20 if cgroup_v1 else cgroup_memory_limit(before))
    st, r = fleet.request("POST", "/v1/tenants/scale_one/scale", {"memory_mb": 96, "cpus": 1})
    assert st == 202 and r["tenant"]["state"] == "changing"
    t = fleet.wait_idle("scale_one")
    assert t["state"] == "running" and t["operation"]["state"] == "done", t
    assert engine.inspect("suma-scale_one-primary")["Id"] == before  # live, not recreated
    limit = cgroup_memory_limit(before)
    assert limit == 96 << 20 or (not cgroup_v1 and limit is None), limit  # the kernel's limit moved
    assert c.config_get("maxmemory")["maxmemory"] == str(72 << 20)
    assert t["spec"]["memory_mb"] == 96 and t["spec"]["cpus"] == 1

    st, r = fleet.request("POST", "/v1/tenants/scale_one/scale", {"replicas": 1})
    assert st == 202
    t = fleet.wait_idle("scale_one")
    assert t["state"] == "running" and len(t["replica_ports"]) == 1, why(t, fleet)
    rep = client(t, pw, port=t["replica_ports"][0])
    poll(lambda: rep.info("replication").get("master_link_status") == "up", timeout=20, what="replica link")
    poll(lambda: rep.get("x") == "1", timeout=10, what="replicated key")
    assert rep.info("replication")["role"] == "slave"
    info = engine.inspect("suma-scale_one-replica1")
    assert info["Config"]["Labels"]["suma.role"] == "replica"
    vips = control.client().execute_command("sumavlib.suma_vip_server_list", "*", "GROUP", "scale_one")
    assert len(vips) == 2

    out = fleet.cli("scale", "scale_one", "--replicas", "0", "--memory", "64").stdout
    assert "state      running" in out and "operation" in out and "scale done" in out, out
    t = fleet.wait_idle("scale_one")
    assert t["state"] == "running" and t["replica_ports"] == [], t
    assert engine.inspect("suma-scale_one-replica1") is None
    assert c.config_get("maxmemory")["maxmemory"] == str(48 << 20)
    assert len(control.client().execute_command("sumavlib.suma_vip_server_list", "*", "GROUP", "scale_one")) == 1
    assert len(c.execute_command("sumavlib.suma_vip_server_list", "*", "GROUP", "scale_one")) == 1
    assert c.get("x") == "1"
    delete(fleet, "scale_one")


def test_delete_keeps_the_volume_unless_purge(engine, control, fleet):
    t, pw = create(fleet, "del", "one", persistence="always")
    client(t, pw).set("kept", "yes")
    delete(fleet, "del_one", purge=False)
    assert engine.inspect("suma-del_one-primary") is None
    assert "suma-del_one-primary-data" in engine.volumes()
    assert fleet.tenant("del_one") is None
    assert control.client().execute_command("sumavlib.suma_vip_server_list", "*", "GROUP", "del_one") == []
    assert fleet_events(control, "del_one")[-1] == "deleted"
    # Made again on the kept volume: the data is back (under a new password).
    t, pw2 = create(fleet, "del", "one", persistence="always")
    assert client(t, pw2).get("kept") == "yes"
    r = fleet.cli("delete", "del_one", "--purge")
    assert "deleted del_one" in r.stdout
    assert "suma-del_one-primary-data" not in engine.volumes()


def test_killed_container_is_restarted_by_reconciliation(engine, control, fleet):
    t, pw = create(fleet, "kill", "one")
    # Scaled live first: the restart must keep the new limits, not the container's original ones.
    assert fleet.request("POST", "/v1/tenants/kill_one/scale", {"memory_mb": 96})[0] == 202
    assert fleet.wait_idle("kill_one")["operation"]["state"] == "done"
    before = engine.inspect("suma-kill_one-primary")
    cid = before["Id"]
    st, _ = engine.call("POST", "/containers/%s/kill" % cid)
    assert st == 204
    poll(lambda: engine.inspect(cid)["State"]["Running"] and
         engine.inspect(cid)["State"]["StartedAt"] != before["State"]["StartedAt"],
         timeout=30, what="container restarted", on_fail=fleet.log_tail)
    poll(lambda: _pings(t, pw), timeout=20, what="PONG after restart")
    poll(lambda: "restarted" in fleet_events(control, "kill_one"), timeout=10, what="restarted event")
    assert client(t, pw).config_get("maxmemory")["maxmemory"] == str(72 << 20)
    if os.path.isdir("/sys/fs/cgroup/memory"):
        assert cgroup_memory_limit(cid) == 96 << 20
    assert re.search(r"suma_fleet_restarts_total [1-9]", fleet.metrics())
    assert fleet.tenant("kill_one")["state"] == "running"
    delete(fleet, "kill_one")


def _pings(t, pw):
    try:
        return client(t, pw).ping()
    except redis.exceptions.RedisError:
        return False


def test_container_without_record_is_reported_never_deleted(engine, control, fleet):
    st, body = engine.call("POST", "/containers/create?name=ghost-container",
                           {"Image": "suma-apollo-redis:fleet-test", "Labels": {"suma.tenant": "ghost_x"}})
    assert st == 201, body
    try:
        def reported():
            st, r = fleet.request("GET", "/v1/tenants")
            return [u for u in r["unmanaged"] if u["name"] == "ghost-container"]
        u = poll(reported, timeout=10, what="unmanaged report")
        assert u[0]["tenant"] == "ghost_x"
        assert re.search(r"suma_fleet_unmanaged_containers [1-9]", fleet.metrics())
        time.sleep(1.2)  # two more reconcile rounds
        assert engine.inspect("ghost-container") is not None
    finally:
        engine.call("DELETE", "/containers/ghost-container?force=1")


def test_fleet_kill9_during_create_ends_running_or_cleanly_failed(engine, control, fleet):
    # With a pause after the containers are made, the kill lands mid-create:
    # the restarted fleet resumes (the containers hold the password).
    fleet.kill9()
    fleet.start(extra=["--step-delay-ms", "4000"])
    st, r = fleet.request("POST", "/v1/tenants", {"owner": "crash", "business": "one", "memory_mb": 64, "cpus": 0.5})
    assert st == 202
    pw = r["password"]
    poll(lambda: engine.inspect("suma-crash_one-primary"), timeout=20, what="container made")
    fleet.kill9()
    assert not engine.inspect("suma-crash_one-primary")["State"]["Running"]
    fleet.start()
    t = fleet.wait_idle("crash_one")
    assert t["state"] == "running", t
    assert client(t, pw).ping()

    # Killed right after the 202, wherever it was: running or failed with nothing left.
    st, r = fleet.request("POST", "/v1/tenants", {"owner": "crash", "business": "two", "memory_mb": 64, "cpus": 0.5})
    assert st == 202
    fleet.kill9()
    fleet.start()
    t = fleet.wait_idle("crash_two")
    assert t["state"] in ("running", "failed"), t
    if t["state"] == "failed":
        assert t["reason"]
        # A create the dead fleet had sent may finish in the engine after the rollback:
        # reconciliation removes it.
        poll(lambda: not [c for c in engine.containers() if c["Labels"].get("suma.tenant") == "crash_two"],
             timeout=15, what="no container of crash_two left", on_fail=fleet.log_tail)
        assert not [v for v in engine.volumes() if v.startswith("suma-crash_two-")]
    else:
        assert client(t, r["password"]).ping()
    delete(fleet, "crash_one")
    delete(fleet, "crash_two")


def test_a_64mb_tenant_cannot_hold_more(engine, control, fleet):
    t, pw = create(fleet, "oom", "one", memory_mb=64)
    c = client(t, pw)
    blob = "x" * (1 << 20)
    err = None
    for i in range(128):  # 128 MB would be twice the limit
        try:
            c.set("big:%d" % i, blob)
        except redis.exceptions.ResponseError as e:
            err = str(e)
            break
    assert err and err.startswith("OOM command not allowed"), err
    assert c.ping()
    used = c.info("memory")["used_memory"]
    assert used <= 64 << 20
    assert engine.inspect("suma-oom_one-primary")["State"]["Running"]
    assert engine.inspect("suma-oom_one-primary")["State"].get("OOMKilled") in (False, None)
    # Coordination state is never evicted: the module's commands still answer.
    assert c.execute_command("sumavlib.suma_group_info", "oom_one_master") is not None
    delete(fleet, "oom_one")


def test_every_bad_input_is_refused_and_leaves_nothing(engine, control, fleet):
    def post(body, raw=None):
        return fleet.request("POST", "/v1/tenants", body, raw=raw)

    ok = {"owner": "bad", "business": "one", "memory_mb": 64, "cpus": 0.5}
    cases = [
        (dict(ok, owner="bad_owner"), 400, "invalid owner"),
        (dict(ok, owner=""), 400, "invalid owner '': empty"),
        (dict(ok, business="has space"), 400, "invalid business"),
        (dict(ok, business="master"), 400, "not a sumavlib group name"),
        (dict(ok, memory_mb=16), 400, "the minimum is 32 MB"),
        (dict(ok, memory_mb="64"), 400, "memory_mb: must be an integer"),
        (dict(ok, cpus=0), 400, "invalid cpus"),
        (dict(ok, replicas=4), 400, "invalid replicas 4"),
        (dict(ok, persistence="never"), 400, "invalid persistence"),
        (dict(ok, colour="red"), 400, "unknown field 'colour'"),
        ({"owner": "bad", "business": "one", "cpus": 1}, 400, "missing field 'memory_mb'"),
        (dict(ok, memory_mb=4096), 422, "quota exceeded: memory"),
        (dict(ok, cpus=7), 422, "quota exceeded: cpus"),
    ]
    for body, status, text in cases:
        st, r = post(body)
        assert st == status, (body, st, r)
        assert text in r["error"]["message"], (body, r)
        assert r["error"]["code"] == {400: "BAD_REQUEST", 422: "QUOTA"}[status]
    st, r = post(None, raw="{not json")
    assert st == 400 and r["error"]["code"] == "BAD_REQUEST"
    for method, path in [("GET", "/v1/tenants/nobody_here"), ("POST", "/v1/tenants/nobody_here/scale"),
                         ("DELETE", "/v1/tenants/nobody_here"), ("POST", "/v1/tenants/nobody_here/credentials")]:
        st, r = fleet.request(method, path, {"replicas": 1} if path.endswith("scale") else None)
        assert st == 404 and r["error"]["code"] == "NOT_FOUND", (path, st, r)
    st, r = fleet.request("DELETE", "/v1/tenants/x_y?purge=maybe")
    assert st == 400
    assert fleet.tenant("bad_one") is None
    assert not [c for c in engine.containers() if c["Labels"].get("suma.tenant", "").startswith("bad")]

    # Conflict and busy.
    st, r = post(dict(ok, business="busy"))
    assert st == 202
    st2, r2 = fleet.request("POST", "/v1/tenants/bad_busy/scale", {"memory_mb": 96})
    assert st2 == 409 and r2["error"]["code"] == "BUSY", r2
    fleet.wait_idle("bad_busy")
    st, r = post(dict(ok, business="busy", memory_mb=128))
    assert st == 409 and r["error"]["code"] == "CONFLICT"
    st, r = fleet.request("POST", "/v1/tenants/bad_busy/scale", {"memory_mb": 16})
    assert st == 400
    assert fleet.tenant("bad_busy")["spec"]["memory_mb"] == 64
    delete(fleet, "bad_busy")
    # The CLI reports the error and exits non-zero.
    r = fleet.cli("create", "bad", "cli", "--memory", "8", "--cpus", "1", check=False)
    assert r.returncode == 1 and "BAD_REQUEST (HTTP 400): invalid memory_mb 8" in r.stderr


def test_tenant_quota_and_engine_down_on_separate_fleets(engine, control):
    other = RedisServer()
    f = FleetProc(engine.sock, other.port, free_port_range(10), extra=["--max-tenants", "1"], token="s3cret")
    try:
        st, r = f.request("GET", "/v1/tenants")
        assert st == 401
        auth = {"Authorization": "Bearer s3cret"}
        st, r = f.request("POST", "/v1/tenants", {"owner": "q", "business": "one", "memory_mb": 32, "cpus": 0.2},
                          headers=auth)
        assert st == 202, r
        st, r = f.request("POST", "/v1/tenants", {"owner": "q", "business": "two", "memory_mb": 32, "cpus": 0.2},
                          headers=auth)
        assert st == 422 and "quota exceeded: tenants" in r["error"]["message"]
        f.env["SUMA_FLEET_TOKEN"] = "s3cret"
        poll(lambda: f.request("GET", "/v1/tenants/q_one", headers=auth)[1]["operation"]["state"] != "running",
             timeout=60, what="q_one created")
        f.cli("delete", "q_one", "--purge")
    finally:
        f.stop()
        other.cleanup()
    other = RedisServer()
    # A range inside the kernel's ephemeral ports: the daemon warns at start.
    lo = ephemeral_low()
    down = FleetProc("/tmp/no-such-engine.sock", other.port, (lo, lo + 9))
    try:
        poll(lambda: "overlaps the ephemeral ports" in down.log_tail(), timeout=10,
             what="the ephemeral-range warning")
        st, r = down.request("POST", "/v1/tenants", {"owner": "e", "business": "down", "memory_mb": 64, "cpus": 0.5})
        assert st == 503 and r["error"]["code"] == "ENGINE_DOWN", r
        assert down.request("GET", "/v1/tenants")[1]["tenants"] == []
        poll(lambda: "suma_fleet_engine_up 0" in down.metrics(), timeout=10, what="engine_up 0")
    finally:
        down.stop()
        other.cleanup()


def test_parallel_creates_get_distinct_ports_and_all_run(engine, control, fleet):
    import threading
    replies = {}

    def make(i):
        replies[i] = fleet.request("POST", "/v1/tenants", {"owner": "par", "business": "t%d" % i,
                                                           "memory_mb": 32, "cpus": 0.1})
    threads = [threading.Thread(target=make, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(st == 202 for st, _ in replies.values()), replies
    ports = [r["tenant"]["port"] for _, r in replies.values()]
    assert len(set(ports)) == 6
    for i, (_, r) in replies.items():
        t = fleet.wait_idle("par_t%d" % i)
        assert t["state"] == "running", t
        assert client(t, r["password"]).ping()
    for i in range(6):
        fleet.request("DELETE", "/v1/tenants/par_t%d?purge=1" % i)
    for i in range(6):
        assert fleet.wait_idle("par_t%d" % i) is None
    assert not [c for c in engine.containers() if c["Labels"].get("suma.tenant", "").startswith("par_")]
