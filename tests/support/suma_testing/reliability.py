"""Shared helpers of the durability, failover and partition suites.

- RedisServer and wait_until (redis_server.py) are re-exported.
- LONG is true under SUMA_LONG=1: the suites then run their soak versions.
- report(name, data) prints a measurement and writes it as JSON to
  $SUMA_RESULTS_DIR (default: <tmp>/suma-reliability) so runs can be compared.
"""
import json
import os
import tempfile
import time

from .redis_server import MODULE, ROOT, RedisServer, free_port, wait_until  # noqa: F401

LONG = os.environ.get("SUMA_LONG", "") not in ("", "0")
RESULTS_DIR = os.environ.get("SUMA_RESULTS_DIR",
                             os.path.join(tempfile.gettempdir(), "suma-reliability"))


def cmd(r, name, *args):
    """Runs sumavlib.<name> on client r."""
    return r.execute_command("sumavlib." + name, *args)


def leader_info(r, mk):
    """suma_leader_info as a dict {vip, epoch, lease_left_ms}."""
    a = cmd(r, "suma_leader_info", mk)
    return {a[i]: a[i + 1] for i in range(0, len(a), 2)}


def keyspace(r):
    """Every key of db 0 with its DUMP payload: equal snapshots mean an
    unchanged keyspace. r must be a client without decode_responses."""
    return {k: r.dump(k) for k in sorted(r.scan_iter(count=1000))}


def report(name, data):
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, name + ".json")
    with open(path, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True, default=str)
    print("\n[%s] %s\n  (written to %s)" % (name, json.dumps(data, sort_keys=True, default=str),
                                           path))
    return path


