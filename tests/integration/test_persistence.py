"""Persistence across kill -9 with appendonly yes + appendfsync always, and the
eviction grace after a restart."""
import json
import time

from conftest import G, MASTER, CHANNEL, cmd, info, wait_until

A, B, C = "10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001"


def state_of(r):
    """Everything the commands report about the group, plus raw internal keys."""
    return {
        "keys": sorted(r.keys("*")),
        "hosts": r.zrange(G + ":hosts", 0, -1, withscores=True),
        "leader": cmd(r, "suma_leader_info", MASTER)[:4],
        "meta": {k: v for k, v in r.hgetall(G + ":meta").items()},
        "drained": cmd(r, "suma_vip_drained", CHANNEL),
        "cfg": cmd(r, "suma_diamond_get", CHANNEL, "app.conf"),
        "hist": cmd(r, "suma_diamond_history", CHANNEL, "app.conf"),
        "gone": cmd(r, "suma_diamond_get", CHANNEL, "gone"),
        "gone_hist": cmd(r, "suma_diamond_history", CHANNEL, "gone"),
        "list": sorted(cmd(r, "suma_diamond_list", "*")),
        "srv": cmd(r, "suma_vip_server_get", MASTER, A),
        "servers": sorted(cmd(r, "suma_vip_server_list", "*")),
        "stats": cmd(r, "suma_ci_task", CHANNEL, "STATS"),
        "pending": cmd(r, "suma_ci_task", CHANNEL, "PENDING"),
        "claimed": cmd(r, "suma_ci_task", CHANNEL, "CLAIMED"),
        "events": cmd(r, "suma_events", CHANNEL, "0"),
        "braced": cmd(r, "suma_diamond_get", "{agent.zy_test}", "x"),
    }


def test_everything_survives_kill_9(make_server):
    s = make_server(aof=True, fsync="always", module_args=["lease-ms", "300"])
    r = s.client()
    assert cmd(r, "suma_try_leader", MASTER, A, "60000") == 1
    e1 = cmd(r, "suma_leader_info", MASTER)[3]
    assert cmd(r, "suma_leader_resign", MASTER, A) == 1
    assert cmd(r, "suma_try_leader", MASTER, B, "60000") == 1  # next epoch, long lease
    e2 = cmd(r, "suma_leader_info", MASTER)[3]
    assert e2 > e1 > 0
    cmd(r, "suma_keep_alive", MASTER, C)
    assert cmd(r, "suma_vip_kill", CHANNEL, C) == 1
    assert cmd(r, "suma_vip_kill", CHANNEL, "10.9.9.9:1") == 1
    for v in ("v1", "v2", "v3"):
        cmd(r, "suma_diamond_publish", CHANNEL, "app.conf", v)
    cmd(r, "suma_diamond_publish", CHANNEL, "gone", "x")
    cmd(r, "suma_diamond_delete", CHANNEL, "gone")
    cmd(r, "suma_diamond_publish", "{agent.zy_test}_channel", "x", "braced")
    assert cmd(r, "suma_vip_register", MASTER, A, '{"zone":"b"}') == 1
    cmd(r, "suma_vip_register", MASTER, B)
    ids = [cmd(r, "suma_ci_task", CHANNEL, "PUSH", '{"i":%d}' % i) for i in range(3)]
    assert ids == sorted(set(ids)) and ids[0] > 0
    assert cmd(r, "suma_ci_task", CHANNEL, "CLAIM", C, "60000")[0] == ids[0]
    cmd(r, "suma_ci_task", CHANNEL, "ACK", str(ids[0]))
    assert cmd(r, "suma_ci_task", CHANNEL, "CLAIM", B, "60000")[0] == ids[1]
    cmd(r, "suma_message_publish", CHANNEL, '{"last":true}')
    before = state_of(r)
    assert before["leader"] == ["vip", B, "epoch", e2]
    r.close()

    s.kill9()
    restart_ms = int(time.time() * 1000)
    s2 = make_server(aof=True, fsync="always", datadir=s.dir, module_args=["lease-ms", "300"])
    r2 = s2.client()
    after = state_of(r2)
    assert after == before
    # Sequences go on and never repeat: events (the first after a load jumps
    # to at least start_ms * 1024), task ids, config versions, epochs.
    cmd(r2, "suma_message_publish", CHANNEL, "1")
    last = json.loads(cmd(r2, "suma_events", CHANNEL, "0")[-1])
    assert last["seq"] > json.loads(before["events"][-1])["seq"]
    assert last["seq"] >= restart_ms * 1024
    assert cmd(r2, "suma_ci_task", CHANNEL, "PUSH", "{}") > ids[-1]
    cmd(r2, "suma_diamond_publish", CHANNEL, "app.conf", "v4")
    v4 = cmd(r2, "suma_diamond_get", CHANNEL, "app.conf")
    assert v4[0] == "v4" and v4[1] > before["cfg"][1]
    cmd(r2, "suma_diamond_publish", CHANNEL, "gone", "back")
    back = cmd(r2, "suma_diamond_get", CHANNEL, "gone")
    assert back[0] == "back" and back[1] > max(h[0] for h in before["gone_hist"])
    # B's lease was stored as an absolute time: still the leader.
    assert cmd(r2, "suma_try_leader", MASTER, A) == 0
    assert cmd(r2, "suma_leader_resign", MASTER, B) == 1
    assert cmd(r2, "suma_try_leader", MASTER, A) == 1
    e3 = cmd(r2, "suma_leader_info", MASTER)
    assert e3[:3] == ["vip", A, "epoch"] and e3[3] > e2


def test_epoch_continues_after_lease_lapsed_during_downtime(make_server):
    s = make_server(aof=True, fsync="always")
    r = s.client()
    epochs = []
    for i in range(3):
        assert cmd(r, "suma_try_leader", MASTER, A, "100") == 1
        epochs.append(cmd(r, "suma_leader_info", MASTER)[3])
        wait_until(lambda: cmd(r, "suma_leader_info", MASTER)[1] is None, what="lease expiry")
    assert epochs == sorted(set(epochs)) and epochs[0] > 0
    assert cmd(r, "suma_leader_info", MASTER)[3] == epochs[-1]
    s.kill9()
    s2 = make_server(aof=True, fsync="always", datadir=s.dir)
    r2 = s2.client()
    assert cmd(r2, "suma_leader_info", MASTER) == \
        ["vip", None, "epoch", epochs[-1], "lease_left_ms", 0]
    assert cmd(r2, "suma_try_leader", MASTER, B) == 1
    info2 = cmd(r2, "suma_leader_info", MASTER)
    assert info2[:3] == ["vip", B, "epoch"] and info2[3] > epochs[-1]


def test_grace_after_restart(make_server):
    args = ["host-ttl-ms", "600"]
    s = make_server(aof=True, fsync="always", module_args=args)
    r = s.client()
    cmd(r, "suma_keep_alive", MASTER, A)
    cmd(r, "suma_keep_alive", MASTER, B)
    last_seen = max(sc for _, sc in r.zrange(G + ":hosts", 0, -1, withscores=True))
    s.kill9()
    # Restart only once both hosts are already past their TTL.
    while time.time() * 1000 < last_seen + 700:
        time.sleep(0.05)
    s2 = make_server(aof=True, fsync="always", datadir=s.dir, module_args=args)
    r2 = s2.client()
    with r2.pipeline(transaction=True) as p:
        p.execute_command("INFO", "sumavlib")
        p.execute_command("sumavlib.suma_vip_info", MASTER, A)
        p.execute_command("sumavlib.suma_vip_info", MASTER, B)
        p.execute_command("sumavlib.suma_vip_list", MASTER)
        raw_info, a_info, b_info, live = p.execute()
    grace = int(raw_info["sumavlib_grace_left_ms"]) if isinstance(raw_info, dict) else \
        int([l for l in raw_info.splitlines() if l.startswith("sumavlib_grace_left_ms")][0]
            .split(":")[1])
    assert grace > 0
    # Within the grace nobody has been evicted: both are offline, not gone.
    assert a_info[:2] == ["state", "offline"]
    assert b_info[:2] == ["state", "offline"]
    assert live == []
    # A comes back within the grace; B stays silent and is evicted after it.
    cmd(r2, "suma_keep_alive", MASTER, A)

    def b_evicted():
        cmd(r2, "suma_keep_alive", MASTER, A)
        return r2.zscore(G + ":hosts", B) is None
    wait_until(b_evicted, what="eviction after the grace")
    offline = [json.loads(e) for e in cmd(r2, "suma_events", CHANNEL, "0")]
    offline = [e for e in offline if e["type"] == "offline"]
    assert [(e["vip"], e["reason"]) for e in offline] == [(B, "expired")]
    assert info(r2)["sumavlib_evictions"] == 1
    assert cmd(r2, "suma_vip_list", MASTER) == [A]


def test_eviction_by_sweep_is_persisted(make_server):
    args = ["host-ttl-ms", "300"]
    s = make_server(aof=True, fsync="always", module_args=args)
    r = s.client()
    cmd(r, "suma_keep_alive", MASTER, B)
    tid = cmd(r, "suma_ci_task", CHANNEL, "PUSH", "{}")
    assert cmd(r, "suma_ci_task", CHANNEL, "CLAIM", B, "60000")[0] == tid

    def evicted():
        cmd(r, "suma_keep_alive", MASTER, A)
        return r.zscore(G + ":hosts", B) is None
    wait_until(evicted, what="eviction")
    before = state_of(r)
    s.kill9()
    s2 = make_server(aof=True, fsync="always", datadir=s.dir, module_args=args)
    r2 = s2.client()
    after = state_of(r2)
    assert after["hosts"] == before["hosts"]
    assert after["events"] == before["events"]
    assert after["stats"] == ["queued", 1, "claimed", 0]
    assert cmd(r2, "suma_vip_info", MASTER, B)[:2] == ["state", "unknown"]


def test_state_survives_aof_rewrite_and_kill_9(make_server):
    s = make_server(aof=True, fsync="always")
    r = s.client()
    assert cmd(r, "suma_try_leader", MASTER, A, "60000") == 1
    cmd(r, "suma_keep_alive", MASTER, B)
    cmd(r, "suma_diamond_publish", CHANNEL, "app.conf", "v1")
    cmd(r, "suma_ci_task", CHANNEL, "PUSH", "{}")
    r.execute_command("BGREWRITEAOF")
    wait_until(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0 and
         r.info("persistence")["aof_rewrite_scheduled"] == 0, what="AOF rewrite")
    cmd(r, "suma_diamond_publish", CHANNEL, "app.conf", "v2")
    cmd(r, "suma_diamond_publish", CHANNEL, "gone", "x")
    cmd(r, "suma_diamond_delete", CHANNEL, "gone")
    cmd(r, "suma_vip_kill", CHANNEL, C)
    cmd(r, "suma_vip_register", MASTER, A, '{"a":1}')
    before = state_of(r)
    s.kill9()
    s2 = make_server(aof=True, fsync="always", datadir=s.dir)
    assert state_of(s2.client()) == before
