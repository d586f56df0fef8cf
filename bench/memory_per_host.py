#!/usr/bin/env python3
"""Memory per live host of one or two module builds against plain sorted sets,
measured in the same run (used_memory delta / hosts).

    bench/memory_per_host.py NEW.so [BASE.so] [--groups 100] [--per-group 10000]

Each build gets a fresh redis-server on a free loopback port; hosts join by
suma_keep_alive (pipelined), the baseline by ZADD of the same members with
millisecond scores. Prints B/host and the ratio to the sorted sets."""
import argparse
import socket
import subprocess
import time

import redis


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def per_host(module, groups, per_group):
    port = free_port()
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no"]
    if module:
        args += ["--loadmodule", module, "max-hosts", str(per_group)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    r = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)
        before = r.info("memory")["used_memory"]
        for g in range(groups):
            pipe = r.pipeline(transaction=False)
            for h in range(per_group):
                vip = "10.%d.%d.%d:9001" % (g, h // 256, h % 256)
                if module:
                    pipe.execute_command("sumavlib.suma_keep_alive", "agent.g%d_master" % g, vip)
                else:
                    pipe.zadd("g%d:hosts" % g, {vip: 1796420000000 + h})
            pipe.execute()
        return (r.info("memory")["used_memory"] - before) / (groups * per_group)
    finally:
        r.shutdown(nosave=True)
        proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("new")
    ap.add_argument("base", nargs="?")
    ap.add_argument("--groups", type=int, default=100)
    ap.add_argument("--per-group", type=int, default=10000)
    a = ap.parse_args()
    zset = per_host(None, a.groups, a.per_group)
    print("plain sorted sets: %.1f B/host" % zset)
    for label, so in (("base", a.base), ("new", a.new)):
        if so:
            b = per_host(so, a.groups, a.per_group)
            print("%s: %.1f B/host, %.2fx the sorted sets" % (label, b, b / zset))


if __name__ == "__main__":
    main()
