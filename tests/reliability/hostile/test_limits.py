"""Bounded resources (issue 4, item 6; docs/guarantees.md).

A client floods each limit: max-hosts, max-payload, event-log-len, max-tasks
(and history-len). The limit must hold exactly, the refusal must be the
documented error, nothing is written by a refused command, and used_memory
stops growing once the limit is reached. Groups themselves are not limited by
the module; Redis's maxmemory bounds them (last test).
"""
import os
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

import keyspace_check
from suma_testing import RedisServer
from suma_testing.resp import Conn, plain
from suma_testing.fixtures import make_server  # noqa: F401

G = "agent.zy_test"
LIMITS = {"max-hosts": 50, "max-payload": 1024, "event-log-len": 100, "max-tasks": 30,
          "history-len": 5}
# Hosts never expire and the eviction grace lasts the whole test.
ARGS = ["host-ttl-ms", 600000] + [x for kv in LIMITS.items() for x in kv]
FULL_HOSTS = ("err", "FULL group '%s' already has max-hosts (50) live hosts" % G)
FULL_TASKS = ("err", "FULL task queue of group '%s' already holds max-tasks (30) tasks" % G)


def too_large(what):
    return ("err", "ERR invalid %s: larger than max-payload (1024 bytes)" % what)


@pytest.fixture
def srv(make_server):
    return make_server(module_args=ARGS)


@pytest.fixture
def c(srv):
    conn = Conn(srv.port)
    yield conn
    problems, _ = keyspace_check.check(Conn(srv.port), max_hosts=LIMITS["max-hosts"],
                                       max_tasks=LIMITS["max-tasks"],
                                       event_log_len=LIMITS["event-log-len"],
                                       history_len=LIMITS["history-len"])
    assert problems == []
    assert srv.proc.poll() is None
    conn.close()


def used_memory(c):
    """Bytes of the dataset (used_memory without client buffers and overhead),
    so a flooding client's own query buffer does not count."""
    flat = plain(c.call("MEMORY", "STATS"))
    stats = dict(zip(flat[0::2], flat[1::2]))
    return stats[b"dataset.bytes"]


def group_info(c, g=G):
    flat = plain(c.call("sumavlib.suma_group_info", g))
    return dict(zip([k for k in flat[0::2]], flat[1::2]))


def test_max_hosts_flood(c):
    replies = c.pipeline([["sumavlib.suma_keep_alive", G, "10.0.%d.%d:1" % (i // 250, i % 250)]
                          for i in range(5000)])
    ok = [r for r in replies if r[0] != "err"]
    assert len(ok) == 50
    assert all(r == FULL_HOSTS for r in replies[50:])
    assert group_info(c)["hosts"] == 50
    # Members keep heartbeating; a new host is refused by try_leader too.
    assert c.call("sumavlib.suma_keep_alive", G, "10.0.0.1:1")[0] != "err"
    assert c.call("sumavlib.suma_try_leader", G, "10.9.9.9:1") == FULL_HOSTS
    # Memory stops growing: 20000 more refused hosts add nothing.
    before = used_memory(c)
    for _ in range(4):
        c.pipeline([["sumavlib.suma_keep_alive", G, "10.1.%d.%d:1" % (i // 250, i % 250)]
                    for i in range(5000)])
    assert group_info(c)["hosts"] == 50
    assert used_memory(c) - before < 64 * 1024


def test_max_hosts_offline_host_makes_room(c):
    c.pipeline([["sumavlib.suma_keep_alive", G, "10.0.0.%d:1" % i] for i in range(50)])
    assert c.call("sumavlib.suma_keep_alive", G, "10.0.1.1:1") == FULL_HOSTS
    # With a short TTL every host is offline (the sweep is still in its grace
    # period, so they stay members): a new host replaces the oldest one.
    assert c.call("CONFIG", "SET", "sumavlib.host-ttl-ms", "100") == ("simple", "OK")
    for _ in range(500):  # until the oldest host counts as offline (bounded)
        state = plain(c.call("sumavlib.suma_vip_info", G, "10.0.0.0:1"))[1]
        if state == "offline":
            break
        time.sleep(0.01)
    assert state == "offline"
    assert c.call("sumavlib.suma_keep_alive", G, "10.0.1.1:1")[0] != "err"
    info = group_info(c)
    assert info["hosts"] == 50 and info["live"] == 1
    c.call("CONFIG", "SET", "sumavlib.host-ttl-ms", "600000")


PAYLOAD_CMDS = [
    ("message", lambda p: ["sumavlib.suma_message_publish", G, p]),
    ("value", lambda p: ["sumavlib.suma_diamond_publish", G, "k", p]),
    ("value", lambda p: ["sumavlib.suma_diamond_cas", G, "k2", "0", p]),
    ("meta", lambda p: ["sumavlib.suma_vip_register", G, "10.0.0.1:1", p]),
    ("task", lambda p: ["sumavlib.suma_ci_task", G, "PUSH", p]),
]


@pytest.mark.parametrize("what,cmd", PAYLOAD_CMDS, ids=[c[1]("x")[0][15:] for c in PAYLOAD_CMDS])
def test_max_payload(c, what, cmd):
    at_limit = '"' + "x" * 1022 + '"'
    assert len(at_limit) == 1024
    over = at_limit + " "
    seq = group_info(c)["seq"]
    keys = c.call("DBSIZE")
    assert c.call(*cmd(over)) == too_large(what)
    assert c.call(*cmd('"' + "y" * (32 << 20) + '"')) == too_large(what)  # 32 MiB
    assert group_info(c)["seq"] == seq and c.call("DBSIZE") == keys  # nothing written
    assert c.call(*cmd(at_limit))[0] == "int"
    # Refusing 200 x 1 MiB leaves no memory behind.
    before = used_memory(c)
    big = '"' + "z" * (1 << 20) + '"'
    for _ in range(20):
        assert c.pipeline([cmd(big)] * 10) == [too_large(what)] * 10
    assert used_memory(c) - before < 1024 * 1024


def test_event_log_len_flood(c):
    for _ in range(10):
        c.pipeline([["sumavlib.suma_message_publish", G, '{"n":%d}' % i] for i in range(500)])
    assert c.call("XLEN", G + ":events") == ("int", 100)
    evs = plain(c.call("sumavlib.suma_events", G, "0", "COUNT", "10000"))
    assert len(evs) == 100
    seq = group_info(c)["seq"]
    import json
    seqs = [json.loads(e)["seq"] for e in evs]
    assert seqs == list(range(seq - 99, seq + 1))  # the newest 100; the gap tells of the loss
    before = used_memory(c)
    for _ in range(20):
        c.pipeline([["sumavlib.suma_message_publish", G, '{"n":%d}' % i] for i in range(500)])
    assert c.call("XLEN", G + ":events") == ("int", 100)
    assert used_memory(c) - before < 64 * 1024


def test_max_tasks_flood(c):
    replies = c.pipeline([["sumavlib.suma_ci_task", G, "PUSH", '{"n":%d}' % i]
                          for i in range(1000)])
    # Task ids are fencing values (about now_ms * 1024): strictly increasing, not 1, 2, 3.
    assert all(r[0] == "int" for r in replies[:30])
    ids = [r[1] for r in replies[:30]]
    assert ids == sorted(set(ids)) and ids[0] > 1 << 40
    assert all(r == FULL_TASKS for r in replies[30:])
    # Claimed tasks count too.
    for _ in range(5):
        assert c.call("sumavlib.suma_ci_task", G, "CLAIM", "10.0.0.1:1")[0] == "array"
    assert c.call("sumavlib.suma_ci_task", G, "PUSH", "{}") == FULL_TASKS
    assert plain(c.call("sumavlib.suma_ci_task", G, "STATS")) == ["queued", 25, "claimed", 5]
    # An ack makes room for exactly one.
    assert c.call("sumavlib.suma_ci_task", G, "ACK", str(ids[0])) == ("int", 1)
    r = c.call("sumavlib.suma_ci_task", G, "PUSH", "{}")
    assert r[0] == "int" and r[1] > ids[-1]
    assert c.call("sumavlib.suma_ci_task", G, "PUSH", "{}") == FULL_TASKS
    before = used_memory(c)
    c.pipeline([["sumavlib.suma_ci_task", G, "PUSH", '{"n":%d}' % i] for i in range(20000)])
    assert used_memory(c) - before < 64 * 1024


def test_history_len_flood(c):
    for i in range(10):
        c.pipeline([["sumavlib.suma_diamond_publish", G, "k", "v%d" % (i * 100 + j)]
                    for j in range(100)])
    assert c.call("XLEN", G + ":cfg:k") == ("int", 5)
    hist = plain(c.call("sumavlib.suma_diamond_history", G, "k", "1000"))
    # Versions are fencing values: the newest five, strictly decreasing, newest first.
    versions = [h[0] for h in hist]
    assert len(versions) == 5 and versions == sorted(set(versions), reverse=True)
    assert plain(c.call("sumavlib.suma_diamond_get", G, "k"))[:2] == [b"v999", versions[0]]


def test_groups_are_bounded_by_maxmemory():
    """The module does not cap the number of groups, configs or registrations;
    with maxmemory set, Redis refuses every write that would grow memory
    (the module's growing commands are deny-oom) and the server keeps serving
    reads and the commands that free memory."""
    s = RedisServer(module_args=ARGS, extra=["--maxmemory", "16mb",
                                             "--maxmemory-policy", "noeviction"])
    try:
        c = Conn(s.port)
        oom = None
        for batch in range(200):
            rs = c.pipeline([["sumavlib.suma_diamond_publish", "agent.zy_g%d" % (batch * 500 + i),
                              "k", "v" * 500] for i in range(500)])
            errs = [r for r in rs if r[0] == "err"]
            if errs:
                oom = errs[0]
                break
        assert oom is not None and oom[1].startswith("OOM command not allowed")
        for cmd in (["sumavlib.suma_keep_alive", "agent.zy_new", "10.0.0.1:1"],
                    ["sumavlib.suma_ci_task", "agent.zy_new", "PUSH", "{}"],
                    ["sumavlib.suma_vip_register", "agent.zy_new", "10.0.0.1:1"]):
            assert c.call(*cmd)[1].startswith("OOM command not allowed"), cmd
        assert c.call("sumavlib.suma_diamond_get", "agent.zy_g1", "k")[0] == "array"
        assert c.call("sumavlib.suma_diamond_delete", "agent.zy_g1", "k") == ("int", 1)
        info = plain(c.call("INFO", "memory")).decode()
        used = int(next(l.split(":")[1] for l in info.split("\r\n")
                        if l.startswith("used_memory:")))
        assert used < 20 * 1024 * 1024
        assert c.call("PING") == ("simple", "PONG")
    finally:
        s.cleanup()
