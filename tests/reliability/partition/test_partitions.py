"""Partitions with network namespaces.

Three contending hosts, each in its own network namespace joined to a bridge
in the root namespace by a veth pair; redis-server (with the module) listens
on the bridge address 10.77.<n>.1. Each host runs contender.py (election loop
with a short lease, client-side lease rule, every tenure recorded). While they
run, links are cut and healed: the root-side veth set down/up (full cut) and,
when iptables is available, a DROP of the server's packets in the host's own
namespace (the server still gets requests and renews the lease, the host
never hears back: a one-way partition). Checker:
- no epoch was held by two hosts;
- epochs only grew (per host and over all tenures in time order);
- no two hosts believed they led at the same moment (belief intervals on the
  shared CLOCK_MONOTONIC, within TOL = 1 ms of rate slew between the server's
  wall clock and CLOCK_MONOTONIC);
- a host that lost its lease stopped believing within one lease period of
  its last successful renewal (by the rule: end <= last_sent + lease); how
  long its loop took to notice is measured, not asserted;
- every recorded tenure matches the server's "leader" event for that epoch;
- the leaders' IFEPOCH writes to one config key, in version order, never go
  back in epoch and each came from the leader of its epoch; that includes the
  "zombie" write each host sends with its old epoch right after stepping down
  (refused with FENCED once another host took over; counted).
Tenures and link events go to $SUMA_RESULTS_DIR/partition_*.json.
Short run: 25 s; SUMA_LONG=1: 300 s. Needs root and `ip netns`; skips otherwise.
"""
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from suma_testing.reliability import LONG, RESULTS_DIR, RedisServer, cmd, report

HERE = os.path.dirname(os.path.abspath(__file__))
MK = "agent.part_test_master"
CH = "agent.part_test_channel"
N_HOSTS = 3
LEASE_MS = 1000
DURATION = 300.0 if LONG else 25.0
TOL = 0.001  # float rounding and clock-rate slew between CLOCK_REALTIME and MONOTONIC


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=20)


def netns_available():
    if os.geteuid() != 0:
        return "not root"
    if not shutil.which("ip"):
        return "no ip command (apt-get install iproute2)"
    probe = "smprobe%d" % os.getpid()
    try:
        sh("ip", "netns", "add", probe)
        sh("ip", "netns", "del", probe)
    except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as e:
        return "ip netns unavailable: %s" % getattr(e, "stderr", e)
    return None


def sweep_stale():
    """Removes namespaces, veths and bridges left by a run that was killed
    before its finally: (e.g. a ctest timeout); their names carry the pid."""
    stale = set()
    for line in sh("ip", "netns", "list", check=False).stdout.splitlines():
        m = re.match(r"smns([0-9a-f]+)-\d+\b", line)
        if m:
            stale.add(m.group(1))
    for line in sh("ip", "-o", "link", "show", check=False).stdout.splitlines():
        m = re.match(r"\d+: sm[bh]([0-9a-f]+)[-@:]", line)
        if m:
            stale.add(m.group(1))
    for tag in stale:
        if os.path.exists("/proc/%d" % int(tag, 16)):
            continue  # its run is still going
        for line in sh("ip", "netns", "list", check=False).stdout.splitlines():
            if line.startswith("smns%s-" % tag):
                sh("ip", "netns", "del", line.split()[0], check=False)
        for line in sh("ip", "-o", "link", "show", check=False).stdout.splitlines():
            m = re.match(r"\d+: (sm[bh]%s[-0-9]*)[@:]" % tag, line)
            if m:
                sh("ip", "link", "del", m.group(1), check=False)


class Net:
    """A bridge 10.77.<n>.1/24 and one namespace per host at 10.77.<n>.<10+i>."""

    def __init__(self, n_hosts):
        sweep_stale()
        self.tag = "%x" % os.getpid()  # names stay <= 15 chars (pid_max <= 2^22)
        used = sh("ip", "-4", "addr").stdout
        octets = [o for o in range(100, 250) if "10.77.%d." % o not in used]
        self.net = "10.77.%d" % random.choice(octets)
        self.bridge = "smb" + self.tag
        self.server_ip = self.net + ".1"
        self.hosts = []  # (ns, root-side veth, address)
        self.oneway = False
        try:
            sh("ip", "link", "add", self.bridge, "type", "bridge")
            sh("ip", "addr", "add", self.server_ip + "/24", "dev", self.bridge)
            sh("ip", "link", "set", self.bridge, "up")
            for i in range(n_hosts):
                ns, veth, peer = ("smns%s-%d" % (self.tag, i), "smh%s-%d" % (self.tag, i),
                                  "smp%s-%d" % (self.tag, i))
                addr = "%s.%d" % (self.net, 10 + i)
                sh("ip", "netns", "add", ns)
                self.hosts.append((ns, veth, addr))
                sh("ip", "link", "add", veth, "type", "veth", "peer", "name", peer)
                sh("ip", "link", "set", peer, "netns", ns)
                sh("ip", "link", "set", veth, "master", self.bridge)
                sh("ip", "link", "set", veth, "up")
                sh("ip", "netns", "exec", ns, "ip", "addr", "add", addr + "/24", "dev", peer)
                sh("ip", "netns", "exec", ns, "ip", "link", "set", peer, "up")
                sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            # One-way cuts use the host namespace's own firewall (gone with it).
            ns = self.hosts[0][0]
            if shutil.which("iptables") and sh("ip", "netns", "exec", ns, "iptables", "-S",
                                               check=False).returncode == 0:
                self.oneway = True
        except Exception:
            self.cleanup()
            raise

    def cut(self, i):
        sh("ip", "link", "set", self.hosts[i][1], "down")

    def heal(self, i):
        sh("ip", "link", "set", self.hosts[i][1], "up")

    def drop_replies(self, i):
        sh("ip", "netns", "exec", self.hosts[i][0], "iptables", "-I", "INPUT", "-s",
           self.server_ip, "-j", "DROP")

    def restore_replies(self, i):
        sh("ip", "netns", "exec", self.hosts[i][0], "iptables", "-D", "INPUT", "-s",
           self.server_ip, "-j", "DROP", check=False)

    def cleanup(self):
        for ns, veth, _ in self.hosts:
            sh("ip", "netns", "del", ns, check=False)  # takes the peer, hence the pair
            sh("ip", "link", "del", veth, check=False)
        sh("ip", "link", "del", self.bridge, check=False)


def check(tenures, lease, server_leaders):
    """Asserts the safety properties; returns derived measurements."""
    owner = {}
    for t in tenures:
        assert owner.setdefault(t["epoch"], t["host"]) == t["host"], \
            "epoch %d held by %s and %s" % (t["epoch"], owner[t["epoch"]], t["host"])
        assert t["end"] <= t["last_sent"] + lease + 1e-9, t
        assert t["start"] <= t["end"] + 1e-9 or t["how"] != "deadline", t
        # The server granted this epoch to this host.
        assert server_leaders.get(t["epoch"], t["host"]) == t["host"], (t, server_leaders)
    by_start = sorted(tenures, key=lambda t: t["start"])
    epochs = [t["epoch"] for t in by_start]
    assert epochs == sorted(epochs), epochs
    for host in {t["host"] for t in tenures}:
        mine = [t["epoch"] for t in by_start if t["host"] == host]
        assert mine == sorted(mine), (host, mine)
    overlaps = []
    for i, a in enumerate(by_start):
        for b in by_start[i + 1:]:
            if b["host"] != a["host"] and b["start"] < a["end"] - TOL:
                overlaps.append((a, b))
    assert not overlaps, overlaps[:3]
    late = [t["learned"] - t["end"] for t in tenures if t["how"] in ("deadline", "lost", "fenced")]
    handovers = []
    for a, b in zip(by_start, by_start[1:]):
        if a["host"] != b["host"]:
            handovers.append(b["start"] - a["end"])
    return {
        "tenures": len(tenures), "epochs": len(owner), "max_epoch": max(owner, default=0),
        "hosts_that_led": len({t["host"] for t in tenures}),
        "step_downs": {h: sum(1 for t in tenures if t["how"] == h)
                       for h in ("deadline", "lost", "fenced", "new-epoch", "run-end")},
        "max_ms_noticed_after_belief_end": round(max(late, default=0) * 1000, 1),
        "min_ms_between_leaders": round(min(handovers, default=0) * 1000, 1),
        "median_ms_between_leaders": round(sorted(handovers)[len(handovers) // 2] * 1000, 1)
        if handovers else None,
    }


def test_partitions_never_give_two_leaders():
    why = netns_available()
    if why:
        pytest.skip("partition suite needs root and ip netns: " + why)
    tmp = tempfile.mkdtemp(prefix="suma-part-")
    net = srv = None
    procs = []
    links = []
    try:
        net = Net(N_HOSTS)
        srv = RedisServer(module_args=["event-log-len", 1000000, "host-ttl-ms", 600000,
                                       "history-len", 1000],
                          extra=["--bind", "127.0.0.1", net.server_ip,
                                 "--protected-mode", "no"])
        t0 = time.monotonic()
        for i, (ns, _, _) in enumerate(net.hosts):
            procs.append(subprocess.Popen(
                ["ip", "netns", "exec", ns, sys.executable,
                 os.path.join(HERE, "contender.py"), "--host", net.server_ip,
                 "--port", str(srv.port), "--mk", MK, "--ch", CH, "--vip", "h%d" % i,
                 "--lease-ms", str(LEASE_MS), "--duration", str(DURATION),
                 "--out", os.path.join(tmp, "h%d.json" % i)],
                stderr=subprocess.PIPE, text=True))
        rng = random.Random()
        r = srv.client()
        deadline = t0 + DURATION - 2
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.3, 2.0))
            # Prefer cutting whoever leads now.
            cur = cmd(r, "suma_leader_info", MK)[1]
            i = int(cur[1:]) if cur and rng.random() < 0.7 else rng.randrange(N_HOSTS)
            oneway = net.oneway and rng.random() < 0.4
            hold = rng.uniform(0.2, 2.5) * LEASE_MS / 1000
            t_cut = time.monotonic()
            (net.drop_replies if oneway else net.cut)(i)
            time.sleep(min(hold, max(0.0, deadline - time.monotonic())))
            (net.restore_replies if oneway else net.heal)(i)
            links.append({"host": "h%d" % i, "kind": "drop-replies" if oneway else "link-down",
                          "from": t_cut, "to": time.monotonic()})
        for p in procs:
            try:
                p.wait(timeout=DURATION + 30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        errs = [p.stderr.read() for p in procs]
        assert all(p.returncode == 0 for p in procs), errs
        results = [json.load(open(os.path.join(tmp, "h%d.json" % i))) for i in range(N_HOSTS)]
        tenures = [t for res in results for t in res["tenures"]]
        log = [json.loads(e) for e in cmd(r, "suma_events", CH, 0, "COUNT", 10000)]
        server_leaders = {e["epoch"]: e["vip"] for e in log if e["type"] == "leader"}
        summary = check(tenures, LEASE_MS / 1000, server_leaders)
        assert summary["hosts_that_led"] >= 2, "the cuts never moved the leadership"
        # Fenced writes under partition: in version order the config's epochs
        # never go back, and each write came from its epoch's leader.
        hist = [h[2] for h in reversed(cmd(r, "suma_diamond_history", CH, "owner", 1000))]
        written = [(v.split(":")[0], int(v.split(":")[1])) for v in hist]
        # An accepted zombie write carried an epoch still current on the server.
        for i, v in enumerate(hist):
            if v.endswith(":zombie"):
                later = [e for _, e in written[i + 1:]]
                assert all(e >= written[i][1] for e in later), (v, written[i:i + 5])
        assert [e for _, e in written] == sorted(e for _, e in written), written
        assert all(server_leaders.get(e, vip) == vip for vip, e in written), written
        final_epoch = cmd(r, "suma_leader_info", MK)[3]
        assert final_epoch >= summary["max_epoch"]
        os.makedirs(RESULTS_DIR, exist_ok=True)
        with open(os.path.join(RESULTS_DIR, "partition_tenures.json"), "w") as f:
            json.dump({"t0": t0, "tenures": sorted(tenures, key=lambda t: t["start"]),
                       "links": links, "stats": {res["vip"]: res["stats"] for res in results}},
                      f, indent=1)
        summary.update({"duration_s": DURATION, "lease_ms": LEASE_MS, "hosts": N_HOSTS,
                        "link_events": len(links), "oneway_cuts": net.oneway,
                        "server_epoch": final_epoch,
                        "calls": sum(res["stats"]["calls"] for res in results),
                        "fenced_writes_ok": sum(res["stats"]["writes_ok"] for res in results),
                        "fenced_writes_refused": sum(res["stats"]["fenced"] for res in results),
                        "zombie_writes_fenced": sum(res["stats"]["zombie_fenced"]
                                                    for res in results),
                        "zombie_writes_accepted": sum(res["stats"]["zombie_ok"]
                                                      for res in results),
                        "errors": sum(res["stats"]["errors"] for res in results)})
        report("partition_summary", summary)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if net:
            net.cleanup()
        if srv:
            srv.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
