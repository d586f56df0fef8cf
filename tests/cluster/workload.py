"""Live load on one group of a Redis Cluster, through redis-py's RedisCluster,
recording every value the server granted to a client, so the suite can check
after a reshard or a failover that nothing was granted twice and nothing
acknowledged was lost.

Threads (each with its own RedisCluster client):
- heartbeats: `hosts` vips keep_alive every `beat_s`; per host the longest gap
  between two acknowledged beats is kept (a host whose gap stayed under the
  TTL and still got an `offline`/`expired` event was evicted falsely);
  every call's latency is kept for percentiles;
- leader: two contenders take turns (resign, the other one takes over) and
  renew in between; every epoch granted to a new tenure is recorded;
- configs: suma_diamond_cas from the last granted version; each acknowledged
  write must be readable with a larger version;
- events: suma_message_publish with a unique payload; a reader pages
  suma_events and records seq -> event;
- tasks: PUSH (ids recorded), CLAIM + ACK by a worker vip.

Redirections the client handled itself (MOVED, ASK, TRYAGAIN, CLUSTERDOWN,
connection errors) are counted from redis-py's own log records; errors that
reached our code are retried with backoff and counted by their first word.
"""
import collections
import json
import logging
import threading
import time

import redis

RETRYABLE = ("TRYAGAIN", "ASK", "MOVED", "CLUSTERDOWN", "LOADING", "READONLY", "MASTERDOWN")


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.counts = collections.Counter()
        self.counts_lock = threading.Lock()  # Handler.lock is logging's own

    def emit(self, record):
        msg = record.getMessage()
        if record.levelno >= logging.ERROR:
            with self.counts_lock:
                self.counts[msg.replace("<class '", "").replace("'>", "").split(".")[-1]] += 1


_HANDLER = _Counter()
_log = logging.getLogger("redis.cluster")
_log.addHandler(_HANDLER)
_log.setLevel(logging.ERROR)
_log.propagate = False


def client_redirections():
    with _HANDLER.counts_lock:
        return dict(_HANDLER.counts)


def reset_client_redirections():
    with _HANDLER.counts_lock:
        _HANDLER.counts.clear()


class Workload:
    def __init__(self, cluster, group, hosts=20, beat_s=0.1, ttl_ms=2000, config_key="app.conf",
                 tasks=True, client_factory=None):
        self.cluster = cluster
        self.group = group
        self.master = group + "_master"
        self.channel = group + "_channel"
        self.vips = ["10.1.%d.%d:9001" % (i // 250, i % 250) for i in range(hosts)]
        self.beat_s = beat_s
        self.ttl_ms = ttl_ms
        self.config_key = config_key
        self.tasks = tasks
        self.factory = client_factory or (lambda: cluster.cluster_client())
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.threads = []
        # recorded
        self.last_ack = {}
        self.max_gap = collections.defaultdict(float)
        self.beat_latency = []
        self.epochs = []             # (epoch, vip) per new tenure, in grant order
        self.versions = []           # granted config versions, in order
        self.allowed_seq_jumps = 0   # promotions during the run (one seq jump each)
        self.last_config = None      # (version, value) last acknowledged
        self.messages = set()        # acknowledged message ids
        self.events = {}             # seq -> event dict
        self.task_ids = []           # ids PUSH returned
        self.acked = set()
        self.errors = collections.Counter()   # errors that reached our code
        self.fatal = []              # non-retryable errors (never expected)
        self.lost = []               # acknowledged writes the server no longer has

    # -- retry ---------------------------------------------------------------
    def call(self, rc, *args, budget_s=15.0):
        """Runs a command, retrying retryable errors with capped exponential
        backoff for at most budget_s (a failover takes about 2 node timeouts)."""
        delay = 0.02
        deadline = time.monotonic() + budget_s
        while time.monotonic() < deadline:
            try:
                return rc.execute_command(*args)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                    redis.exceptions.ClusterError, redis.exceptions.ClusterDownError,
                    redis.exceptions.TryAgainError, redis.exceptions.AskError,
                    redis.exceptions.MovedError) as e:
                self._count(type(e).__name__)
            except redis.exceptions.ResponseError as e:
                word = str(e).split(" ")[0]
                if word not in RETRYABLE:
                    raise
                self._count(word)
            except AttributeError as e:
                # redis-py 4.3's RedisCluster follows a MOVED to a node its
                # cache does not know yet (one just added) into a None node:
                # refresh its view of the cluster and retry.
                if "server_type" not in str(e):
                    raise
                self._count("redis-py stale node cache")
                rc.nodes_manager.initialize()
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        raise AssertionError("gave up on %r after %.0fs of retries" % (args, budget_s))

    def _count(self, what):
        with self.lock:
            self.errors[what] += 1

    def _guard(self, fn):
        def run():
            rc = self.factory()
            try:
                fn(rc)
            except Exception as e:  # recorded and asserted on by the suite
                with self.lock:
                    self.fatal.append("%s: %r" % (fn.__name__, e))
            finally:
                rc.close()
        t = threading.Thread(target=run, name=fn.__name__, daemon=True)
        self.threads.append(t)
        t.start()

    # -- loops ---------------------------------------------------------------
    def heartbeats(self, rc):
        while not self.stop_flag.is_set():
            start = time.monotonic()
            for vip in self.vips:
                t0 = time.monotonic()
                self.call(rc, "sumavlib.suma_keep_alive", self.master, vip)
                t1 = time.monotonic()
                self.beat_latency.append(t1 - t0)
                prev = self.last_ack.get(vip)
                if prev is not None:
                    self.max_gap[vip] = max(self.max_gap[vip], t1 - prev)
                self.last_ack[vip] = t1
            rest = self.beat_s - (time.monotonic() - start)
            if rest > 0:
                self.stop_flag.wait(rest)

    def leader(self, rc):
        contenders = ["10.9.0.1:7000", "10.9.0.2:7000"]
        turn = 0
        while not self.stop_flag.is_set():
            vip = contenders[turn % 2]
            took = self.call(rc, "sumavlib.suma_try_leader", self.master, vip, 3000)
            if took == 1:
                info = self.call(rc, "sumavlib.suma_leader_info", self.master)
                d = dict(zip(info[::2], info[1::2]))
                if d["vip"] == vip:
                    with self.lock:
                        if not self.epochs or self.epochs[-1] != (int(d["epoch"]), vip):
                            self.epochs.append((int(d["epoch"]), vip))
            for _ in range(5):  # renew a few times, then hand over
                if self.stop_flag.wait(0.1):
                    break
                self.call(rc, "sumavlib.suma_try_leader", self.master, vip, 3000)
            self.call(rc, "sumavlib.suma_leader_resign", self.master, vip)
            turn += 1

    def configs(self, rc):
        # Versions are fencing values (docs/commands.md): each CAS names the
        # version it read, and the new one must be larger.
        version = 0
        n = 0
        while not self.stop_flag.is_set():
            n += 1
            value = "v%d" % n
            ok = self.call(rc, "sumavlib.suma_diamond_cas", self.channel, self.config_key,
                           version, value)
            got = self.call(rc, "sumavlib.suma_diamond_get", self.channel, self.config_key)
            landed = got is not None and got[0] == value and int(got[1]) > version
            if not landed:
                # ok == 1 and not landed is a lost acknowledged write; ok != 1
                # and not landed is a write that did not happen (fine, retry).
                if ok == 1:
                    with self.lock:
                        self.lost.append("config version after %d (server now %r)" % (version, got))
                version = int(got[1]) if got else 0
                continue
            version = int(got[1])
            with self.lock:
                self.versions.append(version)
                self.last_config = (version, value)
            self.stop_flag.wait(0.02)

    def publisher(self, rc):
        n = 0
        while not self.stop_flag.is_set():
            n += 1
            self.call(rc, "sumavlib.suma_message_publish", self.channel, json.dumps({"n": n}))
            with self.lock:
                self.messages.add(n)
            self.stop_flag.wait(0.02)

    def reader(self, rc):
        after = 0
        while True:
            stopping = self.stop_flag.is_set()
            batch = self.call(rc, "sumavlib.suma_events", self.channel, after, "COUNT", 1000)
            for raw in batch:
                e = json.loads(raw)
                with self.lock:
                    old = self.events.get(e["seq"])
                    if old is not None and old != e:
                        self.fatal.append("seq %d granted twice: %r and %r" % (e["seq"], old, e))
                    self.events[e["seq"]] = e
                after = max(after, e["seq"])
            if stopping and not batch:
                return
            if not batch:
                time.sleep(0.05)

    def task_loop(self, rc):
        worker = "10.9.1.1:7000"
        while not self.stop_flag.is_set():
            tid = self.call(rc, "sumavlib.suma_ci_task", self.channel, "PUSH", '{"job":1}')
            with self.lock:
                self.task_ids.append(int(tid))
            got = self.call(rc, "sumavlib.suma_ci_task", self.channel, "CLAIM", worker, 30000)
            if got is not None:
                if self.call(rc, "sumavlib.suma_ci_task", self.channel, "ACK", got[0], worker) == 1:
                    with self.lock:
                        self.acked.add(int(got[0]))
            self.stop_flag.wait(0.05)

    # -- control -------------------------------------------------------------
    def start(self):
        rc = self.factory()
        try:
            # The worker heartbeats too, so its claims are not requeued as offline.
            self.vips.append("10.9.1.1:7000")
            for vip in self.vips:
                self.call(rc, "sumavlib.suma_keep_alive", self.master, vip)
                self.last_ack[vip] = time.monotonic()
        finally:
            rc.close()
        self._guard(self.heartbeats)
        self._guard(self.leader)
        self._guard(self.configs)
        self._guard(self.publisher)
        self._guard(self.reader)
        if self.tasks:
            self._guard(self.task_loop)
        return self

    def stop(self, timeout=60):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout)
        alive = [t.name for t in self.threads if t.is_alive()]
        assert not alive, "workload threads did not stop: %r" % alive

    def p99_ms(self):
        lat = sorted(self.beat_latency)
        return 1000 * lat[int(len(lat) * 0.99)] if lat else 0.0

    # -- checks --------------------------------------------------------------
    def check(self, rc, presence=True):
        """Asserts what the suite promises after a move; returns a summary.
        presence=False (a killed primary: Redis replicates asynchronously, so
        writes acknowledged in the last round trip may be lost) still asserts
        that no value was granted twice, and reports the losses."""
        problems = list(self.fatal)
        if presence and self.lost:
            problems.append("acknowledged writes lost: %r" % self.lost[:5])
        epochs = [e for e, _ in self.epochs]
        if epochs != sorted(set(epochs)):
            problems.append("epochs not strictly increasing (granted twice?): %r" % epochs[-20:])
        if self.versions != sorted(set(self.versions)):
            problems.append("config versions granted twice: %r" % self.versions[-20:])
        if len(self.task_ids) != len(set(self.task_ids)) or self.task_ids != sorted(self.task_ids):
            problems.append("task ids reused: %r" % self.task_ids[-20:])
        # Every acknowledged write is on the owner now.
        if self.last_config and presence:
            got = self.call(rc, "sumavlib.suma_diamond_get", self.channel, self.config_key)
            # The server may hold a later write whose reply was lost (it
            # landed but was never acknowledged), never an older one.
            if got is None or int(got[1]) < self.last_config[0] or (
                    int(got[1]) == self.last_config[0] and got[0] != self.last_config[1]):
                problems.append("config lost: last acked %r, server %r" % (self.last_config, got))
        info = self.call(rc, "sumavlib.suma_leader_info", self.master)
        d = dict(zip(info[::2], info[1::2]))
        if epochs and int(d["epoch"]) < epochs[-1]:
            problems.append("epoch went back: server %s < granted %d" % (d["epoch"], epochs[-1]))
        seen = {(e["data"] if isinstance(e["data"], dict) else json.loads(e["data"]))["n"]
                for e in self.events.values()
                if e["type"] == "message" and e.get("group") == self.group}
        lost = self.messages - seen
        if lost and presence:
            problems.append("%d acknowledged messages missing from the event log, e.g. %r"
                            % (len(lost), sorted(lost)[:5]))
        seqs = sorted(self.events)
        # Seqs are contiguous, except that a promoted replica starts every
        # group's series above anything its old primary could have granted
        # (docs/commands.md): one jump per promotion.
        gaps = [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
        if presence and len(gaps) > self.allowed_seq_jumps:
            problems.append("event seqs have %d gaps (%d allowed), e.g. %r, over %d events"
                            % (len(gaps), self.allowed_seq_jumps, gaps[:3], len(seqs)))
        pending = {int(t[0]) for t in self.call(rc, "sumavlib.suma_ci_task_info", self.channel,
                                                "PENDING", 10000)}
        claimed = {int(t[0]) for t in self.call(rc, "sumavlib.suma_ci_task_info", self.channel,
                                                "CLAIMED")}
        missing = set(self.task_ids) - self.acked - pending - claimed
        if missing and presence:
            problems.append("%d pushed tasks neither acked nor queued: %r"
                            % (len(missing), sorted(missing)[:5]))
        # No live host evicted.
        false_ev = [e for e in self.events.values()
                    if e["type"] == "offline" and e.get("reason") == "expired"
                    and e["vip"] in self.last_ack
                    and self.max_gap[e["vip"]] < self.ttl_ms / 1000.0 * 0.8]
        if false_ev:
            problems.append("%d live hosts evicted, e.g. %r" % (len(false_ev), false_ev[:3]))
        live = set(self.call(rc, "sumavlib.suma_vip_list", self.master))
        gone = [v for v in self.vips if v not in live]
        if gone:
            problems.append("%d heartbeating hosts not live: %r" % (len(gone), gone[:5]))
        assert not problems, "\n".join(problems)
        return {"epochs": len(epochs), "versions": len(self.versions), "events": len(seqs),
                "messages": len(self.messages), "tasks": len(self.task_ids),
                "beats": len(self.beat_latency), "lost": len(self.lost) + len(lost), "beat_p99_ms": round(self.p99_ms(), 2),
                "errors_seen": dict(self.errors), "max_gap_s": round(max(self.max_gap.values(),
                                                                           default=0), 3)}
