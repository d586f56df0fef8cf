"""Fencing: a deposed leader's epoch is refused everywhere, atomically, and
epochs only grow across restarts, AOF rewrites and kill -9.

Scenario: A leads with a short lease, lets it lapse, B wins a larger epoch. A keeps
acting on its old epoch: suma_leader_check and every IFEPOCH write must answer
FENCED and leave the keyspace byte-for-byte unchanged (DUMP of every key),
while the same writes with B's epoch succeed.
"""
import pytest
import redis

from suma_testing.reliability import RedisServer, cmd, keyspace, leader_info, wait_until

MK = "agent.fence_test_master"
CH = "agent.fence_test_channel"


@pytest.fixture
def srv():
    # host-ttl-ms large: no eviction can touch the keyspace during a snapshot.
    s = RedisServer(module_args=["host-ttl-ms", "600000"], aof=True, fsync="always")
    yield s
    s.cleanup()


def fenced(fn):
    with pytest.raises(redis.ResponseError) as e:
        fn()
    assert str(e.value).startswith("FENCED epoch "), str(e.value)
    return str(e.value)


def lapse(r, mk=MK):
    wait_until(lambda: leader_info(r, mk)["vip"] is None, 10, what="lease to lapse")


def depose(r):
    """A leads (epoch ea) then lapses; B takes over (epoch eb). Returns (ea, eb)."""
    assert cmd(r, "suma_try_leader", MK, "host-a:1", 200) == 1
    ea = leader_info(r, MK)["epoch"]
    lapse(r)
    assert cmd(r, "suma_try_leader", MK, "host-b:1", 60000) == 1
    eb = leader_info(r, MK)["epoch"]
    assert eb > ea > 0
    return ea, eb


def test_deposed_leader_is_fenced_and_changes_nothing(srv):
    r = srv.client()
    raw = redis.Redis(host="127.0.0.1", port=srv.port)
    # State the deposed leader will try to change.
    assert cmd(r, "suma_try_leader", MK, "host-a:1", 200) == 1
    ea = leader_info(r, MK)["epoch"]
    assert cmd(r, "suma_diamond_publish", CH, "db.url", "v1", "IFEPOCH", ea) == 1
    tid = cmd(r, "suma_ci_task", CH, "PUSH", '{"job":1}')
    claim = cmd(r, "suma_ci_task", CH, "CLAIM", "host-a:1", 600000)
    assert claim[0] == tid
    assert cmd(r, "suma_leader_check", MK, ea) == 1

    # A's lease lapses with nobody leading: its epoch is already fenced.
    lapse(r)
    msg = fenced(lambda: cmd(r, "suma_leader_check", MK, ea))
    assert "no leader" in msg
    # B wins the next epoch.
    assert cmd(r, "suma_try_leader", MK, "host-b:1", 60000) == 1
    eb = leader_info(r, MK)["epoch"]
    assert eb > ea > 0
    # A's try_leader and keep_alive do not take or renew anything.
    assert cmd(r, "suma_try_leader", MK, "host-a:1", 200) == 0
    assert cmd(r, "suma_keep_alive", MK, "host-a:1") == "host-b:1"

    before = keyspace(raw)
    msg = fenced(lambda: cmd(r, "suma_leader_check", MK, ea))
    assert "current epoch %d" % eb in msg
    fenced(lambda: cmd(r, "suma_diamond_publish", CH, "db.url", "stale", "IFEPOCH", ea))
    v1 = cmd(r, "suma_diamond_get", CH, "db.url")[1]
    fenced(lambda: cmd(r, "suma_diamond_cas", CH, "db.url", v1, "stale", "IFEPOCH", ea))
    fenced(lambda: cmd(r, "suma_diamond_delete", CH, "db.url", "IFEPOCH", ea))
    fenced(lambda: cmd(r, "suma_ci_task", CH, "ACK", tid, "host-a:1", "IFEPOCH", ea))
    fenced(lambda: cmd(r, "suma_ci_task", CH, "ACK", tid, "IFEPOCH", ea))
    # A future epoch nobody was granted is refused as well.
    fenced(lambda: cmd(r, "suma_diamond_publish", CH, "db.url", "stale", "IFEPOCH", eb + 1))
    assert keyspace(raw) == before, "a fenced write changed the keyspace"
    assert cmd(r, "suma_diamond_get", CH, "db.url")[0] == "v1"
    assert [c[0] for c in cmd(r, "suma_ci_task", CH, "CLAIMED")] == [tid]

    # The new leader's writes with its epoch go through.
    assert cmd(r, "suma_leader_check", MK, eb) == 1
    assert cmd(r, "suma_diamond_publish", CH, "db.url", "v2", "IFEPOCH", eb) == 1
    v2 = cmd(r, "suma_diamond_get", CH, "db.url")[1]
    assert v2 > v1
    assert cmd(r, "suma_diamond_cas", CH, "db.url", v2, "v3", "IFEPOCH", eb) == 1
    assert cmd(r, "suma_ci_task", CH, "ACK", tid, "host-a:1", "IFEPOCH", eb) == 1
    v3 = cmd(r, "suma_diamond_get", CH, "db.url")
    assert v3[0] == "v3" and v3[1] > v2
    assert cmd(r, "suma_ci_task", CH, "CLAIMED") == []
    assert cmd(r, "suma_diamond_delete", CH, "db.url", "IFEPOCH", eb) == 1
    # And a resign fences the resigning leader's own epoch at once.
    assert cmd(r, "suma_leader_resign", MK, "host-b:1") == 1
    fenced(lambda: cmd(r, "suma_leader_check", MK, eb))


def test_fenced_writes_are_not_persisted(srv):
    """The refused writes leave nothing in the AOF either: after kill -9 and
    restart the old leader's values are absent."""
    r = srv.client()
    ea, eb = depose(r)
    for i in range(20):
        fenced(lambda: cmd(r, "suma_diamond_publish", CH, "k%d" % i, "stale", "IFEPOCH", ea))
    assert cmd(r, "suma_diamond_publish", CH, "k0", "fresh", "IFEPOCH", eb) == 1
    srv.kill9()
    srv.start()
    r = srv.client()
    assert cmd(r, "suma_diamond_get", CH, "k0")[0] == "fresh"
    assert all(cmd(r, "suma_diamond_get", CH, "k%d" % i) is None for i in range(1, 20))
    assert [h[2] for h in cmd(r, "suma_diamond_history", CH, "k0")] == ["fresh"]


@pytest.mark.parametrize("how", ["restart", "bgrewriteaof", "kill9", "kill9-after-rewrite"])
def test_epochs_only_grow_across_restarts(srv, how):
    r = srv.client()
    seen = 0
    for rnd in range(3):
        ea, eb = depose(r)
        assert ea > seen
        seen = eb
        if how in ("bgrewriteaof", "kill9-after-rewrite"):
            r.bgrewriteaof()
            wait_until(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0 and
                       r.info("persistence")["aof_rewrite_scheduled"] == 0, 30,
                       what="AOF rewrite")
        if how.startswith("kill9"):
            srv.kill9()
        else:
            srv.stop()
        srv.start()
        r = srv.client()
        info = leader_info(r, MK)
        assert info["epoch"] == eb, (how, rnd, info)
        # B's lease (60 s) survives the restart; its epoch is still current.
        assert info["vip"] == "host-b:1"
        assert cmd(r, "suma_leader_check", MK, eb) == 1
        fenced(lambda: cmd(r, "suma_leader_check", MK, ea))
        assert cmd(r, "suma_leader_resign", MK, "host-b:1") == 1
        # The next leader after the restart gets a higher epoch than any before.
        assert cmd(r, "suma_try_leader", MK, "host-c:1", 200) == 1
        ec = leader_info(r, MK)["epoch"]
        assert ec > eb
        seen = ec
        lapse(r)
