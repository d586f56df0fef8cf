"""Task queue: suma_ci_task PUSH/CLAIM/ACK/EXTEND/PENDING/CLAIMED/STATS,
redelivery after a lapsed lease and requeue when the claiming host goes away."""
import json
import time

from conftest import G, MASTER, CHANNEL, assert_event, cmd, wait_until

A, B = "10.0.0.1:9001", "10.0.0.2:9001"


def task(r, *args, ch=CHANNEL):
    return cmd(r, "suma_ci_task", ch, *args)


def test_push_claim_ack(r, server, subscribe):
    ev = subscribe(server)
    assert task(r, "STATS") == ["queued", 0, "claimed", 0]
    assert task(r, "CLAIM", A) is None
    t1 = task(r, "PUSH", '{"job": "a"}')
    t2 = task(r, "push", '{"job": "b"}')
    t3 = task(r, "Push", '[3]', ch=MASTER)
    assert 0 < t1 < t2 < t3
    assert task(r, "PENDING") == [[t1, '{"job": "a"}'], [t2, '{"job": "b"}'], [t3, '[3]']]
    assert task(r, "PENDING", "2") == [[t1, '{"job": "a"}'], [t2, '{"job": "b"}']]
    assert task(r, "STATS") == ["queued", 3, "claimed", 0]
    # Oldest first.
    assert task(r, "CLAIM", A) == [t1, '{"job": "a"}', 1]
    assert task(r, "CLAIM", B, "5000") == [t2, '{"job": "b"}', 1]
    assert task(r, "STATS") == ["queued", 1, "claimed", 2]
    assert task(r, "PENDING") == [[t3, "[3]"]]
    claimed = sorted(task(r, "CLAIMED"))  # order is not part of the contract
    assert [(c[0], c[1]) for c in claimed] == [(t1, A), (t2, B)]
    now_ms = int(r.time()[0]) * 1000
    assert now_ms + 20000 < claimed[0][2] <= now_ms + 31000  # task-lease-ms 30000
    assert claimed[1][2] < claimed[0][2]
    # ACK by the wrong vip, of an unknown or unclaimed id: 0.
    assert task(r, "ACK", str(t1), B) == 0
    assert task(r, "ACK", "99") == 0
    assert task(r, "ACK", str(t3 + 1)) == 0
    assert task(r, "ACK", str(t3)) == 0
    assert task(r, "ACK", str(t1), A) == 1
    assert task(r, "ACK", str(t1), A) == 0
    assert task(r, "ACK", str(t2)) == 1  # without vip: whoever claimed it
    assert task(r, "STATS") == ["queued", 1, "claimed", 0]
    assert task(r, "CLAIMED") == []
    assert not r.hexists(G + ":tasks", str(t1)) and not r.hexists(G + ":tasks", str(t2))
    assert r.hexists(G + ":tasks", str(t3))
    # Ids only grow, also after acks.
    t4 = task(r, "PUSH", "{}")
    assert t4 > t3
    events = ev.wait_count(8)
    acts = [(e["action"], e["id"]) for e in events if e["type"] == "task"]
    assert acts == [("push", t1), ("push", t2), ("push", t3), ("claim", t1), ("claim", t2),
                    ("ack", t1), ("ack", t2), ("push", t4)]
    claim = [e for e in events if e.get("action") == "claim"][0]
    assert_event(claim, "task", action="claim", id=t1, vip=A)


def test_redelivery_after_lease_lapses(r, server, subscribe):
    ev = subscribe(server)
    t = task(r, "PUSH", '{"n":1}')
    assert t > 0
    with r.pipeline(transaction=True) as p:
        p.execute_command("sumavlib.suma_ci_task", CHANNEL, "CLAIM", A, "150")
        p.execute_command("sumavlib.suma_ci_task", CHANNEL, "CLAIM", B)  # still claimed
        assert p.execute() == [[t, '{"n":1}', 1], None]

    def lapsed():
        claimed = task(r, "CLAIMED")
        ms = int(r.execute_command("TIME")[0]) * 1000 + int(r.execute_command("TIME")[1]) // 1000
        return claimed[0][2] < ms
    wait_until(lapsed, what="claim lease lapse")
    # The lapsed claim can no longer be acked or extended...
    assert task(r, "ACK", str(t), A) == 0
    assert task(r, "EXTEND", str(t), A) == 0
    # ...and is handed out again, attempt 2.
    assert task(r, "CLAIM", B, "10000") == [t, '{"n":1}', 2]
    assert [(c[0], c[1]) for c in task(r, "CLAIMED")] == [(t, B)]
    assert task(r, "ACK", str(t), A) == 0
    assert task(r, "ACK", str(t), B) == 1
    req = ev.wait(lambda e: e.get("action") == "requeue")
    assert_event(req, "task", action="requeue", id=t, reason="lease")


def test_extend(r):
    t = task(r, "PUSH", "1")
    assert t > 0
    assert task(r, "CLAIM", A, "10000") == [t, "1", 1]
    first = task(r, "CLAIMED")[0][2]
    assert task(r, "EXTEND", str(t), B) == 0
    assert task(r, "EXTEND", str(t + 1), A) == 0
    time.sleep(0.005)
    assert task(r, "EXTEND", str(t), A, "60000") == 1
    second = task(r, "CLAIMED")[0][2]
    assert second >= first + 50000
    time.sleep(0.005)
    assert task(r, "EXTEND", str(t), A) == 1  # default task-lease-ms
    third = task(r, "CLAIMED")[0][2]
    assert first < third < second
    assert task(r, "STATS") == ["queued", 0, "claimed", 1]


def test_requeue_when_claiming_host_leaves(r, server, subscribe):
    ev = subscribe(server)
    cmd(r, "suma_keep_alive", MASTER, A)
    ids = [task(r, "PUSH", str(i)) for i in range(3)]
    assert ids == sorted(set(ids)) and ids[0] > 0
    assert task(r, "CLAIM", A)[0] == ids[0]
    assert task(r, "CLAIM", A)[0] == ids[1]
    assert task(r, "CLAIM", B)[0] == ids[2]
    assert cmd(r, "suma_vip_leave", MASTER, A) == 1
    assert task(r, "STATS") == ["queued", 2, "claimed", 1]
    assert task(r, "PENDING") == [[ids[0], "0"], [ids[1], "1"]]
    assert [(c[0], c[1]) for c in task(r, "CLAIMED")] == [(ids[2], B)]
    reqs = [ev.wait(lambda e, i=i: e.get("action") == "requeue" and e["id"] == i)
            for i in ids[:2]]
    for e in reqs:
        assert_event(e, "task", reason="offline")
    assert task(r, "CLAIM", B) == [ids[0], "0", 2]


def test_requeue_when_claiming_host_is_evicted(make_server, subscribe):
    s = make_server(module_args=["host-ttl-ms", "300"])
    r = s.client()
    ev = subscribe(s)
    cmd(r, "suma_keep_alive", MASTER, A)
    t = task(r, "PUSH", '"t"')
    assert task(r, "CLAIM", A, "60000") == [t, '"t"', 1]

    def evicted():
        cmd(r, "suma_keep_alive", MASTER, B)
        return r.zscore(G + ":hosts", A) is None
    wait_until(evicted, what="eviction of the claiming host")
    assert task(r, "STATS") == ["queued", 1, "claimed", 0]
    off = ev.wait(lambda e: e["type"] == "offline")
    req = ev.wait(lambda e: e.get("action") == "requeue")
    assert_event(req, "task", id=t, reason="offline")
    assert off["seq"] < req["seq"]
    assert task(r, "CLAIM", B) == [t, '"t"', 2]


def test_max_tasks(make_server):
    s = make_server(module_args=["max-tasks", "2"])
    r = s.client()
    from conftest import Raw, snapshot
    raw = Raw(s)
    t1 = task(r, "PUSH", "1")
    t2 = task(r, "PUSH", "2")
    assert 0 < t1 < t2
    before = snapshot(s)
    assert raw.error("sumavlib.suma_ci_task", CHANNEL, "PUSH", "3") == \
        "FULL task queue of group 'agent.zy_test' already holds max-tasks (2) tasks"
    assert snapshot(s) == before
    # Claimed tasks count too; an ack makes room.
    assert task(r, "CLAIM", A)[0] == t1
    assert raw.error("sumavlib.suma_ci_task", CHANNEL, "PUSH", "3").startswith("FULL task queue")
    assert task(r, "ACK", str(t1)) == 1
    assert task(r, "PUSH", "3") > t2
    raw.close()


def test_task_payload_is_verbatim_and_groups_are_separate(r):
    payload = json.dumps({"cmd": "build", "args": ["-j2"], "u": "é"}, ensure_ascii=False)
    t = task(r, "PUSH", payload)
    other = task(r, "PUSH", "{}", ch="{agent.zy_test}_channel")
    assert t > 0 and other > 0
    assert task(r, "CLAIM", A, ch=G) == [t, payload, 1]
    assert task(r, "STATS", ch="{agent.zy_test}") == ["queued", 1, "claimed", 0]
    assert task(r, "PENDING", ch="{agent.zy_test}") == [[other, "{}"]]


def test_ack_ifepoch(r, server):
    from conftest import Raw, snapshot
    raw = Raw(server)
    t1 = task(r, "PUSH", "1")
    t2 = task(r, "PUSH", "2")
    assert task(r, "CLAIM", A, "60000")[0] == t1
    assert task(r, "CLAIM", A, "60000")[0] == t2
    # Elect with a short lease and ack twice under the epoch just granted, in
    # one atomic step (Lua numbers are doubles: the epoch goes back as "%d").
    took, e1, first, again = r.eval("""
        local took = redis.call('sumavlib.suma_try_leader', KEYS[1], ARGV[1], '200')
        local e = string.format('%d', redis.call('sumavlib.suma_leader_info', KEYS[1])[4])
        local a1 = redis.call('sumavlib.suma_ci_task', KEYS[2], 'ACK', ARGV[2], ARGV[1],
                              'IFEPOCH', e)
        local a2 = redis.call('sumavlib.suma_ci_task', KEYS[2], 'ACK', ARGV[2], ARGV[1],
                              'IFEPOCH', e)
        return {took, e, a1, a2}""", 2, MASTER, CHANNEL, A, str(t1))
    assert [took, first, again] == [1, 1, 0]  # the second: already acked
    wait_until(lambda: cmd(r, "suma_leader_info", MASTER)[1] is None, what="lease expiry")
    before = snapshot(server)
    assert raw.error("sumavlib.suma_ci_task", CHANNEL, "ACK", str(t2), A, "IFEPOCH", e1) == \
        "FENCED epoch %s is not the current leadership (no leader)" % e1
    assert raw.error("sumavlib.suma_ci_task", CHANNEL, "ACK", str(t2), "IFEPOCH", e1) == \
        "FENCED epoch %s is not the current leadership (no leader)" % e1
    assert snapshot(server) == before
    assert cmd(r, "suma_try_leader", MASTER, B) == 1
    e2 = cmd(r, "suma_leader_info", MASTER)[3]
    assert e2 > int(e1)
    assert raw.error("sumavlib.suma_ci_task", CHANNEL, "ACK", str(t2), "IFEPOCH", e1) == \
        "FENCED epoch %s is not the current leadership (current epoch %d)" % (e1, e2)
    assert task(r, "ACK", str(t2), "IFEPOCH", str(e2)) == 1
    assert task(r, "STATS") == ["queued", 0, "claimed", 0]
    raw.close()
