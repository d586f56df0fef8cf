#!/usr/bin/env python3
"""Resharding benchmark (docs/benchmarks.md, "Resharding a group"):
a group of HOSTS hosts and a plain sorted set of as many members, on a
3-primary + 3-replica loopback cluster, each moved between two primaries
with `redis-cli --cluster reshard --cluster-slots 1` ROUNDS times back and
forth while its members keep beating (suma_keep_alive / ZADD).

Per move: seconds the move took, heartbeat p50/p99 while it ran, errors the
clients saw (redirections redis-py followed plus errors that reached us).
After each round trip of the group: the leader's epochs, config versions and
event seqs granted never repeat, no heartbeating host was evicted, every
acknowledged write is on the new owner (tests/cluster/workload.py checks).

  SUMAVLIB=build/sumavlib.so bench/cluster_reshard.py [--hosts 10000] [--rounds 1]
  SUMA_LONG=1 ... runs 5 round trips (issue 12's soak).
Prints a JSON summary and a markdown table.
"""
import argparse
import json
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["SUMAVLIB"] = os.path.abspath(os.environ.get(
    "SUMAVLIB", os.path.join(ROOT, "build", "sumavlib.so")))
sys.path[:0] = [os.path.join(ROOT, "tests", "support"), os.path.join(ROOT, "tests", "cluster")]

from cluster_support import Cluster, group_in_slot, key_slot  # noqa: E402
from workload import Workload, client_redirections, reset_client_redirections  # noqa: E402

TTL_MS = 10000


class Beater(threading.Thread):
    """Beats every member in a loop; keeps (time, latency) per call."""

    def __init__(self, cluster, members, beat):
        super().__init__(daemon=True)
        self.rc = cluster.cluster_client()
        self.members, self.beat = members, beat
        self.samples, self.errors = [], 0
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            for m in self.members:
                if self.stop_flag.is_set():
                    break
                t0 = time.monotonic()
                try:
                    self.beat(self.rc, m)
                except Exception:  # counted; the client retries next round
                    self.errors += 1
                    time.sleep(0.01)
                    continue
                self.samples.append((t0, time.monotonic() - t0))

    def window(self, a, b):
        lat = sorted(s for t, s in self.samples if a <= t <= b)
        if not lat:
            return 0.0, 0.0
        return 1000 * lat[len(lat) // 2], 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))]


def move(cluster, src, dst, beater):
    reset_client_redirections()
    err0 = beater.errors
    t0 = time.monotonic()
    p = cluster.reshard(src, dst, slots=1)
    t1 = time.monotonic()
    if p.returncode != 0:
        raise SystemExit("reshard failed:\n" + p.stdout[-3000:])
    cluster.wait_stable()
    p50, p99 = beater.window(t0, t1)
    red = client_redirections()
    return {"move_s": round(t1 - t0, 3), "p50_ms": round(p50, 3), "p99_ms": round(p99, 3),
            "errors": sum(red.values()) + beater.errors - err0, "redirections": red}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=5 if os.environ.get("SUMA_LONG") else 1)
    ap.add_argument("--zset-only", action="store_true",
                    help="move only the sorted set (the baseline), no group")
    args = ap.parse_args()
    cl = Cluster(aof=True, module_args=["host-ttl-ms", TTL_MS, "event-log-len", 1000000,
                                        "max-hosts", max(100000, args.hosts)]).start()
    try:
        a, b = cl.primaries()[:2]
        slot = cl.lowest_slot(a)
        group = group_in_slot(slot, prefix="bench.g")
        zkey = group_in_slot(slot + 1, prefix="bench.z") + ":plain"
        assert key_slot(zkey) == slot + 1
        vips = ["10.%d.%d.%d:9001" % (i // 65536, (i // 256) % 256, i % 256)
                for i in range(args.hosts)]
        rc = cl.cluster_client()
        for i in range(0, len(vips), 500):
            pipe = rc.pipeline()
            for v in vips[i:i + 500]:
                if not args.zset_only:
                    pipe.execute_command("sumavlib.suma_keep_alive", group + "_master", v)
                pipe.zadd(zkey, {v: time.time() * 1000})
            pipe.execute()
        group_beat = Beater(cl, vips, lambda r, v: r.execute_command(
            "sumavlib.suma_keep_alive", group + "_master", v))
        zset_beat = Beater(cl, vips, lambda r, v: r.zadd(zkey, {v: time.time() * 1000}))
        # Leader, configs, events and tasks on the same group, checked after each round.
        work = None if args.zset_only else Workload(cl, group, hosts=0, ttl_ms=TTL_MS).start()
        if work:
            group_beat.start()
        zset_beat.start()
        time.sleep(2)
        rows = []
        for rnd in range(args.rounds):
            for src, dst in ((a, b), (b, a)):
                # The group's slot is src's lowest; with --zset-only it is empty.
                g = move(cl, src, dst, group_beat)
                z = move(cl, src, dst, zset_beat)    # then the sorted set's
                rows.append({"round": rnd + 1, "from": src.addr, "to": dst.addr,
                             "group": g, "zset": z})
                print(json.dumps(rows[-1]), flush=True)
        time.sleep(1)
        group_beat.stop_flag.set()
        zset_beat.stop_flag.set()
        zset_beat.join(30)
        summary, live, evicted = {}, set(vips), []
        if work:
            group_beat.join(30)
            work.stop()
            work.vips = []  # the 10,000 hosts are checked here, not by the workload
            summary = work.check(rc)
            live = set(rc.execute_command("sumavlib.suma_vip_list", group + "_master"))
            evicted = [e for e in work.events.values() if e["type"] == "offline"]
        result = {"hosts": args.hosts, "rounds": args.rounds, "moves": rows,
                  "hosts_live_after": sum(1 for v in vips if v in live),
                  "offline_events": len(evicted), "zset_members_after": rc.zcard(zkey),
                  "workload": summary}
        print(json.dumps(result))
        print("\n| what moved | moves | move s (median) | heartbeat p99 ms during move (max) | errors |")
        print("|---|---|---|---|---|")
        for kind in ("group", "zset"):
            ms = sorted(r[kind]["move_s"] for r in rows)
            print("| %s | %d | %.3f | %.2f | %d |" % (
                "group of %d hosts (suma_keep_alive)" % args.hosts if kind == "group"
                else "sorted set of %d members (ZADD)" % args.hosts, len(rows), ms[len(ms) // 2],
                max(r[kind]["p99_ms"] for r in rows), sum(r[kind]["errors"] for r in rows)))
        ok = (result["hosts_live_after"] == args.hosts and not evicted
              and result["zset_members_after"] == args.hosts)
        return 0 if ok else 1
    finally:
        crashed = cl.crashed()
        cl.stop()
        if crashed:
            print("CRASHED:\n" + "\n".join(crashed))


if __name__ == "__main__":
    sys.exit(main())
