"""Membership: keep_alive, vip_list, vip_info, vip_leave, group_info, eviction,
max-hosts."""
import json
import time

import pytest
import redis

from conftest import G, MASTER, CHANNEL, assert_event, cmd, info, wait_until, snapshot

A, B, C, D = "10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001", "10.0.1.4:9002"


def beat(r, *vips):
    """Heartbeats vips in order, each in a later millisecond than the previous."""
    for v in vips:
        cmd(r, "suma_keep_alive", MASTER, v)
        time.sleep(0.003)


def test_keep_alive_replies_nil_follower_and_leader(r):
    assert cmd(r, "suma_keep_alive", MASTER, A) is None  # nobody leads
    assert cmd(r, "suma_try_leader", MASTER, B) == 1
    time.sleep(0.003)
    assert cmd(r, "suma_keep_alive", MASTER, A) == B  # follower: leader's vip
    time.sleep(0.003)
    beat(r, C)
    # Leader: every live, undrained vip, most recently seen first.
    assert cmd(r, "suma_keep_alive", MASTER, B) == [B, C, A]
    assert cmd(r, "suma_keep_alive", MASTER, B, "*.3:*") == [C]
    assert cmd(r, "suma_keep_alive", MASTER, B, "nomatch*") == []


def test_order_is_most_recently_seen_first(r):
    beat(r, A, B, C)
    assert cmd(r, "suma_vip_list", MASTER) == [C, B, A]
    beat(r, A)
    assert cmd(r, "suma_vip_list", MASTER) == [A, C, B]
    beat(r, B, C)
    assert cmd(r, "suma_vip_list", CHANNEL) == [C, B, A]
    assert cmd(r, "suma_vip_list", G) == [C, B, A]


def test_patterns(r):
    beat(r, A, B, C, D)
    assert cmd(r, "suma_vip_list", MASTER, "*") == [D, C, B, A]
    assert cmd(r, "suma_vip_list", MASTER, "10.0.0.*") == [C, B, A]
    assert cmd(r, "suma_vip_list", MASTER, "*:9002") == [D]
    assert cmd(r, "suma_vip_list", MASTER, "10.0.0.[13]:9001") == [C, A]
    assert cmd(r, "suma_vip_list", MASTER, "10.0.0.[^1]:*") == [C, B]
    assert cmd(r, "suma_vip_list", MASTER, "10.0.?.4:9002") == [D]
    assert cmd(r, "suma_vip_list", MASTER, "10.0.0.1\\:9001") == [A]
    assert cmd(r, "suma_vip_list", MASTER, "none") == []


def test_online_event_only_when_new_or_back(r, server, subscribe):
    ev = subscribe(server)
    beat(r, A, A, B, A)
    assert cmd(r, "suma_message_publish", CHANNEL, '"end"') == 1
    ev.wait(lambda e: e["type"] == "message")
    online = ev.of_type("online")
    assert [e["vip"] for e in online] == [A, B]
    for e in online:
        assert_event(e, "online")
    assert info(r)["sumavlib_heartbeats"] == 4


def test_vip_info_states(r):
    assert cmd(r, "suma_vip_info", MASTER, A) == \
        ["state", "unknown", "last_seen_ms", None, "leader", 0, "drained", 0]
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    seen = int(r.zscore(G + ":hosts", A))
    assert cmd(r, "suma_vip_info", MASTER, A) == \
        ["state", "live", "last_seen_ms", seen, "leader", 1, "drained", 0]
    beat(r, B)
    assert cmd(r, "suma_vip_kill", CHANNEL, B) == 1
    seen_b = int(r.zscore(G + ":hosts", B))
    assert cmd(r, "suma_vip_info", MASTER, B) == \
        ["state", "drained", "last_seen_ms", seen_b, "leader", 0, "drained", 1]
    # Drained but never seen.
    assert cmd(r, "suma_vip_kill", CHANNEL, C) == 1
    assert cmd(r, "suma_vip_info", CHANNEL, C) == \
        ["state", "drained", "last_seen_ms", None, "leader", 0, "drained", 1]


def test_offline_state_before_sweep_and_coming_back(make_server, subscribe):
    # Default host-ttl-ms 10000: the start-up grace lasts 10 s, so lowering the
    # TTL afterwards makes hosts offline that the sweep may not evict yet.
    s = make_server()
    r = s.client()
    ev = subscribe(s)
    beat(r, A, B)
    time.sleep(0.25)
    r.config_set("sumavlib.host-ttl-ms", "100")
    seen = int(r.zscore(G + ":hosts", A))
    with r.pipeline(transaction=True) as p:
        p.execute_command("INFO", "sumavlib")
        p.execute_command("sumavlib.suma_vip_info", MASTER, A)
        p.execute_command("sumavlib.suma_vip_list", MASTER)
        raw_info, vinfo, lst = p.execute()
    assert "sumavlib_grace_left_ms:0" not in raw_info
    assert vinfo == ["state", "offline", "last_seen_ms", seen, "leader", 0, "drained", 0]
    assert lst == []
    # Coming back is an online event again.
    ev.wait(lambda e: e["type"] == "online" and e["vip"] == B)
    last = max(e["seq"] for e in ev.events)
    with r.pipeline(transaction=True) as p:
        p.execute_command("sumavlib.suma_keep_alive", MASTER, A)
        p.execute_command("sumavlib.suma_vip_list", MASTER)
        assert p.execute()[1] == [A]
    back = ev.wait(lambda e: e["type"] == "online" and e["vip"] == A and e["seq"] > last)
    assert back["seq"] == last + 1
    assert [e["vip"] for e in ev.of_type("online")] == [A, B, A]
    assert info(r)["sumavlib_evictions"] == 0


def test_leave(r, server, subscribe):
    ev = subscribe(server)
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    epoch = cmd(r, "suma_leader_info", MASTER)[3]
    assert epoch > 0
    beat(r, B)
    assert cmd(r, "suma_vip_leave", MASTER, A) == 1
    assert cmd(r, "suma_vip_leave", MASTER, A) == 0
    assert cmd(r, "suma_vip_leave", MASTER, C) == 0
    assert cmd(r, "suma_vip_list", MASTER) == [B]
    assert cmd(r, "suma_leader_info", MASTER) == ["vip", None, "epoch", epoch, "lease_left_ms", 0]
    assert cmd(r, "suma_vip_info", MASTER, A)[:2] == ["state", "unknown"]
    assert r.zscore(G + ":hosts", A) is None
    off = ev.wait(lambda e: e["type"] == "offline")
    assert_event(off, "offline", vip=A, reason="leave")
    res = ev.wait(lambda e: e["type"] == "resign")
    assert_event(res, "resign", vip=A, epoch=epoch)
    assert res["seq"] < off["seq"]
    assert len(ev.of_type("offline")) == 1


def test_silent_host_is_evicted_after_ttl(make_server, subscribe):
    s = make_server(module_args=["host-ttl-ms", "300"])
    r = s.client()
    ev = subscribe(s)
    with r.pipeline(transaction=True) as p:
        p.execute_command("sumavlib.suma_keep_alive", MASTER, A)
        p.execute_command("sumavlib.suma_keep_alive", MASTER, B)
        p.execute_command("sumavlib.suma_vip_list", MASTER)
        assert set(p.execute()[2]) == {A, B}

    def b_gone():
        cmd(r, "suma_keep_alive", MASTER, A)  # A keeps heartbeating
        return r.zscore(G + ":hosts", B) is None

    wait_until(b_gone, what="eviction of the silent host")
    off = ev.wait(lambda e: e["type"] == "offline")
    assert_event(off, "offline", vip=B, reason="expired")
    assert cmd(r, "suma_vip_list", MASTER) == [A]
    assert cmd(r, "suma_vip_info", MASTER, B)[:2] == ["state", "unknown"]
    assert info(r)["sumavlib_evictions"] >= 1
    assert [e["vip"] for e in ev.of_type("offline")] == [B]
    # An evicted host that heartbeats again is new: online again.
    with r.pipeline(transaction=True) as p:
        p.execute_command("sumavlib.suma_keep_alive", MASTER, A)
        p.execute_command("sumavlib.suma_keep_alive", MASTER, B)
        p.execute_command("sumavlib.suma_vip_list", MASTER)
        assert set(p.execute()[2]) == {A, B}
    back = ev.wait(lambda e: e["type"] == "online" and e["vip"] == B and e["seq"] > off["seq"])
    assert_event(back, "online", vip=B)


def test_expired_leader_host_is_evicted_and_lease_lapses(make_server, subscribe):
    s = make_server(module_args=["host-ttl-ms", "300", "lease-ms", "300"])
    r = s.client()
    ev = subscribe(s)
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    first = cmd(r, "suma_leader_info", MASTER)[3]
    assert first > 0
    wait_until(lambda: r.zscore(G + ":hosts", A) is None, what="eviction of the leader")
    assert cmd(r, "suma_leader_info", MASTER) == ["vip", None, "epoch", first, "lease_left_ms", 0]
    assert cmd(r, "suma_try_leader", MASTER, B) == 1
    info2 = cmd(r, "suma_leader_info", MASTER)
    assert info2[:3] == ["vip", B, "epoch"] and info2[3] > first
    ev.wait(lambda e: e["type"] == "offline" and e["vip"] == A and e["reason"] == "expired")


def test_max_hosts_full_and_offline_host_replaced(make_server, subscribe, ):
    s = make_server(module_args=["max-hosts", "2"])
    r = s.client()
    from conftest import Raw
    raw = Raw(s)
    ev = subscribe(s)
    beat(r, A, B)
    before = snapshot(s)
    assert raw.error("sumavlib.suma_keep_alive", MASTER, C) == \
        "FULL group 'agent.zy_test' already has max-hosts (2) live hosts"
    assert raw.error("sumavlib.suma_try_leader", MASTER, C) == \
        "FULL group 'agent.zy_test' already has max-hosts (2) live hosts"
    assert snapshot(s) == before
    # Known hosts still heartbeat at the limit.
    beat(r, A)
    assert cmd(r, "suma_vip_list", MASTER) == [A, B]
    # Make both offline (grace keeps the sweep away), bring A back: B is the
    # least recently seen and offline, so C replaces it.
    time.sleep(0.25)
    r.config_set("sumavlib.host-ttl-ms", "100")
    beat(r, A, C)
    r.config_set("sumavlib.host-ttl-ms", "10000")  # everybody live again
    assert r.zscore(G + ":hosts", B) is None
    assert cmd(r, "suma_vip_info", MASTER, B)[:2] == ["state", "unknown"]
    assert cmd(r, "suma_vip_list", MASTER) == [C, A]
    off = ev.wait(lambda e: e["type"] == "offline")
    assert_event(off, "offline", vip=B, reason="max-hosts")
    # Everybody live: full.
    assert raw.error("sumavlib.suma_keep_alive", MASTER, D) == \
        "FULL group 'agent.zy_test' already has max-hosts (2) live hosts"
    raw.close()


def group_info(r, key=MASTER):
    flat = cmd(r, "suma_group_info", key)
    return dict(zip(flat[0::2], flat[1::2]))


def test_group_info(make_server):
    s = make_server(module_args=["host-ttl-ms", "300"])
    r = s.client()
    assert group_info(r) == {"hosts": 0, "live": 0, "drained": 0, "leader": None, "epoch": 0,
                             "lease_left_ms": 0, "seq": 0, "evictions": 0, "tasks_queued": 0,
                             "tasks_claimed": 0}
    with r.pipeline(transaction=True) as p:  # atomic: nobody expires in between
        p.execute_command("sumavlib.suma_try_leader", MASTER, A, "60000")
        p.execute_command("sumavlib.suma_keep_alive", MASTER, B)
        p.execute_command("sumavlib.suma_keep_alive", MASTER, C)
        p.execute_command("sumavlib.suma_vip_kill", CHANNEL, B)
        p.execute_command("sumavlib.suma_vip_kill", CHANNEL, D)  # drained, never seen
        for i in range(3):
            p.execute_command("sumavlib.suma_ci_task", CHANNEL, "PUSH", "{}")
        p.execute_command("sumavlib.suma_ci_task", CHANNEL, "CLAIM", A)
        p.execute_command("sumavlib.suma_group_info", CHANNEL)
        flat = p.execute()[-1]
    gi = dict(zip(flat[0::2], flat[1::2]))
    assert 0 < gi.pop("lease_left_ms") <= 60000
    logged = [json.loads(e) for e in cmd(r, "suma_events", CHANNEL, "0")]
    seqs = [e["seq"] for e in logged]
    assert len(seqs) == 10 and seqs == list(range(seqs[0], seqs[0] + 10))
    leader = [e for e in logged if e["type"] == "leader"]
    assert len(leader) == 1 and leader[0]["epoch"] > 0
    assert gi == {"hosts": 3, "live": 3, "drained": 2, "leader": A, "epoch": leader[0]["epoch"],
                  "seq": seqs[-1], "evictions": 0, "tasks_queued": 2, "tasks_claimed": 1}

    def c_evicted():
        beat(r, A, B)
        return r.zscore(G + ":hosts", C) is None
    wait_until(c_evicted, what="eviction of C")
    gi = group_info(r, G)
    assert (gi["hosts"], gi["evictions"]) == (2, 1)
    last = json.loads(cmd(r, "suma_events", CHANNEL, "0")[-1])["seq"]
    assert gi["seq"] == last


def test_commands_refuse_other_dbs_and_leave_them_untouched(make_server):
    # The sweep and Redis Cluster work on db 0 only, so state elsewhere would
    # never be swept: every command refuses another db with a clear error.
    s = make_server(module_args=["host-ttl-ms", "300"])
    r = s.client(db=1)
    for args in (("suma_keep_alive", MASTER, A), ("suma_vip_list", MASTER),
                 ("suma_diamond_list", "*"), ("suma_vip_server_list", "*"),
                 ("suma_ci_task", CHANNEL, "STATS")):
        with pytest.raises(redis.ResponseError) as e:
            cmd(r, *args)
        assert str(e.value) == ("sumavlib keeps coordination state in db 0, this connection "
                                "uses db 1 (SELECT 0 first)"), args
    assert r.dbsize() == 0 and s.client().dbsize() == 0


def test_sweep_evicts_many_hosts_in_many_groups_exactly_once(make_server, subscribe):
    # A small sweep budget spreads the work over many ticks; every host must
    # still be evicted exactly once, with one offline event each.
    s = make_server(module_args=["host-ttl-ms", "300", "sweep-budget-us", "100"])
    r = s.client()
    groups = ["agent.zy_g%d" % i for i in range(3)] + ["{agent.zy_g9}"]
    subs = {g: subscribe(s, g + "_channel") for g in groups}
    n = 300
    with r.pipeline(transaction=False) as p:
        for g in groups:
            for i in range(n):
                p.execute_command("sumavlib.suma_keep_alive", g + "_master",
                                  "10.1.%d.%d:80" % (i // 250, i % 250))
        p.execute()
    assert info(r)["sumavlib_groups_tracked"] >= len(groups)

    def all_gone():
        return all(cmd(r, "suma_group_info", g)[1] == 0 for g in groups)
    wait_until(all_gone, timeout=60, interval=0.05, what="every host evicted")
    assert info(r)["sumavlib_evictions"] == n * len(groups)
    for g in groups:
        ev = subs[g]
        ev.wait_count(2 * n, timeout=20)
        off = ev.of_type("offline")
        assert len(off) == n and len({e["vip"] for e in off}) == n
        assert all(e["reason"] == "expired" for e in off)
        seqs = [e["seq"] for e in ev.events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert r.ping()


GLOB_VIPS = ["10.0.0.1:9001", "10.0.0.2:9002", "a", "ab", "abc", "a]b", "a[b", "a\\b", "a-b",
             "z", "Z", "a*b", "a?b", "^x", "-", "]", "[", "\\", "b-a", "a^b"]


def glob_pair(s, patterns):
    """[(pattern, vip_list result, what Redis's own KEYS glob matches)]."""
    r = s.client()
    with r.pipeline(transaction=False) as p:
        for v in GLOB_VIPS:
            p.execute_command("sumavlib.suma_keep_alive", MASTER, v)
            p.set("v:" + v, "1")
        p.execute()
    return [(pat, set(cmd(r, "suma_vip_list", MASTER, pat)),
             {k[2:] for k in r.keys("v:" + pat)}) for pat in patterns]


def test_patterns_match_like_redis_keys(server):
    # The same glob as KEYS/SCAN: compare with the server's own matcher.
    patterns = ["*", "a*", "*b", "?", "a?b", "[ab]*", "[^a]*", "[a-c]*", "[c-a]*", "[-a]*",
                "a\\*b", "a\\?b", "a\\\\b", "[abc", "abc\\", "a[", "[", "\\", "[\\]]*",
                "[a\\-c]*", "[^-]*", "*[*", "**a**", "a[^b]b", "[!a]*", "[z-a]", "[a-a]*",
                "[\\", "x[^", "[^", "*-*", "10.0.0.[12]:900?", "*:900[^1]"]
    for pat, mine, redis_says in glob_pair(server, patterns):
        assert mine == redis_says, pat


def test_patterns_edge_classes_match_like_redis_keys(server):
    for pat, mine, redis_says in glob_pair(server, ["[]]*", "[^]]*", "[a-]*", "[]", "[^]"]):
        assert mine == redis_says, pat
