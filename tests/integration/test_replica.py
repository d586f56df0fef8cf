"""A replica following the primary: state, events and evictions reach it; it
refuses writes and never evicts by itself."""
import json
import time

import pytest
import redis

from conftest import G, MASTER, CHANNEL, Raw, cmd, info, wait_until, snapshot

A, B, C = "10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001"
ARGS = ["host-ttl-ms", "400"]


def make_pair(make_server, args):
    primary = make_server(module_args=args, extra=["--repl-diskless-sync-delay", "0"])
    replica = make_server(module_args=args, extra=["--replicaof", "127.0.0.1", primary.port])
    rr = replica.client()
    wait_until(lambda: rr.info("replication").get("master_link_status") == "up",
         what="replication link")
    # After a diskless full sync the primary streams commands only once the
    # replica's first ACK arrived; make sure the stream flows before testing.
    p = primary.client()
    p.set("repl-sync-probe", "1")
    assert p.execute_command("WAIT", 1, 10000) == 1
    p.delete("repl-sync-probe")
    wait_until(lambda: rr.exists("repl-sync-probe") == 0, what="probe deletion on replica")
    return primary, replica


@pytest.fixture
def pair(make_server):
    return make_pair(make_server, ARGS)


def test_state_and_events_reach_replica(make_server, subscribe):
    primary, replica = make_pair(make_server, [])  # default TTL: nobody expires here
    p, rr = primary.client(), replica.client()
    ev = subscribe(replica)  # subscribed on the replica
    assert cmd(p, "suma_try_leader", MASTER, A) == 1
    cmd(p, "suma_keep_alive", MASTER, B)
    cmd(p, "suma_vip_kill", CHANNEL, B)
    cmd(p, "suma_diamond_publish", CHANNEL, "k", "v1")
    cmd(p, "suma_vip_register", MASTER, A, '{"r":1}')
    cmd(p, "suma_ci_task", CHANNEL, "PUSH", '{"t":1}')
    cmd(p, "suma_message_publish", CHANNEL, '{"hello":"replica"}')
    # Events published on the primary reach a subscriber of the replica.
    events = ev.wait_count(8)
    assert [e["type"] for e in events] == ["online", "leader", "online", "kill", "diamond",
                                           "register", "task", "message"]
    assert events[-1]["data"] == {"hello": "replica"}
    s0 = events[0]["seq"]
    assert s0 > 0 and [e["seq"] for e in events] == list(range(s0, s0 + 8))
    epoch, version = events[1]["epoch"], events[4]["version"]
    assert epoch > 0 and version > 0
    # State reaches the replica; read commands work there.
    wait_until(lambda: cmd(rr, "suma_diamond_get", CHANNEL, "k") is not None, what="config on replica")
    assert cmd(rr, "suma_diamond_get", CHANNEL, "k")[:2] == ["v1", version]
    assert cmd(p, "suma_diamond_get", CHANNEL, "k")[:2] == ["v1", version]
    assert cmd(rr, "suma_leader_info", MASTER)[:4] == ["vip", A, "epoch", epoch]
    assert cmd(rr, "suma_vip_list", MASTER) == [A]
    assert cmd(rr, "suma_vip_info", MASTER, B)[:2] == ["state", "drained"]
    assert cmd(rr, "suma_vip_drained", CHANNEL)[0] == B
    assert json.loads(cmd(rr, "suma_vip_server_get", MASTER, A)[0]) == {"r": 1}
    assert cmd(rr, "suma_vip_server_list", "*") == [A]
    assert cmd(rr, "suma_diamond_list", "*") == ["k"]
    assert [(h[0], h[2]) for h in cmd(rr, "suma_diamond_history", CHANNEL, "k")] == \
        [(version, "v1")]
    assert cmd(rr, "suma_leader_check", MASTER, str(epoch)) == 1
    gi = cmd(rr, "suma_group_info", MASTER)
    assert dict(zip(gi[0::2], gi[1::2]))["tasks_queued"] == 1
    # The replica's event log equals the primary's, and equals what was published.
    wait_until(lambda: cmd(rr, "suma_events", CHANNEL, "0") == cmd(p, "suma_events", CHANNEL, "0"),
         what="event log on replica")
    assert [json.loads(e) for e in cmd(rr, "suma_events", CHANNEL, "0")] == ev.events
    # Every key is identical on both sides (the clock-dependent writes were
    # replicated as their effect).
    assert p.execute_command("WAIT", 1, 10000) == 1
    assert snapshot(replica) == snapshot(primary)


def test_replica_refuses_writes(pair):
    primary, replica = pair
    cmd(primary.client(), "suma_keep_alive", MASTER, A)
    raw = Raw(replica)
    for args in (("suma_try_leader", MASTER, A), ("suma_keep_alive", MASTER, A),
                 ("suma_vip_kill", CHANNEL, A), ("suma_vip_reset", CHANNEL, A),
                 ("suma_vip_leave", MASTER, A), ("suma_leader_resign", MASTER, A),
                 ("suma_message_publish", CHANNEL, "{}"),
                 ("suma_diamond_publish", CHANNEL, "k", "v"),
                 ("suma_diamond_cas", CHANNEL, "k", "0", "v"),
                 ("suma_diamond_delete", CHANNEL, "k"),
                 ("suma_vip_register", MASTER, A), ("suma_vip_unregister", MASTER, A),
                 ("suma_ci_task", CHANNEL, "PUSH", "{}")):
        assert raw.error("sumavlib." + args[0], *args[1:]).startswith("READONLY"), args
    raw.close()


def test_evictions_by_primary_reach_replica(pair, subscribe):
    primary, replica = pair
    p, rr = primary.client(), replica.client()
    ev = subscribe(replica)
    cmd(p, "suma_keep_alive", MASTER, A)
    cmd(p, "suma_keep_alive", MASTER, B)
    tid = cmd(p, "suma_ci_task", CHANNEL, "PUSH", "{}")
    assert cmd(p, "suma_ci_task", CHANNEL, "CLAIM", B, "60000")[0] == tid
    wait_until(lambda: rr.zscore(G + ":hosts", B) is not None, what="B on replica")

    def b_gone_on_replica():
        cmd(p, "suma_keep_alive", MASTER, A)  # A stays alive
        return rr.zscore(G + ":hosts", B) is None
    wait_until(b_gone_on_replica, what="eviction replicated")
    off = ev.wait(lambda e: e["type"] == "offline")
    assert off["vip"] == B and off["reason"] == "expired"
    ev.wait(lambda e: e["type"] == "task" and e["action"] == "requeue" and e["id"] == tid)
    # The requeue done by the sweep is replicated too.
    assert cmd(p, "suma_ci_task", CHANNEL, "STATS") == ["queued", 1, "claimed", 0]
    assert p.execute_command("WAIT", 1, 10000) == 1
    assert snapshot(replica).keys() == snapshot(primary).keys()
    assert info(p)["sumavlib_evictions"] == 1
    assert info(rr)["sumavlib_evictions"] == 0


def test_replica_never_evicts_by_itself(pair):
    primary, replica = pair
    p, rr = primary.client(), replica.client()
    cmd(p, "suma_keep_alive", MASTER, C)
    wait_until(lambda: rr.zscore(G + ":hosts", C) is not None, what="C on replica")
    seen = rr.zscore(G + ":hosts", C)
    primary.stop()  # no primary any more to evict C
    # Wait well past the replica's own grace and C's TTL.
    while time.time() * 1000 < seen + 3 * 400 + 200:
        time.sleep(0.05)
    assert rr.zscore(G + ":hosts", C) == seen
    assert cmd(rr, "suma_vip_info", MASTER, C)[:2] == ["state", "offline"]
    assert cmd(rr, "suma_vip_list", MASTER) == []
    assert info(rr)["sumavlib_evictions"] == 0
    offline = [json.loads(e)["type"] for e in cmd(rr, "suma_events", CHANNEL, "0")]
    assert "offline" not in offline


def test_promoted_replica_gives_grace_and_continues_epochs(pair):
    primary, replica = pair
    p, rr = primary.client(), replica.client()
    assert cmd(p, "suma_try_leader", MASTER, A, "100") == 1
    cmd(p, "suma_keep_alive", MASTER, B)
    assert p.execute_command("WAIT", 1, 10000) == 1
    seen = max(sc for _, sc in rr.zrange(G + ":hosts", 0, -1, withscores=True))
    primary.kill9()
    while time.time() * 1000 < seen + 500:  # both hosts past their TTL
        time.sleep(0.05)
    rr.execute_command("REPLICAOF", "NO", "ONE")
    with rr.pipeline(transaction=True) as t:
        t.execute_command("INFO", "sumavlib")
        t.execute_command("sumavlib.suma_vip_info", MASTER, A)
        t.execute_command("sumavlib.suma_vip_info", MASTER, B)
        raw_info, a_info, b_info = t.execute()
    grace = raw_info["sumavlib_grace_left_ms"] if isinstance(raw_info, dict) else int(
        [l for l in raw_info.splitlines() if l.startswith("sumavlib_grace_left_ms")][0]
        .split(":")[1])
    if int(grace) > 0:
        # Within the new primary's grace nobody is evicted yet.
        assert a_info[:2] == ["state", "offline"] and b_info[:2] == ["state", "offline"]
    # The new primary's first tenure jumps to its promotion floor (ms * 1024),
    # above anything the old primary could have granted.
    promoted_ms = int(rr.time()[0]) * 1000
    assert cmd(rr, "suma_try_leader", MASTER, C) == 1
    vip_epoch = cmd(rr, "suma_leader_info", MASTER)[:4]
    assert vip_epoch[:3] == ["vip", C, "epoch"]
    assert vip_epoch[3] >= (promoted_ms - 60000) * 1024

    def evicted():
        cmd(rr, "suma_keep_alive", MASTER, C)
        return rr.zscore(G + ":hosts", A) is None and rr.zscore(G + ":hosts", B) is None
    wait_until(evicted, what="evictions by the promoted replica")
    assert info(rr)["sumavlib_evictions"] == 2
    assert cmd(rr, "suma_vip_list", MASTER) == [C]


def test_task_queue_reads_on_a_replica_go_through_task_info(pair):
    # suma_ci_task is one write command (the replica refuses it);
    # suma_ci_task_info serves its reading subcommands there.
    primary, replica = pair
    p, rr = primary.client(), replica.client()
    tid = cmd(p, "suma_ci_task", CHANNEL, "PUSH", "{}")
    assert p.execute_command("WAIT", 1, 10000) == 1
    with pytest.raises(redis.exceptions.ReadOnlyError):
        cmd(rr, "suma_ci_task", CHANNEL, "STATS")
    assert cmd(rr, "suma_ci_task_info", CHANNEL, "STATS") == ["queued", 1, "claimed", 0]
    assert cmd(rr, "suma_ci_task_info", CHANNEL, "PENDING") == [[tid, "{}"]]
    with pytest.raises(redis.ResponseError, match="unknown subcommand 'PUSH'"):
        cmd(rr, "suma_ci_task_info", CHANNEL, "PUSH", "{}")
