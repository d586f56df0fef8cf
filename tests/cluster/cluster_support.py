"""A real Redis Cluster for the cluster suite: 3 primaries and 3 replicas of
redis-server with sumavlib on free loopback ports, built with
`redis-cli --cluster create ... --cluster-replicas 1`.

Cluster(aof=True) gives every node `appendonly yes` + `appendfsync always`
(tests that claim nothing acknowledged is lost use it). start() returns once
every node reports cluster_state:ok, all nodes agree on the slot map and
every replica's link to its primary is up. Helpers move slots with
redis-cli (reshard / rebalance), fail over, and check that no slot is left
half-migrated and no key is orphaned.
"""
import os
import shutil
import subprocess
import tempfile
import time

import redis

from suma_testing import RedisServer, free_port, wait_until as poll

REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
NODE_TIMEOUT_MS = 2000

# CRC16-XMODEM, the key-slot hash of Redis Cluster (checked against
# CLUSTER KEYSLOT in test_harness.py).
_CRC_TABLE = []
for _i in range(256):
    _c = _i << 8
    for _ in range(8):
        _c = ((_c << 1) ^ 0x1021) if _c & 0x8000 else (_c << 1)
    _CRC_TABLE.append(_c & 0xFFFF)


def crc16(data):
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc


def key_slot(key):
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) % 16384


def group_in_slot(slot, prefix="agent.zy_t"):
    """A braced group name `{...}` whose keys hash to `slot`."""
    for i in range(2_000_000):
        name = "%s%d" % (prefix, i)
        if key_slot(name) == slot:
            return "{%s}" % name
    raise AssertionError("no group name found for slot %d" % slot)


def cli(*args, timeout=300, check=True):
    """Runs redis-cli; returns CompletedProcess (stdout+stderr in .stdout)."""
    p = subprocess.run([REDIS_CLI] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("redis-cli %s failed (%d):\n%s" % (" ".join(map(str, args)),
                                                                p.returncode, p.stdout[-4000:]))
    return p


class Node:
    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.addr = "127.0.0.1:%d" % server.port

    def client(self, **kw):
        return self.server.client(**kw)

    def alive(self):
        return self.server.proc is not None and self.server.proc.poll() is None

    def node_id(self):
        c = self.client()
        try:
            return c.execute_command("CLUSTER", "MYID")
        finally:
            c.close()

    def role(self):
        c = self.client()
        try:
            return c.execute_command("ROLE")[0]
        finally:
            c.close()


class Cluster:
    def __init__(self, aof=False, module_args=(), nodes=6):
        self.aof = aof
        self.module_args = list(module_args)
        self.count = nodes
        self.base = tempfile.mkdtemp(prefix="suma-cluster-")
        self.nodes = []

    # -- lifecycle ---------------------------------------------------------
    def _server(self, i, port=None):
        d = os.path.join(self.base, "n%d" % i)
        os.makedirs(d, exist_ok=True)
        return RedisServer(
            datadir=d, port=port, aof=self.aof, fsync="always", module_args=self.module_args,
            extra=["--cluster-enabled", "yes", "--cluster-port", str(free_port()),
                   "--cluster-config-file", os.path.join(d, "nodes.conf"),
                   "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
                   "--cluster-replica-validity-factor", "0",
                   "--cluster-allow-replica-migration", "no"])

    def start(self):
        try:
            for i in range(self.count):
                self.nodes.append(Node(self._server(i)))
            cli("--cluster", "create", *[n.addr for n in self.nodes], "--cluster-replicas", 1,
                "--cluster-yes")
            self.wait_stable()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        for n in self.nodes:
            n.server.cleanup()
        shutil.rmtree(self.base, ignore_errors=True)

    def restart(self, node):
        """Starts a stopped node again on its port and directory (nodes.conf kept)."""
        node.server.start()

    def add_node(self):
        """A new empty primary joined with `redis-cli --cluster add-node`."""
        n = Node(self._server(len(self.nodes)))
        self.nodes.append(n)
        cli("--cluster", "add-node", n.addr, self.primaries()[0].addr)
        self.wait_stable()
        return n

    # -- topology ----------------------------------------------------------
    def live(self):
        return [n for n in self.nodes if n.alive()]

    def primaries(self):
        return [n for n in self.live() if n.role() == "master"]

    def replicas(self):
        return [n for n in self.live() if n.role() == "slave"]

    def by_addr(self, addr):
        for n in self.nodes:
            if n.addr == addr:
                return n
        raise KeyError(addr)

    def slot_owner(self, slot):
        c = self.live()[0].client()
        try:
            for start, end, primary, *_ in c.execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return self.by_addr("%s:%d" % (primary[0], primary[1]))
        finally:
            c.close()
        raise AssertionError("slot %d has no owner" % slot)

    def replica_of(self, primary):
        pid = primary.node_id()
        for n in self.replicas():
            c = n.client()
            try:
                me = [l for l in c.execute_command("CLUSTER", "NODES").splitlines()
                      if "myself" in l][0].split()
            finally:
                c.close()
            if me[3] == pid:
                return n
        raise AssertionError("no replica of %s" % primary.addr)

    def lowest_slot(self, primary):
        c = primary.client()
        try:
            line = [l for l in c.execute_command("CLUSTER", "NODES").splitlines()
                    if "myself" in l][0].split()
        finally:
            c.close()
        slots = [int(s.split("-")[0]) for s in line[8:] if not s.startswith("[")]
        return min(slots)

    def _view(self, node):
        c = node.client()
        try:
            info = c.execute_command("CLUSTER", "INFO")
            slots = sorted((s[0], s[1], s[2][1]) for s in c.execute_command("CLUSTER", "SLOTS"))
            nodes = c.execute_command("CLUSTER", "NODES")
            return info, slots, nodes
        finally:
            c.close()

    def stable(self):
        """True when every live node is ok, sees the same slot map, no node is
        marked failing, no slot is migrating/importing, and every replica's
        link is up."""
        self.assert_no_crash()
        try:
            views = [self._view(n) for n in self.live()]
            replicas = self.replicas()
        except redis.exceptions.RedisError:
            return False
        if not all("cluster_state:ok" in v[0] for v in views):
            return False
        if len({tuple(v[1]) for v in views}) != 1:
            return False
        covered = sum(e - s + 1 for s, e, _ in views[0][1])
        if covered != 16384:
            return False
        for _, _, nodes in views:
            for line in nodes.splitlines():
                f = line.split()
                if f[1].startswith(":0") or "fail" in f[2] or "handshake" in f[2]:
                    if f[1].split("@")[0].split(":")[-1] in {str(n.port) for n in self.live()}:
                        return False
                if any(s.startswith("[") for s in f[8:]):
                    return False
        for n in replicas:
            c = n.client()
            try:
                if c.info("replication").get("master_link_status") != "up":
                    return False
            except redis.exceptions.RedisError:
                return False
            finally:
                c.close()
        return True

    def wait_stable(self, timeout=60):
        poll(self.stable, timeout=timeout, interval=0.1, what="cluster stable",
             on_fail=self.describe)

    def describe(self):
        out = []
        for n in self.nodes:
            if not n.alive():
                out.append("%s: down" % n.addr)
                continue
            try:
                out.append("%s:\n%s" % (n.addr, n.client().execute_command("CLUSTER", "NODES")))
            except redis.exceptions.RedisError as e:
                out.append("%s: %s" % (n.addr, e))
        return "\n".join(out)

    # -- operations --------------------------------------------------------
    def reshard(self, src, dst, slots=1, pipeline=None, timeout=300):
        """Moves `slots` slots (the lowest-numbered ones src owns, which is
        how redis-cli picks them) from src to dst with redis-cli."""
        args = ["--cluster", "reshard", src.addr, "--cluster-from", src.node_id(),
                "--cluster-to", dst.node_id(), "--cluster-slots", slots, "--cluster-yes"]
        if pipeline:
            args += ["--cluster-pipeline", pipeline]
        p = cli(*args, timeout=timeout, check=False)
        return p

    def rebalance(self, *extra, timeout=300):
        return cli("--cluster", "rebalance", self.primaries()[0].addr, *extra,
                   timeout=timeout, check=False)

    def check(self):
        return cli("--cluster", "check", self.primaries()[0].addr, check=False)

    def failover(self, replica, force=False):
        c = replica.client()
        try:
            c.execute_command("CLUSTER", "FAILOVER", *(["FORCE"] if force else []))
        finally:
            c.close()
        poll(lambda: replica.role() == "master", timeout=30, what="replica promoted")

    # -- checks ------------------------------------------------------------
    def orphans(self, slot):
        """{addr: key count} of the primaries that hold keys of `slot` without
        owning it, plus {addr: "migrating"/"importing"} for any node still
        marked as moving it."""
        owner = self.slot_owner(slot)
        bad = {}
        for n in self.primaries():
            c = n.client()
            try:
                cnt = c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot)
                keys = c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10)
                for line in c.execute_command("CLUSTER", "NODES").splitlines():
                    if "myself" in line:
                        for s in line.split()[8:]:
                            if s.startswith("[%d-" % slot):
                                bad[n.addr + " state"] = s
            finally:
                c.close()
            if n is not owner and cnt:
                bad[n.addr] = (cnt, keys)
        return bad

    def errorstats(self):
        """Sum over live nodes of INFO errorstats counters (ASK, MOVED,
        TRYAGAIN, CLUSTERDOWN, BUSYKEY, ...)."""
        total = {}
        for n in self.live():
            c = n.client()
            try:
                for k, v in c.info("errorstats").items():
                    code = k.replace("errorstat_", "")
                    n = v["count"] if isinstance(v, dict) else v.split("=")[1].split(",")[0]
                    total[code] = total.get(code, 0) + int(n)
            except redis.exceptions.RedisError:
                pass
            finally:
                c.close()
        return total

    def logs_mention(self, text):
        hits = []
        for n in self.nodes:
            try:
                with open(os.path.join(n.server.dir, "redis.log")) as f:
                    if text in f.read():
                        hits.append(n.addr)
            except OSError:
                pass
        return hits

    def cluster_client(self, **kw):
        from redis.cluster import ClusterNode, RedisCluster
        kw.setdefault("decode_responses", True)
        kw.setdefault("socket_timeout", 10)
        return RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", n.port) for n in self.live()],
                            **kw)

    def crashed(self):
        """Nodes whose process died without the test stopping them, each with
        the crash report's first lines and stack trace from its log."""
        out = []
        for n in self.nodes:
            p = n.server.proc
            if p is None or getattr(n, "stopped_by_test", False):
                continue
            if p.poll() is None and not self._crash_lines(n):
                continue
            out.append("%s (exit %s):\n%s" % (n.addr, p.poll(), self._crash_lines(n)))
        return out

    @staticmethod
    def _crash_lines(node):
        try:
            with open(os.path.join(node.server.dir, "redis.log"), errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return ""
        for i, l in enumerate(lines):
            if "REDIS BUG REPORT START" in l or "crashed by signal" in l:
                keep = lines[i:i + 4]
                for j in range(i, len(lines)):
                    if "STACK TRACE" in lines[j]:
                        keep += lines[j:j + 14]
                        break
                return "\n".join(keep)
        return ""

    def assert_no_crash(self):
        bad = self.crashed()
        assert not bad, "a node crashed:\n" + "\n".join(bad)

    def rebuild(self):
        """Stops every node and builds a fresh cluster in a new directory."""
        self.stop()
        self.base = tempfile.mkdtemp(prefix="suma-cluster-")
        self.nodes = []
        return self.start()
