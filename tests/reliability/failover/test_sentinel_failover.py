"""Failover with Redis Sentinel.

Primary + replica (module loaded on both, host-ttl-ms 3000, and 1500 so
the failover outlasts it) + three
redis-sentinel processes (quorum 2, down-after-milliseconds 1000), all on
loopback. 20 simulated hosts heartbeat and three controllers run an election
loop, every client going through redis-py's Sentinel. The controller leading
at the kill is co-located with the primary and dies with it; the primary is
killed with SIGKILL. After the promotion:
- every epoch granted after the kill is above every epoch granted before, no
  epoch went to two vips;
- no host that kept heartbeating was evicted (no "offline" event for it, on a
  subscription to the replica that resubscribes after Sentinel drops it at
  the promotion and fills the gap from suma_events, nor in the new primary's
  event log) and vip_list lists them all;
- drained state, configs, registry and queued/claimed tasks are intact.
Measured and reported: kill -> promotion seen by Sentinel, kill -> first
acknowledged write through Sentinel, kill -> first new leader elected.
Short run: one failover; SUMA_LONG=1: 5 failovers back and forth.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import redis
from redis.sentinel import Sentinel

from suma_testing.reliability import LONG, RedisServer, cmd, free_port, report, wait_until

MK = "agent.fo_test_master"
CH = "agent.fo_test_channel"
NAME = "suma"
HOST_TTL_MS = 3000  # the longer of the two host-ttl-ms the test runs with
LEASE_MS = 2000
HOSTS = ["host-%02d" % i for i in range(20)]
DRAINED = "host-03"
CLAIMER = "host-01"
RETRY = (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError, ConnectionError,
         OSError)


class SentinelSet:
    def __init__(self, primary_port, n=3):
        self.dir = tempfile.mkdtemp(prefix="suma-sentinel-")
        self.ports, self.procs = [], []
        for i in range(n):
            port = free_port()
            d = os.path.join(self.dir, "s%d" % i)
            os.makedirs(d)
            conf = os.path.join(d, "sentinel.conf")
            with open(conf, "w") as f:
                f.write("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\nlogfile %s\n"
                        "sentinel monitor %s 127.0.0.1 %d 2\n"
                        "sentinel down-after-milliseconds %s 1000\n"
                        "sentinel failover-timeout %s 10000\n"
                        "sentinel parallel-syncs %s 1\n"
                        % (port, d, os.path.join(d, "sentinel.log"), NAME, primary_port,
                           NAME, NAME, NAME))
            self.procs.append(subprocess.Popen(["redis-sentinel", conf],
                                               stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
            self.ports.append(port)
        self.addrs = [("127.0.0.1", p) for p in self.ports]

    def client(self, i):
        return redis.Redis(host="127.0.0.1", port=self.ports[i], decode_responses=True,
                           socket_timeout=2)

    def ready(self):
        """Every sentinel knows the replica and the two other sentinels."""
        try:
            for i in range(len(self.ports)):
                c = self.client(i)
                if len(c.execute_command("SENTINEL", "REPLICAS", NAME)) < 1:
                    return False
                if len(c.execute_command("SENTINEL", "SENTINELS", NAME)) < len(self.ports) - 1:
                    return False
            return True
        except redis.RedisError:
            return False

    def master_port(self):
        for i in range(len(self.ports)):
            try:
                a = self.client(i).execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", NAME)
                if a:
                    return int(a[1])
            except redis.RedisError:
                pass
        return None

    def log_tail(self, n=15):
        out = []
        for i in range(len(self.ports)):
            try:
                with open(os.path.join(self.dir, "s%d" % i, "sentinel.log")) as f:
                    out.append("".join(f.readlines()[-n:]))
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Cluster:
    """Load through Sentinel: heartbeating hosts and an election loop."""

    def __init__(self, sentinels):
        self.sentinel = Sentinel(sentinels.addrs, socket_timeout=0.5)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.last_ok = {}          # host -> monotonic time of last acked heartbeat
        self.max_gap = {h: 0.0 for h in HOSTS}
        self.grants = []           # (t granted, vip, epoch, replicas that WAIT saw)
        self.first_ok_after = {}   # kill index -> monotonic time of first acked write
        self.kill_times = []
        self.dead = set()          # controllers that "died" with the primary
        self.leader_now = None
        self.threads = []

    def client(self):
        return self.sentinel.master_for(NAME, socket_timeout=0.5, socket_connect_timeout=0.5,
                                        decode_responses=True, retry_on_timeout=False)

    def _acked(self):
        now = time.monotonic()
        with self.lock:
            k = len(self.kill_times)
            if k and k not in self.first_ok_after and now > self.kill_times[-1]:
                self.first_ok_after[k] = now

    def hosts_loop(self, hosts):
        r = self.client()
        while not self.stop.is_set():
            for h in hosts:
                try:
                    cmd(r, "suma_keep_alive", MK, h)
                except RETRY:
                    time.sleep(0.05)
                    continue
                now = time.monotonic()
                self._acked()
                with self.lock:
                    if h in self.last_ok:
                        self.max_gap[h] = max(self.max_gap[h], now - self.last_ok[h])
                    self.last_ok[h] = now
            time.sleep(0.25)

    def election_loop(self, vip):
        r = self.client()
        my_epoch = None
        while not self.stop.is_set() and vip not in self.dead:
            try:
                p = r.pipeline(transaction=True)
                cmd(p, "suma_try_leader", MK, vip, LEASE_MS)
                cmd(p, "suma_leader_info", MK)
                won, info = p.execute()
                t = time.monotonic()
                info = dict(zip(info[0::2], info[1::2]))
                if won == 1 and info["epoch"] != my_epoch:
                    # Client rule: a new term is safe from a failover once a replica
                    # has it (WAIT); right after a failover there may be none (0).
                    acked = r.execute_command("WAIT", 1, 300)
                    with self.lock:
                        self.grants.append((t, vip, info["epoch"], acked))
                    my_epoch = info["epoch"]
                if won == 1:
                    with self.lock:
                        self.leader_now = vip
                self._acked()
            except RETRY:
                my_epoch = None
                time.sleep(0.05)
                continue
            time.sleep(0.2)

    def start(self, controllers):
        for i in range(4):
            self.threads.append(threading.Thread(target=self.hosts_loop, args=(HOSTS[i::4],)))
        for c in controllers:
            self.threads.append(threading.Thread(target=self.election_loop, args=(c,)))
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        assert not any(t.is_alive() for t in self.threads)


def events_listener(port, out, stop, stats):
    """Subscribes on one data node. Sentinel disconnects pub/sub clients of the
    node it promotes, so like a real host the listener resubscribes and then
    reads what it missed from the event log (suma_events after its last seq).
    The killed node's listener just keeps failing to reconnect until stop."""
    last_seq = None
    while not stop.is_set():
        try:
            r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True,
                            socket_connect_timeout=0.5)
            ps = r.pubsub(ignore_subscribe_messages=True)
            ps.subscribe(CH)
            if last_seq is not None:
                stats["resubscribed"] += 1
                for e in cmd(r, "suma_events", CH, last_seq, "COUNT", 10000):
                    e = json.loads(e)
                    out.append(e)
                    last_seq = e["seq"]
            while not stop.is_set():
                m = ps.get_message(timeout=0.2)
                if m:
                    e = json.loads(m["data"])
                    out.append(e)
                    last_seq = e["seq"]
                elif last_seq is None:
                    last_seq = 0
            ps.close()
        except redis.ConnectionError:
            time.sleep(0.2)


@pytest.fixture
def topology(request):
    """Primary, replica and three sentinels; request.param is host-ttl-ms."""
    args = ["host-ttl-ms", request.param]
    primary = RedisServer(module_args=args, aof=True, fsync="always")
    replica = RedisServer(module_args=args, aof=True, fsync="always",
                          extra=["--replicaof", "127.0.0.1", primary.port])
    sentinels = None
    try:
        wait_until(lambda: replica.client().info("replication").get("master_link_status") ==
                   "up", 30, what="replica link")
        sentinels = SentinelSet(primary.port)
        wait_until(sentinels.ready, 60, interval=0.2, what="sentinels to discover each other")
        yield primary, replica, sentinels, request.param
    finally:
        if sentinels:
            sentinels.stop()
        primary.cleanup()
        replica.cleanup()


def seed_state(r):
    assert cmd(r, "suma_vip_kill", CH, DRAINED) == 1
    configs = {"cfg.%d" % i: "value-%d" % i for i in range(5)}
    versions = {}
    for k, v in configs.items():
        assert cmd(r, "suma_diamond_publish", CH, k, v) == 1
        versions[k] = cmd(r, "suma_diamond_get", CH, k)[1]
        assert versions[k] > 0
    # Each value is the version the server granted, with its expected value.
    configs = {k: (v, versions[k]) for k, v in configs.items()}
    cmd(r, "suma_vip_register", MK, "10.9.0.1:80", '{"role":"db"}')
    tasks = [cmd(r, "suma_ci_task", CH, "PUSH", json.dumps({"n": i})) for i in range(5)]
    claimed = cmd(r, "suma_ci_task", CH, "CLAIM", CLAIMER, 600000)[0]
    assert claimed == tasks[0]
    assert r.execute_command("WAIT", 1, 5000) >= 1
    return configs, tasks, claimed


def check_state(r, configs, tasks, claimed):
    assert DRAINED in cmd(r, "suma_vip_drained", CH)[0::2]
    assert cmd(r, "suma_vip_info", MK, DRAINED)[1] == "drained"
    for k, (v, version) in configs.items():
        assert cmd(r, "suma_diamond_get", CH, k)[:2] == [v, version], k
    assert cmd(r, "suma_vip_server_get", MK, "10.9.0.1:80")[0] == '{"role":"db"}'
    assert [t[0] for t in cmd(r, "suma_ci_task", CH, "PENDING")] == tasks[1:]
    assert [(c[0], c[1]) for c in cmd(r, "suma_ci_task", CH, "CLAIMED")] == [(claimed, CLAIMER)]
    live = cmd(r, "suma_vip_list", MK, "host-*")
    assert sorted(live) == sorted(h for h in HOSTS if h != DRAINED), live


# 3000: hosts heartbeat again before their host-ttl runs out. 1500: the
# failover takes longer than host-ttl-ms, so every host looks expired on the
# new primary and only the promotion grace keeps them from being evicted.
@pytest.mark.parametrize("topology", [3000, 1500], indirect=True,
                         ids=["ttl3000", "ttl1500-grace"])
def test_failover_keeps_epochs_hosts_and_state(topology):
    primary, replica, sentinels, host_ttl_ms = topology
    nodes = {primary.port: primary, replica.port: replica}
    r0 = primary.client()
    configs, tasks, claimed = seed_state(r0)

    events, ev_stop, ev_stats = [], threading.Event(), {"resubscribed": 0}
    # One listener per data node: whichever is promoted, its subscription
    # has been there since before the kill.
    listeners = [threading.Thread(target=events_listener, args=(p, events, ev_stop, ev_stats))
                 for p in nodes]
    for t in listeners:
        t.start()
    cl = Cluster(sentinels)
    cl.start(["ctl-a", "ctl-b", "ctl-c"])
    failovers = 5 if LONG else 1
    measures = []
    try:
        for n in range(failovers):
            old = sentinels.master_port()
            # Warm up: every host heartbeated and someone leads with a replicated epoch.
            wait_until(lambda: len(cl.last_ok) == len(HOSTS) and
                       any(g[3] >= 1 for g in cl.grants) and cl.leader_now, 30,
                       what="load to settle")
            time.sleep(1.0)
            with cl.lock:
                before = max(g[2] for g in cl.grants)
                n_before = len(cl.grants)
                # The leading controller runs next to the primary and dies with it.
                victim = cl.leader_now
                cl.dead.add(victim)
                t_kill = time.monotonic()
                cl.kill_times.append(t_kill)
            nodes[old].kill9()
            new = wait_until(lambda: (sentinels.master_port() or old) != old and
                             sentinels.master_port(), 60, interval=0.02,
                             what="promotion:\n" + sentinels.log_tail())
            t_promoted = time.monotonic()
            wait_until(lambda: any(g[2] > before for g in cl.grants[n_before:]),
                       60, what="a new leader")
            t_leader = min(g[0] for g in cl.grants[n_before:] if g[2] > before)
            # Past the promotion grace (host-ttl-ms) plus sweeps: evictions would show now.
            time.sleep(max(HOST_TTL_MS, host_ttl_ms) / 1000 * 2)
            rn = nodes[new].client()
            with cl.lock:
                after = cl.grants[n_before:]
                first_ok = cl.first_ok_after.get(len(cl.kill_times))
            assert all(g[2] > before for g in after), (before, after)
            check_state(rn, configs, tasks, claimed)
            measures.append({
                "kill_to_promotion_ms": round((t_promoted - t_kill) * 1000),
                "kill_to_first_acked_write_ms": round((first_ok - t_kill) * 1000)
                if first_ok else None,
                "kill_to_new_leader_ms": round((t_leader - t_kill) * 1000),
                "epoch_before": before,
                "first_epoch_after": min(g[2] for g in after if g[2] > before)})
            if n + 1 < failovers:
                # Bring the old primary back as a replica of the new one.
                old_srv = nodes[old]
                old_srv.extra = ["--replicaof", "127.0.0.1", str(new)]
                old_srv.start()
                wait_until(lambda: old_srv.client().info("replication").get(
                    "master_link_status") == "up", 30, what="old primary to resync")
                wait_until(sentinels.ready, 60, interval=0.2, what="sentinels to see the replica")
                cl.dead.discard(victim)
                t = threading.Thread(target=cl.election_loop, args=(victim,))
                cl.threads.append(t)
                t.start()
    finally:
        cl.finish()
        ev_stop.set()
        for t in listeners:
            t.join(10)

    # The event log of the new primary and the subscription agree: nobody
    # who kept heartbeating went offline.
    rn = nodes[sentinels.master_port()].client()
    log = [json.loads(e) for e in cmd(rn, "suma_events", CH, 0, "COUNT", 10000)]
    for source in (log, events):
        expired = [e for e in source if e.get("type") == "offline" and e.get("vip") in HOSTS]
        assert not expired, expired[:5]
    # Epochs: strictly increasing in grant order, never one epoch for two vips.
    owners = {}
    for t, vip, epoch, acked in sorted(cl.grants):
        assert owners.setdefault(epoch, vip) == vip, (epoch, owners[epoch], vip)
    epochs = [g[2] for g in sorted(cl.grants)]
    assert epochs == sorted(epochs)
    report("failover_sentinel_ttl%d" % host_ttl_ms, {
        "failovers": failovers, "hosts": len(HOSTS), "host_ttl_ms": host_ttl_ms,
        "lease_ms": LEASE_MS, "down_after_ms": 1000, "per_failover": measures,
        "max_heartbeat_gap_ms": round(max(cl.max_gap.values()) * 1000),
        "grants": len(cl.grants), "events_seen": len(events),
        "listener_resubscribed": ev_stats["resubscribed"],
        "event_types_in_log": {t: sum(1 for e in log if e.get("type") == t)
                               for t in sorted({e.get("type") for e in log})},
        "online_again_after_failover": sum(1 for e in log if e.get("type") == "online" and
                                           e.get("vip") in HOSTS) - len(HOSTS),
        "evicted": [e.get("vip") for e in log if e.get("type") == "offline"]})
