"""One cluster operation under live load on one group, and every check the
suite makes after it (issue 12): the move or failover completed, nothing was
granted twice, no live host was evicted, every acknowledged write is on the
new owner, the registry and drains survived, and the new owner evicts a host
that went silent before the operation within one host TTL of its end."""
import json
import os
import shutil
import subprocess
import time

from cluster_support import group_in_slot
from conftest import TTL_MS
from suma_testing import wait_until as poll
from workload import Workload, client_redirections, reset_client_redirections

_serial = [0]
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "agent", "clients", "node")
_npm_done = [False]


def node_env():
    """node-redis from agent/clients/node (npm ci there once per run)."""
    if not _npm_done[0]:
        npm = shutil.which("npm")
        assert npm, "npm is missing (scripts/deps-test.txt lists it)"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                       check=True, timeout=300)
        _npm_done[0] = True
    return dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))


def fresh_group(cluster, owner):
    """A new group whose slot is the lowest one `owner` holds (the slot
    redis-cli reshard moves first)."""
    _serial[0] += 1
    return group_in_slot(cluster.lowest_slot(owner), prefix="g%d.t" % _serial[0])


class Scenario:
    def __init__(self, cluster, group, hosts=20, node=True):
        self.cluster = cluster
        self.group = group
        self.master = group + "_master"
        self.channel = group + "_channel"
        self.rc = cluster.cluster_client()
        self.work = Workload(cluster, group, hosts=hosts, ttl_ms=TTL_MS)
        self.silent = "10.8.0.1:9001"
        self.drained = "10.8.0.2:9001"
        self.server_vip = "10.8.0.3:9001"
        # Hosts beating through node-redis createCluster, alongside redis-py's.
        self.node_vips = ["10.5.0.%d:9001" % i for i in range(5)]
        self.node_proc = None
        self.node = node

    def __enter__(self):
        reset_client_redirections()
        self.errors_before = self.cluster.errorstats()
        w = self.work
        w.call(self.rc, "sumavlib.suma_vip_register", self.master, self.server_vip, '{"rack":"r1"}')
        w.call(self.rc, "sumavlib.suma_vip_kill", self.channel, self.drained)
        w.start()
        if self.node:
            self._start_node()
        time.sleep(1.0)
        return self

    def _start_node(self):
        env = node_env()
        self.node_proc = subprocess.Popen(
            ["node", os.path.join(HERE, "heartbeat.js"), str(self.cluster.primaries()[0].port),
             self.group, str(self.node_seconds)] + self.node_vips,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)

    node_seconds = 120  # upper bound; finish() ends it by closing its stdin

    def before_operation(self):
        """The silent host's only heartbeat: its TTL runs out during or after
        the operation, so the node that owns the group then must evict it."""
        self.work.call(self.rc, "sumavlib.suma_keep_alive", self.master, self.silent)
        self.silent_at = time.monotonic()
        self.op_start = time.monotonic()

    def after_operation(self):
        self.op_end = time.monotonic()

    def finish(self, presence=True, settle_s=1.0):
        """Runs the load a little longer, stops it, checks everything;
        returns the numbers."""
        time.sleep(settle_s)
        w = self.work
        deadline = max(self.silent_at + TTL_MS / 1000.0, self.op_end + TTL_MS / 1000.0) + 0.5
        evicted = poll(lambda: self._offline_event(self.silent), timeout=max(
            0.1, deadline - time.monotonic() + 5), interval=0.05, what="silent host evicted")
        evicted_at = time.monotonic()
        node = None
        if self.node_proc:
            # The redis-py load keeps running until node-redis is done too.
            # communicate() closes its stdin, which ends it.
            out, err = self.node_proc.communicate(timeout=60)
            assert self.node_proc.returncode == 0, "node-redis heartbeats failed: " + err[-2000:]
            node = json.loads(out.strip().splitlines()[-1])
        w.stop()
        summary = w.check(self.rc, presence=presence)
        if node is not None:
            live = set(w.call(self.rc, "sumavlib.suma_vip_list", self.master))
            assert set(self.node_vips) <= live, ("node-redis hosts not live", node)
            with w.lock:
                events = list(w.events.values())
            false_ev = [e for e in events if e["type"] == "offline"
                        and e.get("reason") == "expired" and e["vip"] in self.node_vips
                        and node["maxGapMs"].get(e["vip"], 0) < TTL_MS * 0.8]
            assert not false_ev, ("node-redis hosts evicted while beating", false_ev[:3])
            summary["node_redis"] = {"beats": node["beats"], "errors": node["errors"],
                                     "max_gap_ms": max(node["maxGapMs"].values(), default=0)}
        assert evicted_at <= deadline + 0.2, (
            "silent host evicted %.2fs after its TTL ran out (%.2fs after the operation)"
            % (evicted_at - self.silent_at - TTL_MS / 1000.0, evicted_at - self.op_end))
        info = self.work.call(self.rc, "sumavlib.suma_vip_server_get", self.master, self.server_vip)
        assert info is not None and json.loads(info[0]) == {"rack": "r1"}, info
        drained = self.work.call(self.rc, "sumavlib.suma_vip_drained", self.channel)
        assert self.drained in drained[::2], drained
        state = dict(zip(*[iter(self.work.call(self.rc, "sumavlib.suma_vip_info", self.master,
                                                 self.silent))] * 2))
        assert state["state"] == "unknown", state
        after = self.cluster.errorstats()
        server_errors = {k: after.get(k, 0) - self.errors_before.get(k, 0) for k in after
                         if after.get(k, 0) != self.errors_before.get(k, 0)}
        summary.update({"client_redirections": client_redirections(),
                        "server_errors": server_errors,
                        "op_s": round(self.op_end - self.op_start, 3),
                        "evicted_after_ttl_s": round(evicted_at - self.silent_at
                                                     - TTL_MS / 1000.0, 3)})
        assert "BUSYKEY" not in server_errors, server_errors
        print("\n%s: %s" % (self.group, json.dumps(summary, sort_keys=True)))
        return summary

    def _offline_event(self, vip):
        with self.work.lock:
            events = list(self.work.events.values())
        for e in events:
            if e["type"] == "offline" and e.get("vip") == vip and e.get("reason") == "expired":
                return e
        return None

    def __exit__(self, *exc):
        if self.node_proc and self.node_proc.poll() is None:
            self.node_proc.kill()
            self.node_proc.wait()
        self.work.stop_flag.set()
        for t in self.work.threads:
            t.join(5)
        self.rc.close()
