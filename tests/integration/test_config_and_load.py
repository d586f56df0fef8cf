"""Configuration: module arguments, CONFIG GET/SET sumavlib.*, refusing bad
arguments at load, the tenant lock and INFO."""
import os
import shutil
import tempfile

import pytest
import redis

from conftest import G, MASTER, CHANNEL, Raw, cmd, info, snapshot
from suma_testing import RedisServer

DEFAULTS = {
    "sumavlib.host-ttl-ms": "10000",
    "sumavlib.lease-ms": "10000",
    "sumavlib.max-hosts": "100000",
    "sumavlib.event-log-len": "1000",
    "sumavlib.max-payload": "65536",
    "sumavlib.max-tasks": "100000",
    "sumavlib.task-lease-ms": "30000",
    "sumavlib.history-len": "10",
    "sumavlib.sweep-budget-us": "1000",
    "sumavlib.tenant": "",
}


def test_config_get_defaults(r):
    assert r.config_get("sumavlib.*") == DEFAULTS
    assert r.config_get("sumavlib.lease-ms") == {"sumavlib.lease-ms": "10000"}


def test_module_args_applied(make_server, subscribe):
    s = make_server(module_args=["host-ttl-ms", "60000", "lease-ms", "1234", "max-hosts", "7",
                                 "event-log-len", "3", "max-payload", "100", "max-tasks", "9",
                                 "task-lease-ms", "4321", "history-len", "2",
                                 "sweep-budget-us", "500"])
    r = s.client()
    want = dict(DEFAULTS)
    want.update({"sumavlib.host-ttl-ms": "60000", "sumavlib.lease-ms": "1234",
                 "sumavlib.max-hosts": "7", "sumavlib.event-log-len": "3",
                 "sumavlib.max-payload": "100", "sumavlib.max-tasks": "9",
                 "sumavlib.task-lease-ms": "4321", "sumavlib.history-len": "2",
                 "sumavlib.sweep-budget-us": "500"})
    assert r.config_get("sumavlib.*") == want
    # ...and in effect.
    ev = subscribe(s)
    assert cmd(r, "suma_try_leader", MASTER, "a:1") == 1
    leader = ev.wait(lambda e: e["type"] == "leader")
    assert leader["lease_ms"] == 1234
    raw = Raw(s)
    assert raw.error("sumavlib.suma_message_publish", CHANNEL, '"' + "x" * 100 + '"') == \
        "ERR invalid message: larger than max-payload (100 bytes)"
    raw.close()
    tid = cmd(r, "suma_ci_task", CHANNEL, "PUSH", "1")
    assert isinstance(tid, int) and tid > 0
    assert cmd(r, "suma_ci_task", CHANNEL, "CLAIM", "a:1") == [tid, "1", 1]
    deadline = cmd(r, "suma_ci_task", CHANNEL, "CLAIMED")[0][2]
    sec, usec = r.time()
    now = sec * 1000 + usec // 1000
    assert now < deadline <= now + 4321
    versions = []
    for i in range(4):
        assert cmd(r, "suma_diamond_publish", CHANNEL, "k", str(i)) == 1
        versions.append(cmd(r, "suma_diamond_get", CHANNEL, "k")[1])
    assert versions == sorted(set(versions))
    assert [h[0] for h in cmd(r, "suma_diamond_history", CHANNEL, "k", "10")] == \
        [versions[3], versions[2]]
    assert r.xlen(G + ":events") == 3
    assert 0 < info(r)["sumavlib_grace_left_ms"] <= 60000


def test_config_set_applies_and_validates(r, server, subscribe):
    r.config_set("sumavlib.lease-ms", "777")
    r.config_set("sumavlib.max-payload", "16")
    assert r.config_get("sumavlib.lease-ms") == {"sumavlib.lease-ms": "777"}
    ev = subscribe(server)
    assert cmd(r, "suma_try_leader", MASTER, "a:1") == 1
    assert ev.wait(lambda e: e["type"] == "leader")["lease_ms"] == 777
    with pytest.raises(redis.ResponseError):
        cmd(r, "suma_message_publish", CHANNEL, '"0123456789abcdef"')
    for name, bad in (("host-ttl-ms", "99"), ("host-ttl-ms", "86400001"), ("lease-ms", "abc"),
                      ("max-hosts", "0"), ("event-log-len", "-1"), ("max-payload", "15"),
                      ("history-len", "1001"), ("sweep-budget-us", "49"),
                      ("tenant", "onlyone"), ("tenant", "a b c"), ("tenant", "bad/owner biz")):
        with pytest.raises(redis.ResponseError):
            r.config_set("sumavlib." + name, bad)
    assert r.config_get("sumavlib.*")["sumavlib.lease-ms"] == "777"
    assert r.config_get("sumavlib.host-ttl-ms") == {"sumavlib.host-ttl-ms": "10000"}
    assert r.config_get("sumavlib.tenant") == {"sumavlib.tenant": ""}
    with pytest.raises(redis.ResponseError):
        r.config_set("sumavlib.no-such-option", "1")


@pytest.mark.parametrize("args,named", [
    (["no-such-option", "1"], "no-such-option"),
    (["host-ttl-ms", "abc"], "host-ttl-ms"),
    (["host-ttl-ms", "50"], "host-ttl-ms"),
    (["lease-ms", "100000000000"], "lease-ms"),
    (["max-hosts", "0"], "max-hosts"),
    (["event-log-len"], "event-log-len"),
    (["history-len", "1", "bogus", "2"], "bogus"),
    (["tenant", "agent.zy"], "tenant"),
    (["tenant", "agent/zy", "test"], "tenant"),
    (["tenant", "agent.zy", "t" * 200], "tenant"),
])
def test_bad_module_args_refuse_to_load(args, named):
    d = tempfile.mkdtemp(prefix="suma-badargs-")
    try:
        with pytest.raises(RuntimeError) as e:
            RedisServer(module_args=args, datadir=d)
        log = open(os.path.join(d, "redis.log")).read()
        assert "sumavlib: refusing to load" in log, log
        line = [l for l in log.splitlines() if "refusing to load" in l][0]
        assert named in line, line
        assert "redis-server exited" in str(e.value)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tenant_lock_from_module_args(make_server):
    s = make_server(module_args=["tenant", "agent.zy", "test"])
    r = s.client()
    raw = Raw(s)
    assert r.config_get("sumavlib.tenant") == {"sumavlib.tenant": "agent.zy test"}
    for form in (MASTER, CHANNEL, G, "agent.zy_test.master", "{agent.zy_test}_master",
                 "{agent.zy_test}"):
        assert cmd(r, "suma_try_leader", form, "a:1") == 1, form
    before = snapshot(s)
    for other in ("agent.zy_other_master", "agent.zy_test2_master", "{agent.zy_other}_channel",
                  "other_test"):
        g = other.replace("_master", "").replace("_channel", "")
        want = "NOPERM group '%s' does not belong to this server's tenant" % g
        assert raw.error("sumavlib.suma_try_leader", other, "a:1") == want
        assert raw.error("sumavlib.suma_keep_alive", other, "a:1") == want
        assert raw.error("sumavlib.suma_vip_list", other) == want
        assert raw.error("sumavlib.suma_message_publish", other, "1") == want
        assert raw.error("sumavlib.suma_diamond_publish", other, "k", "v") == want
        assert raw.error("sumavlib.suma_ci_task", other, "PUSH", "1") == want
        assert raw.error("sumavlib.suma_events", other, "0") == want
        assert raw.error("sumavlib.suma_diamond_list", "*", "GROUP", other) == want
        assert raw.error("sumavlib.suma_vip_server_list", "*", "GROUP", other) == want
    assert snapshot(s) == before
    # Unlocking at run time.
    r.config_set("sumavlib.tenant", "")
    assert cmd(r, "suma_try_leader", "agent.zy_other_master", "a:1") == 1
    cmd(r, "suma_diamond_publish", "agent.zy_other", "theirs", "1")
    cmd(r, "suma_vip_register", "agent.zy_other", "10.0.0.9:1")
    cmd(r, "suma_diamond_publish", G, "mine", "1")
    cmd(r, "suma_vip_register", "{agent.zy_test}", "10.0.0.1:1")
    assert sorted(cmd(r, "suma_diamond_list", "*")) == ["mine", "theirs"]
    # Locked again: other groups' items are left out of listings.
    r.config_set("sumavlib.tenant", "agent.zy test")
    assert cmd(r, "suma_diamond_list", "*") == ["mine"]
    assert cmd(r, "suma_vip_server_list", "*") == ["10.0.0.1:1"]
    assert cmd(r, "suma_diamond_list", "*", "CURSOR", "0") == ["0", ["mine"]]
    r.config_set("sumavlib.tenant", "agent.zy other")
    assert raw.error("sumavlib.suma_vip_list", MASTER) == \
        "NOPERM group 'agent.zy_test' does not belong to this server's tenant"
    assert cmd(r, "suma_vip_list", "{agent.zy_other}") == []
    raw.close()


def test_info_section(r):
    cmd(r, "suma_try_leader", MASTER, "a:1")
    cmd(r, "suma_keep_alive", MASTER, "b:1")
    i = info(r)
    assert set(i) == {"sumavlib_heartbeats", "sumavlib_elections", "sumavlib_events",
                      "sumavlib_evictions", "sumavlib_groups_tracked", "sumavlib_grace_left_ms"}
    assert i["sumavlib_heartbeats"] == 2
    assert i["sumavlib_elections"] == 1
    assert i["sumavlib_events"] == 3  # online, leader, online
    assert i["sumavlib_evictions"] == 0
    assert i["sumavlib_groups_tracked"] == 1
