"""Watching the keyspace from outside during the hostile run.

EvictionWatch: a subscriber (own thread, so its output buffer never grows and
adds memory pressure) that records every key Redis evicted under maxmemory, by
__keyevent@<db>__:evicted notifications, and the groups they belonged to.
sync() waits until every notification sent before it has arrived.

Untouched-group probes: a group the random commands never name. A host
heartbeats once and stays silent; the sweep must evict it, with an "offline"
event (reason "expired") whose ts is within host-ttl-ms + slack of the
heartbeat. Whole-db commands (FLUSHALL, SWAPDB 0 n) or an eviction of the
group's own keys make a probe inconclusive: they remove the evidence.
"""
import json
import threading
import time

import redis

from suma_testing.resp import plain

SYNC_CHANNEL = "suma-hostile-sync"


class EvictionWatch:
    def __init__(self, port):
        self.r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        self.r.config_set("notify-keyspace-events", "Ee")
        self.ps = self.r.pubsub()
        self.ps.psubscribe("__keyevent@*__:evicted")
        self.ps.subscribe(SYNC_CHANNEL)
        self.lock = threading.Lock()
        self.evicted = 0
        self.groups = set()  # group names (bytes) with an evicted key
        self.keys = []  # every evicted key, in order
        self.tokens = set()
        self.stop_flag = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop_flag:
            try:
                m = self.ps.get_message(timeout=0.2)
            except (redis.exceptions.ConnectionError, OSError, ValueError):
                return
            if not m or m["type"] not in ("message", "pmessage"):
                continue
            with self.lock:
                if m["channel"] == SYNC_CHANNEL.encode():
                    self.tokens.add(m["data"])
                else:
                    self.evicted += 1
                    key = m["data"]
                    self.keys.append(key)
                    g, sep, _ = key.partition(b":")
                    if sep:
                        self.groups.add(g)

    def sync(self, conn, timeout=10.0):
        token = str(time.monotonic()).encode()
        conn.call("PUBLISH", SYNC_CHANNEL, token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if token in self.tokens:
                    return True
            time.sleep(0.01)
        return False

    def evicted_since(self, i):
        with self.lock:
            return self.keys[i:]

    def snapshot(self):
        with self.lock:
            return self.evicted, set(self.groups)

    def close(self):
        self.stop_flag = True
        self.thread.join(timeout=2)
        try:
            self.ps.close()
            self.r.close()
        except (redis.exceptions.RedisError, OSError):
            pass


def now_ms():
    return int(time.time() * 1000)


# A script flagged allow-oom may run deny-oom commands while used memory is
# above maxmemory (Redis 7 script flags): the probe's heartbeat must not be
# refused under noeviction, or nothing would be probed there.
HEARTBEAT_SCRIPT = ("#!lua flags=allow-oom\n"
                    "return redis.call('sumavlib.suma_keep_alive', KEYS[1], ARGV[1])")


def heartbeat(conn, group, vip):
    """Records one heartbeat of vip; returns (ok, ms just before it, reply)."""
    t = now_ms()
    r = conn.call("EVAL", HEARTBEAT_SCRIPT, "1", group, vip)
    return r[0] != "err", t, r


def offline_event(conn, group, vip):
    """The offline event of vip (dict) if the log holds it and vip is gone from G:hosts."""
    if conn.call("ZSCORE", group + ":hosts", vip)[0] != "nil":
        return None
    r = conn.call("sumavlib.suma_events", group, "0", "COUNT", "10000")
    if r[0] != "array":
        return None
    for e in plain(r):
        try:
            ev = json.loads(e.decode())
        except (ValueError, UnicodeDecodeError):
            continue
        if ev.get("type") == "offline" and ev.get("vip") == vip:
            return ev
    return None


def wait_offline(conn, group, vip, deadline_ms):
    """Polls until vip's offline event is there or deadline_ms (wall clock) passes."""
    while True:
        ev = offline_event(conn, group, vip)
        if ev or now_ms() > deadline_ms:
            return ev
        time.sleep(0.02)


class RollingProbe:
    """One silent host at a time in the untouched group, during a phase.

    step() runs between batches: it voids the probe when a whole-db command ran
    (disturbed) or Redis evicted one of the group's keys, concludes it when the
    host's offline event is there, fails it when bound_ms passed without one,
    and starts the next probe (a heartbeat, which OOM or the tenant lock may
    refuse: retried at the next step)."""

    def __init__(self, group, bound_ms, tag):
        self.group, self.bound_ms, self.tag = group, bound_ms, tag
        self.vip = None
        self.hb = 0
        self.n = 0
        self.ok = 0
        self.voided = 0
        self.refused = 0
        self.max_ms = 0
        self.last_look = 0
        self.mark = 0  # watch.keys index when the probe began
        self.refusals = {}  # heartbeat error -> count

    def _damaged(self, watch):
        """G:hosts or G:events evicted since the probe began: the evidence is gone.
        (An evicted G:meta is no excuse: the sweep must go on, seqs restart.)"""
        gone = {(self.group + ":hosts").encode(), (self.group + ":events").encode()}
        return any(k in gone for k in watch.evicted_since(self.mark))

    def step(self, conn, watch, disturbed, start_next=True):
        """Returns a failure text, or None."""
        now = now_ms()
        if self.vip and (disturbed or self._damaged(watch)):
            self.voided += 1
            self.vip = None
        if self.vip and now - self.last_look >= 50:
            self.last_look = now
            ev = offline_event(conn, self.group, self.vip)
            if ev:
                self.ok += 1
                late = ev["ts"] - self.hb
                self.max_ms = max(self.max_ms, late)
                vip, self.vip = self.vip, None
                if late > self.bound_ms:
                    return ("silent host %s of the untouched group %s was evicted %d ms after its "
                            "heartbeat, later than %d ms" % (vip, self.group, late, self.bound_ms))
            elif now > self.hb + self.bound_ms:
                watch.sync(conn)
                if self._damaged(watch):
                    self.voided += 1
                    self.vip = None
                else:
                    vip, self.vip = self.vip, None
                    return ("silent host %s of the untouched group %s was not evicted with an "
                            "offline event within %d ms" % (vip, self.group, self.bound_ms))
        if not self.vip and start_next:
            self.n += 1
            vip = "probe-%s-%d:9001" % (self.tag, self.n)  # unique within the group
            self.mark = len(watch.keys)
            ok, hb, r = heartbeat(conn, self.group, vip)
            if ok:
                self.vip, self.hb, self.last_look = vip, hb, hb
            else:
                self.refused += 1
                why = r[1][:60] if r[0] == "err" else repr(r)
                self.refusals[why] = self.refusals.get(why, 0) + 1
        return None

    def finish(self, conn, watch, disturbed):
        """Waits for the probe in flight (bound_ms at most). Returns a failure or None."""
        while self.vip:
            failure = self.step(conn, watch, disturbed, start_next=False)
            if failure:
                return failure
            if self.vip:
                time.sleep(0.02)
        return None



def summary(probes):
    ok = sum(p.ok for p in probes)
    refusals = {}
    for p in probes:
        for why, n in p.refusals.items():
            refusals[why] = refusals.get(why, 0) + n
    return ("%d in-phase probes in %d untouched groups evicted on time (slowest %d ms), %d voided "
            "by whole-db commands or evictions, %d heartbeats refused %s" %
            (ok, len(probes), max(p.max_ms for p in probes), sum(p.voided for p in probes),
             sum(p.refused for p in probes), refusals or ""))
