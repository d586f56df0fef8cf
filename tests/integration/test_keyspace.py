"""Ordinary Redis commands on the module's internal keys (issue 9): nothing a
user or Redis itself does to them crashes the server or stops the sweep, and
fencing values never repeat (docs/module semantics: epochs, config versions
and task ids strictly grow; event seqs are +1 within a series and restart
above everything before when their counter is lost).

Every test that damages one group checks that eviction goes on in another,
untouched group: a silent host there is evicted once its host-ttl-ms has
passed, with its `offline` event on the group channel."""
import json
import time

import pytest
import redis

from conftest import Raw, RespError, cmd, wait_until

TTL = 800  # host-ttl-ms: the start-up grace and every eviction take about this long
ARGS = ["host-ttl-ms", str(TTL)]

G = "agent.ks_target"         # the group the test damages
GM, GC = G + "_master", G + "_channel"
U = "agent.ks_untouched"      # the group nobody touches by hand
UM, UC = U + "_master", U + "_channel"
A, B, C, S = "10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001", "10.0.0.99:9001"
ALIVE, SILENT = "10.7.0.1:80", "10.7.0.2:80"
INT64_MAX = 9223372036854775807


def server_ms(r):
    sec, usec = r.time()
    return sec * 1000 + usec // 1000


def info_grace(r):
    return int(r.info("sumavlib")["sumavlib_grace_left_ms"])


def bclient(s):
    return redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=10)


def populate(r, group=G):
    """A group with a leader, a follower, a silent host, a drained vip, a
    config, a registered server, tasks (one claimed) and a message."""
    m, c = group + "_master", group + "_channel"
    assert cmd(r, "suma_try_leader", m, A, "60000") == 1
    cmd(r, "suma_keep_alive", m, B)
    cmd(r, "suma_keep_alive", m, S)
    assert cmd(r, "suma_vip_kill", c, C) == 1
    assert cmd(r, "suma_diamond_publish", c, "app.conf", "v1") == 1
    assert cmd(r, "suma_vip_register", m, A, '{"a":1}') == 1
    t1 = cmd(r, "suma_ci_task", c, "PUSH", '{"t":1}')
    cmd(r, "suma_ci_task", c, "PUSH", '{"t":2}')
    assert cmd(r, "suma_ci_task", c, "CLAIM", A, "600000")[0] == t1
    assert cmd(r, "suma_message_publish", c, '"hello"') == 1


class Untouched:
    """The control group: ALIVE heartbeats, SILENT never again."""

    def __init__(self, s, subscribe, group=U):
        self.s, self.r = s, s.client()
        self.m, self.c = group + "_master", group + "_channel"
        self.ev = subscribe(s, self.c)
        cmd(self.r, "suma_keep_alive", self.m, ALIVE)
        cmd(self.r, "suma_keep_alive", self.m, SILENT)
        self.silent_seen = int(self.r.zscore(group + ":hosts", SILENT))

    def beat(self):
        cmd(self.r, "suma_keep_alive", self.m, ALIVE)

    def assert_silent_host_evicted(self, timeout=15):
        def gone():
            self.beat()
            return cmd(self.r, "suma_vip_info", self.m, SILENT)[1] == "unknown"
        wait_until(gone, timeout=timeout, what="eviction of the silent host in the untouched group",
             on_fail=self.s.log_tail)
        off = self.ev.wait(lambda e: e["type"] == "offline" and e["vip"] == SILENT,
                           what="offline event of the silent host")
        assert off["reason"] == "expired", off
        # Not before its TTL ran out.
        assert off["ts"] >= self.silent_seen + TTL, (off, self.silent_seen)
        assert cmd(self.r, "suma_vip_list", self.m) == [ALIVE]
        assert [e["vip"] for e in self.ev.of_type("offline")] == [SILENT]
        assert self.r.ping()


def read_every_key(s, junk_prefix=b"junk:"):
    """The keyspace walk: every key can be read in full by its type, and every
    key is either an internal key of a valid group or the test's filler."""
    b = bclient(s)
    readers = {b"string": ("GET",), b"list": ("LRANGE", "0", "-1"), b"set": ("SMEMBERS",),
               b"hash": ("HGETALL",), b"zset": ("ZRANGE", "0", "-1", "WITHSCORES"),
               b"stream": ("XRANGE", "-", "+")}
    n = 0
    for k in b.scan_iter(count=1000):
        n += 1
        if k.startswith(junk_prefix):
            continue
        g, sep, _ = k.partition(b":")
        assert sep and g, k
        t = b.type(k)
        if t == b"none":
            continue
        assert t in readers, (k, t)
        b.execute_command(readers[t][0], k, *readers[t][1:])
        if t == b"stream":
            b.execute_command("XINFO", "STREAM", k)
    b.close()
    return n


def untouched_is_sane(r, group=U):
    """The control group's keys hold exactly what the module would write."""
    hosts = [m for m, sc in r.zrange(group + ":hosts", 0, -1, withscores=True)
             if sc != float("-inf")]
    assert hosts == [ALIVE], hosts
    log = [json.loads(x) for x in cmd(r, "suma_events", group + "_channel", "0")]
    seqs = [e["seq"] for e in log]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert [e["type"] for e in log] == ["online", "online", "offline"], log


def others_ok(r):
    """Module commands on the damaged group still answer (a value or a clear
    error), never drop the connection."""
    raw_cmds = [("suma_keep_alive", GM, A), ("suma_vip_list", GM), ("suma_group_info", GM),
                ("suma_leader_info", GM), ("suma_vip_drained", GC), ("suma_events", GC, "0"),
                ("suma_diamond_get", GC, "app.conf"), ("suma_ci_task", GC, "STATS"),
                ("suma_message_publish", GC, '"after"')]
    out = {}
    for args in raw_cmds:
        try:
            out[args[0]] = cmd(r, *args)
        except redis.ResponseError as e:
            assert str(e), args
            out[args[0]] = e
    assert r.ping()
    return out


# --- Hand-made changes to one group; eviction goes on in another -------------

def damage_hosts_del(r, b):
    assert r.delete(G + ":hosts") == 1


def damage_hosts_unlink(r, b):
    assert r.unlink(G + ":hosts") == 1


def damage_hosts_pexpire(r, b):
    assert r.pexpire(G + ":hosts", 30) == 1
    wait_until(lambda: not r.exists(G + ":hosts"), what=":hosts to expire")


def damage_hosts_rename(r, b):
    r.rename(G + ":hosts", "junk:renamed-hosts")


def damage_meta_del(r, b):
    assert r.delete(G + ":meta") == 1


def damage_events_del(r, b):
    assert r.delete(G + ":events") == 1


def damage_drained_del(r, b):
    assert r.delete(G + ":drained") == 1


DAMAGE = {"hosts-del": damage_hosts_del, "hosts-unlink": damage_hosts_unlink,
          "hosts-pexpire": damage_hosts_pexpire, "hosts-rename": damage_hosts_rename,
          "meta-del": damage_meta_del, "events-del": damage_events_del,
          "drained-del": damage_drained_del}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_hand_change_of_one_group_keeps_sweep_alive_elsewhere(make_server, subscribe, how):
    s = make_server(module_args=ARGS)
    r, b = s.client(), bclient(s)
    target = subscribe(s, GC)
    populate(r)
    target.wait(lambda e: e["type"] == "message", what="the populate events")
    last_seq = max(json.loads(x)["seq"] for x in cmd(r, "suma_events", GC, "0"))
    epoch = cmd(r, "suma_leader_info", GM)[3]
    ctl = Untouched(s, subscribe)
    DAMAGE[how](r, b)
    # Several sweep ticks visit the damaged group while the control group's
    # silent host runs out of time.
    time.sleep(0.1)
    assert r.ping()
    ctl.assert_silent_host_evicted()

    if how.startswith("hosts"):
        # The group's hosts are gone; a heartbeat starts a new list.
        assert cmd(r, "suma_vip_list", GM) == []
        cmd(r, "suma_keep_alive", GM, B)
        assert cmd(r, "suma_vip_list", GM) == [B]
    elif how == "meta-del":
        # The lease was in :meta: nobody leads; the next tenure is larger and
        # event seqs restart above everything before.
        assert cmd(r, "suma_leader_info", GM)[1] is None
        assert cmd(r, "suma_try_leader", GM, B) == 1
        assert cmd(r, "suma_leader_info", GM)[3] > epoch
        assert cmd(r, "suma_message_publish", GC, '"after"') == 1
        after = target.wait(lambda e: e.get("data") == "after")
        assert after["seq"] > last_seq
    elif how == "events-del":
        # Seqs go on from the counter (the sweep evicted this group's silent
        # hosts meanwhile, too); the log starts again with the events after
        # the deletion.
        assert cmd(r, "suma_message_publish", GC, '"after"') == 1
        target.wait(lambda e: e.get("data") == "after")
        seqs = [e["seq"] for e in target.events]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
        log = [json.loads(x) for x in cmd(r, "suma_events", GC, "0")]
        assert log == [e for e in target.events if e["seq"] > last_seq]
    elif how == "drained-del":
        # Every drained host is restored, without an event.
        assert cmd(r, "suma_vip_drained", GC) == []
        assert cmd(r, "suma_vip_info", GM, C)[1] != "drained"
        target.drain()
        assert target.of_type("reset") == []
    others_ok(r)
    read_every_key(s)
    untouched_is_sane(r)
    assert r.ping()
    b.close()


def test_flushall_then_sweep_rediscovers(make_server, subscribe):
    s = make_server(module_args=ARGS)
    r = s.client()
    populate(r)
    old = Untouched(s, subscribe, group="agent.ks_before_flush")
    r.flushall()
    assert r.dbsize() == 0
    time.sleep(0.1)
    assert r.ping()
    # Groups made after the flush are found and swept.
    ctl = Untouched(s, subscribe)
    ctl.assert_silent_host_evicted()
    # The flushed group's host is gone with its keys: no offline for it.
    assert old.ev.of_type("offline") == []
    others_ok(r)
    read_every_key(s)
    untouched_is_sane(r)


def test_allkeys_lru_eviction_of_internal_keys(make_server, subscribe):
    s = make_server(module_args=ARGS)
    r = s.client()
    groups = ["agent.ks_lru%d" % i for i in range(40)]
    for g in groups:
        populate(r, g)
    internal_before = sum(1 for k in r.scan_iter(count=1000) if not k.startswith("junk:"))
    used = r.info("memory")["used_memory"]
    r.config_set("maxmemory", str(used + 2 * 1024 * 1024))
    r.config_set("maxmemory-policy", "allkeys-lru")
    value = "x" * 2048
    internal_now = internal_before
    for i in range(0, 20000, 100):  # bounded: at most 40 MB of filler
        with r.pipeline(transaction=False) as p:
            for j in range(i, i + 100):
                p.set("junk:%d" % j, value)
            p.execute()
        if r.info("stats")["evicted_keys"] > 0:
            internal_now = sum(1 for k in r.scan_iter(count=1000) if not k.startswith("junk:"))
            if internal_now < internal_before:
                break
    assert r.info("stats")["evicted_keys"] > 0
    assert internal_now < internal_before, "Redis evicted no internal key"
    time.sleep(0.1)
    assert r.ping()
    # The sweep goes on in the groups that remain: a new group is swept.
    ctl = Untouched(s, subscribe)
    ctl.assert_silent_host_evicted()
    read_every_key(s)
    for g in groups:  # commands on half-evicted groups answer
        try:
            cmd(r, "suma_group_info", g)
            cmd(r, "suma_keep_alive", g + "_master", B)
        except redis.ResponseError as e:
            assert str(e)
    assert r.ping()


@pytest.mark.parametrize("how", ["flushdb1", "swapdb12", "both"])
def test_other_db_flush_or_swap_changes_nothing(make_server, subscribe, how):
    s = make_server(module_args=ARGS)
    r = s.client()
    ctl = Untouched(s, subscribe)
    r1 = s.client(db=1)
    r1.mset({"k%d" % i: "v" for i in range(50)})
    s.client(db=2).set("x", "y")
    if how in ("flushdb1", "both"):
        r1.flushdb()
    if how in ("swapdb12", "both"):
        r.swapdb(1, 2)
    ctl.assert_silent_host_evicted()
    untouched_is_sane(r)


# --- Keys that arrive under a group name are tracked -------------------------

@pytest.mark.parametrize("how", ["rename-new", "rename-over-tracked", "restore"])
def test_arriving_hosts_key_is_tracked_after_grace(make_server, subscribe, how):
    s = make_server(module_args=ARGS)
    r, b = s.client(), bclient(s)
    src = "agent.ks_src"
    dst = "agent.ks_dst"
    ev = subscribe(s, dst + "_channel")
    src_ev = subscribe(s, src + "_channel")
    # Past the start-up grace, SILENT's last heartbeat half a TTL before its
    # key arrives: without the arrival grace it would go at last_seen + TTL,
    # with it not before arrival + TTL.
    wait_until(lambda: info_grace(r) == 0, what="start-up grace to end")
    cmd(r, "suma_keep_alive", src + "_master", SILENT)
    if how == "rename-over-tracked":
        cmd(r, "suma_keep_alive", dst + "_master", "10.8.0.1:1")  # replaced by the RENAME
    time.sleep(TTL / 2000)
    arrived_ms = server_ms(r)
    if how == "restore":
        dump = b.dump(src + ":hosts")
        b.restore(dst + ":hosts", 0, dump)
    else:
        r.rename(src + ":hosts", dst + ":hosts")
    wait_until(lambda: cmd(r, "suma_vip_info", dst + "_master", SILENT)[1] == "unknown",
         timeout=15, what="eviction in the arrived group", on_fail=s.log_tail)
    off = ev.wait(lambda e: e["type"] == "offline" and e["vip"] == SILENT)
    assert off["reason"] == "expired" and off["group"] == dst
    assert off["ts"] >= arrived_ms + TTL, (off, arrived_ms)
    if how == "restore":
        # The original is still tracked and swept too.
        src_off = src_ev.wait(lambda e: e["type"] == "offline" and e["vip"] == SILENT)
        assert src_off["group"] == src
    else:
        assert src_ev.of_type("offline") == []
        assert not r.exists(src + ":hosts")
    if how == "rename-over-tracked":
        assert [e["vip"] for e in ev.of_type("offline")] == [SILENT]
    read_every_key(s)
    assert r.ping()
    b.close()


# --- Fencing across deletion by hand ----------------------------------------

class SeqLedger:
    """Every event seen, by seq, from the channel and from suma_events: one
    seq must always mean one event."""

    def __init__(self, r, ev, channel):
        self.r, self.ev, self.channel = r, ev, channel
        self.by_seq = {}

    def add(self, e, where):
        key = json.dumps(e, sort_keys=True)
        prev = self.by_seq.setdefault(e["seq"], key)
        assert prev == key, ("seq %d reused (%s)" % (e["seq"], where), prev, key)

    def collect(self):
        self.ev.drain()
        for e in self.ev.events:
            self.add(e, "channel")
        for x in cmd(self.r, "suma_events", self.channel, "0"):
            self.add(json.loads(x), "suma_events")


def test_fencing_values_never_repeat_after_hand_deletion(make_server, subscribe):
    s = make_server(module_args=ARGS)
    r, b = s.client(), bclient(s)
    ev = subscribe(s, GC)
    ledger = SeqLedger(r, ev, GC)
    epochs, versions, tasks = [], [], []

    def elect(vip):
        assert cmd(r, "suma_try_leader", GM, vip, "60000") == 1
        e = cmd(r, "suma_leader_info", GM)[3]
        epochs.append(e)
        return e

    def publish(v):
        assert cmd(r, "suma_diamond_publish", GC, "k", v) == 1
        versions.append(cmd(r, "suma_diamond_get", GC, "k")[1])
        return versions[-1]

    def push():
        tasks.append(cmd(r, "suma_ci_task", GC, "PUSH", "{}"))

    # Before: a tenure, config versions, tasks and events.
    elect(A)
    publish("v1")
    old_cfg = b.dump(G + ":cfg:k")
    publish("v2")
    push()
    old_meta = b.dump(G + ":meta")
    cmd(r, "suma_message_publish", GC, '"before"')
    ev.wait(lambda e: e.get("data") == "before")
    ledger.collect()
    seqs_before = max(ledger.by_seq)

    # DEL :meta: the lease is gone, the next epoch is larger.
    assert r.delete(G + ":meta") == 1
    assert cmd(r, "suma_leader_info", GM)[1] is None
    elect(B)
    assert epochs[1] > epochs[0]
    push()
    cmd(r, "suma_message_publish", GC, '"after-del"')
    after = ev.wait(lambda e: e.get("data") == "after-del")
    assert after["seq"] > seqs_before
    ledger.collect()

    # RESTORE of an older :meta: still nothing granted twice.
    assert cmd(r, "suma_leader_resign", GM, B) == 1
    b.restore(G + ":meta", 0, old_meta, replace=True)
    if cmd(r, "suma_leader_info", GM)[1] is not None:  # the restored lease of A
        assert cmd(r, "suma_leader_resign", GM, A) == 1
    elect(C)
    assert epochs[2] > epochs[1]
    push()
    cmd(r, "suma_message_publish", GC, '"after-restore"')
    ev.wait(lambda e: e.get("data") == "after-restore")
    ledger.collect()

    # DEL of the config stream, then RESTORE of an older DUMP of it.
    assert r.delete(G + ":cfg:k") == 1
    assert cmd(r, "suma_diamond_get", GC, "k") is None
    publish("v3")
    b.restore(G + ":cfg:k", 0, old_cfg, replace=True)
    assert cmd(r, "suma_diamond_get", GC, "k")[:2] == ["v1", versions[0]]
    publish("v4")
    assert cmd(r, "suma_diamond_history", GC, "k")[0][0] == versions[-1]
    ledger.collect()

    assert epochs == sorted(set(epochs)), epochs
    assert versions == sorted(set(versions)), versions
    assert tasks == sorted(set(tasks)), tasks
    # The diamond events carry the versions granted, in order.
    assert [e["version"] for e in ev.of_type("diamond")] == versions
    channel_seqs = [e["seq"] for e in ev.events]
    assert len(channel_seqs) == len(set(channel_seqs)), channel_seqs
    assert channel_seqs == sorted(channel_seqs)
    assert len(ledger.by_seq) >= len(channel_seqs)
    b.close()


# --- Injected failures of internal writes ------------------------------------

def logical_state(b, group):
    """Every key of the group, compared logically: type, contents (hash fields
    sorted, zset members with scores, stream entries with ids and fields) and
    expiry."""
    out = {}
    for k in sorted(b.scan_iter(match=group + ":*", count=1000)):
        t = b.type(k)
        if t == b"hash":
            v = sorted(b.hgetall(k).items())
        elif t == b"zset":
            v = b.zrange(k, 0, -1, withscores=True)
        elif t == b"stream":
            v = b.xrange(k, "-", "+")
        elif t == b"string":
            v = b.get(k)
        elif t == b"list":
            v = b.lrange(k, 0, -1)
        elif t == b"set":
            v = sorted(b.smembers(k))
        else:
            v = None
        out[k] = (t, v, b.execute_command("PEXPIRETIME", k))
    return out


def prepared(r):
    """The group every injected-failure command runs against."""
    assert cmd(r, "suma_try_leader", GM, A, "600000") == 1
    cmd(r, "suma_keep_alive", GM, B)
    assert cmd(r, "suma_vip_kill", GC, C) == 1
    assert cmd(r, "suma_diamond_publish", GC, "app.conf", "v1") == 1
    assert cmd(r, "suma_vip_register", GM, B, '{"b":1}') == 1
    ids = [cmd(r, "suma_ci_task", GC, "PUSH", '{"t":%d}' % i) for i in range(3)]
    assert cmd(r, "suma_ci_task", GC, "CLAIM", A, "600000")[0] == ids[0]
    assert cmd(r, "suma_ci_task", GC, "CLAIM", B, "600000")[0] == ids[1]
    return ids


def write_commands(r, ids):
    """(name, args) of every write command; args is a function called just
    before the command runs (a cas needs the version of that moment)."""
    def version():
        return str(cmd(r, "suma_diamond_get", GC, "app.conf")[1])
    fixed = [
        ("try_leader-new", ("suma_try_leader", "agent.ks_fresh_master", A)),
        ("keep_alive-new-host", ("suma_keep_alive", GM, "10.0.5.5:1")),
        ("keep_alive-leader", ("suma_keep_alive", GM, A)),
        ("vip_kill", ("suma_vip_kill", GC, B)),
        ("vip_reset", ("suma_vip_reset", GC, C)),
        ("message_publish", ("suma_message_publish", GC, '{"m":1}')),
        ("diamond_publish", ("suma_diamond_publish", GC, "app.conf", "v2")),
        ("diamond_cas", lambda: ("suma_diamond_cas", GC, "app.conf", version(), "v3")),
        ("vip_register", ("suma_vip_register", GM, A, '{"a":1}')),
        ("vip_unregister", ("suma_vip_unregister", GM, B)),
        ("ci_task-PUSH", ("suma_ci_task", GC, "PUSH", '{"t":9}')),
        ("ci_task-CLAIM", ("suma_ci_task", GC, "CLAIM", C, "600000")),
        ("ci_task-ACK", ("suma_ci_task", GC, "ACK", str(ids[1]), B)),
        ("ci_task-EXTEND", ("suma_ci_task", GC, "EXTEND", str(ids[0]), A, "500000")),
        ("diamond_delete", ("suma_diamond_delete", GC, "app.conf")),
        ("vip_leave-leader-with-claim", ("suma_vip_leave", GM, A)),
    ]
    return [(n, a if callable(a) else (lambda a=a: a)) for n, a in fixed]


INJECTED = ("ERR internal write failed (", "): injected failure "
            "(sumavlib.debug-fail-nth-write); nothing was changed")


def test_injected_write_failures_change_nothing(make_server, subscribe):
    # host-ttl-ms long: the sweep has nothing to do, so every internal write
    # from the CONFIG SET on belongs to the command in the same MULTI.
    s = make_server(module_args=["host-ttl-ms", "600000"])
    r, b = s.client(), bclient(s)
    ids = prepared(r)
    ev = subscribe(s, GC)
    fresh_ev = subscribe(s, "agent.ks_fresh_channel")
    raw = Raw(s)
    marker = 0
    failures = {}

    def published_since():
        """Events published since the last check (a PUBLISH marker ends them)."""
        nonlocal marker
        marker += 1
        got = []
        for ch in (GC, "agent.ks_fresh_channel"):
            r.publish(ch, "marker-%d" % marker)
        for e in (ev, fresh_ev):
            def seen():
                while True:
                    m = e.ps.get_message(timeout=0.05)
                    if m is None:
                        return False
                    if m["type"] != "message":
                        continue
                    if m["data"] == "marker-%d" % marker:
                        return True
                    got.append(m["data"])
            wait_until(seen, what="marker %d" % marker)
        return got

    published_since()
    for name, make_args in write_commands(r, ids):
        failures[name] = 0
        for n in range(1, 200):
            args = make_args()
            before = {g: logical_state(b, g) for g in (G, "agent.ks_fresh")}
            assert raw.call("MULTI") == "OK"
            assert raw.call("CONFIG", "SET", "sumavlib.debug-fail-nth-write", str(n)) == "QUEUED"
            assert raw.call("sumavlib." + args[0], *args[1:]) == "QUEUED"
            assert raw.call("CONFIG", "SET", "sumavlib.debug-fail-nth-write", "0") == "QUEUED"
            ok, rep, reset = raw.call("EXEC")
            assert ok == "OK" and reset == "OK", (name, n, ok, reset)
            events = published_since()
            if isinstance(rep, RespError):
                text = str(rep)
                assert text.startswith(INJECTED[0]) and text.endswith(INJECTED[1]), \
                    (name, n, text)
                assert {g: logical_state(b, g) for g in (G, "agent.ks_fresh")} == before, \
                    (name, n, text)
                assert events == [], (name, n, events)
                failures[name] += 1
                continue
            # Succeeded: every write of the command went through; it announced.
            assert rep is not None, (name, n)
            if name not in ("ci_task-EXTEND", "keep_alive-leader"):
                assert events, (name, n, rep)
            break
        else:
            pytest.fail("%s still failing after 199 injected positions" % name)
    assert r.config_get("sumavlib.debug-fail-nth-write") in (
        {"sumavlib.debug-fail-nth-write": "0"}, {})
    print("injected failures per command (positions that failed before success):", failures)
    assert all(failures[name] >= 1 for name in failures), failures
    raw.close()
    b.close()


# --- Odd values written by hand ----------------------------------------------

@pytest.mark.parametrize("kind", ["hosts", "tqueue", "tclaims"])
def test_set_over_a_zset_internal_key(make_server, subscribe, kind):
    s = make_server(module_args=ARGS)
    r = s.client()
    populate(r)
    ctl = Untouched(s, subscribe)
    key = G + ":" + kind
    r.set(key, "not a zset")
    raw = Raw(s)
    for args in (("suma_keep_alive", GM, B), ("suma_ci_task", GC, "CLAIM", B),
                 ("suma_vip_list", GM), ("suma_vip_leave", GM, A)):
        rep = raw.call("sumavlib." + args[0], *args[1:])
        if isinstance(rep, RespError):
            assert str(rep).startswith("WRONGTYPE internal key '%s'" % key), (args, str(rep))
    raw.close()
    ctl.assert_silent_host_evicted()
    assert r.get(key) == "not a zset"
    read_every_key(s)
    assert r.ping()


def test_odd_scores_in_hosts(make_server, subscribe):
    s = make_server(module_args=ARGS)
    r = s.client()
    ev = subscribe(s, GC)
    cmd(r, "suma_keep_alive", GM, A)
    cmd(r, "suma_keep_alive", GM, S)
    hosts = G + ":hosts"
    r.zadd(hosts, {"pinf": float("inf"), "ninf": float("-inf"), "huge": 1e300,
                   "neg": -1e300})
    ctl = Untouched(s, subscribe)
    for v in ("pinf", "ninf", "huge", "neg"):
        cmd(r, "suma_vip_info", GM, v)  # answers, whatever the score
    # S (a real heartbeat) is evicted in the same group, the odd ones never
    # crash the sweep.
    def s_gone():
        cmd(r, "suma_keep_alive", GM, A)
        ctl.beat()
        return r.zscore(hosts, S) is None
    wait_until(s_gone, timeout=15, what="eviction of S next to odd scores", on_fail=s.log_tail)
    ev.wait(lambda e: e["type"] == "offline" and e["vip"] == S)
    ctl.assert_silent_host_evicted()
    # +inf never expires: still there, listed as live; -inf is hidden and
    # never swept.
    assert r.zscore(hosts, "pinf") == float("inf")
    assert "pinf" in cmd(r, "suma_vip_list", GM)
    assert r.zscore(hosts, "ninf") == float("-inf")
    assert "ninf" not in cmd(r, "suma_vip_list", GM)
    offline = {e["vip"] for e in ev.of_type("offline")}
    assert "pinf" not in offline and "ninf" not in offline and "huge" not in offline
    for v in ("pinf", "ninf", "huge", "neg"):
        info = cmd(r, "suma_vip_info", GM, v)
        assert info[0] == "state", info
    cmd(r, "suma_group_info", GM)
    # A heartbeat of an odd one makes it an ordinary host again.
    cmd(r, "suma_keep_alive", GM, "huge")
    assert 0 < r.zscore(hosts, "huge") <= server_ms(r)
    read_every_key(s)
    assert r.ping()


@pytest.mark.parametrize("value", ["garbage", "", "-5", "1.5", "99999999999999999999999"])
@pytest.mark.parametrize("field", ["epoch", "seq", "taskseq", "lease", "evictions"])
def test_garbage_in_meta(make_server, subscribe, field, value):
    s = make_server(module_args=ARGS)
    r = s.client()
    ev = subscribe(s, GC)
    assert cmd(r, "suma_try_leader", GM, A, "60000") == 1
    e1 = cmd(r, "suma_leader_info", GM)[3]
    t1 = cmd(r, "suma_ci_task", GC, "PUSH", "{}")
    cmd(r, "suma_keep_alive", GM, S)
    cmd(r, "suma_message_publish", GC, '"before"')
    ev.wait(lambda e: e.get("data") == "before")
    seq1 = max(e["seq"] for e in ev.events)
    if field != "lease":
        assert cmd(r, "suma_leader_resign", GM, A) == 1
    ctl = Untouched(s, subscribe)
    r.hset(G + ":meta", field, value)

    # Unreadable counters count as lost: the next value restarts at the
    # floors, above everything granted before. An unreadable lease: no leader.
    if field == "lease":
        assert cmd(r, "suma_leader_info", GM)[1] is None
    assert cmd(r, "suma_try_leader", GM, B, "60000") == 1
    assert cmd(r, "suma_leader_info", GM)[:2] == ["vip", B]
    assert cmd(r, "suma_leader_info", GM)[3] > e1
    assert cmd(r, "suma_ci_task", GC, "PUSH", "{}") > t1
    assert cmd(r, "suma_message_publish", GC, '"after"') == 1
    after = ev.wait(lambda e: e.get("data") == "after")
    assert after["seq"] > seq1
    cmd(r, "suma_group_info", GM)
    # The sweep still evicts S in this group, and in the untouched one.
    def s_gone():
        cmd(r, "suma_keep_alive", GM, B)
        ctl.beat()
        return r.zscore(G + ":hosts", S) is None
    wait_until(s_gone, timeout=15, what="eviction of S with garbage in :meta", on_fail=s.log_tail)
    ev.wait(lambda e: e["type"] == "offline" and e["vip"] == S)
    ctl.assert_silent_host_evicted()
    seqs = [e["seq"] for e in ev.events]
    assert len(seqs) == len(set(seqs)) and seqs == sorted(seqs), seqs
    read_every_key(s)
    assert r.ping()


@pytest.mark.parametrize("field,command", [
    ("epoch", ("suma_try_leader", GM, B)),
    ("taskseq", ("suma_ci_task", GC, "PUSH", "{}")),
])
def test_counter_at_int64_max_is_a_clear_error(make_server, field, command):
    s = make_server(module_args=ARGS)
    r, b = s.client(), bclient(s)
    assert cmd(r, "suma_try_leader", GM, A, "60000") == 1
    assert cmd(r, "suma_leader_resign", GM, A) == 1
    cmd(r, "suma_ci_task", GC, "PUSH", "{}")
    r.hset(G + ":meta", field, str(INT64_MAX))
    before = logical_state(b, G)
    raw = Raw(s)
    text = raw.error("sumavlib." + command[0], *command[1:])
    assert text.startswith("ERR the last ") and \
        text.endswith("(%d) was written by hand and leaves no larger value to grant" % INT64_MAX), \
        text
    assert logical_state(b, G) == before
    raw.close()
    b.close()
    assert r.ping()


def test_hand_written_counters_at_int64_max_never_overflow(make_server):
    """Values at INT64_MAX where the module adds to them (the hostile run's
    UBSan found the first): a delivery count saturates, a lease of any length
    counts as no lease, and an event log whose last id was pushed to INT64_MAX
    refuses the next event clearly and changes nothing."""
    s = make_server(module_args=ARGS)
    r, b = s.client(), bclient(s)
    t = cmd(r, "suma_ci_task", GC, "PUSH", "{}")
    r.hset(G + ":tattempts", str(t), str(INT64_MAX))
    claimed = cmd(r, "suma_ci_task", GC, "CLAIM", A)
    assert claimed[0] == t and claimed[2] == INT64_MAX, claimed

    r.hset(G + ":meta", "lease", "%s 1 %d" % (A, INT64_MAX))
    assert cmd(r, "suma_leader_info", GM)[1] is None
    cmd(r, "suma_keep_alive", GM, A)
    assert cmd(r, "suma_try_leader", GM, B, "60000") == 1
    assert cmd(r, "suma_leader_info", GM)[:2] == ["vip", B]

    r.hdel(G + ":meta", "seq")
    r.xadd(G + ":events", {"e": "{}"}, id="%d-0" % INT64_MAX)
    before = logical_state(b, G)
    raw = Raw(s)
    text = raw.error("sumavlib.suma_message_publish", GC, '"x"')
    assert text.startswith("ERR the last seq (%d)" % INT64_MAX), text
    assert logical_state(b, G) == before
    raw.close()
    b.close()
    assert r.ping()
