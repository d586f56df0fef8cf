#!/usr/bin/python3
"""Randomized hostile-input run against a live redis-server whose sumavlib is
built with ASan+UBSan (issues 4 and 9; docs/guarantees.md).

Sends N commands (default 100000; SUMA_LONG=1: 1000000) that mix valid,
boundary, oversize and binary arguments over every sumavlib command with
ordinary Redis commands on the internal keys of three "mangled" groups
(internal_ops.py: DEL, UNLINK, EXPIRE, RENAME, MOVE, COPY, SWAPDB, FLUSHDB,
RESTORE of earlier DUMPs, SET over a zset, odd ZADD scores, garbage HSETs into
G:meta, XADD/XDEL/XTRIM/XSETID on the streams, now and then FLUSHALL), filler
keys for memory pressure and CONFIG SETs of the module's options (the tenant
lock included). Every reply is parsed strictly (resp.py) and checked against
the contract of its command: the right reply type and shape, or an error of
one of the documented shapes.

The run has one phase per maxmemory-policy (PHASES), each under a maxmemory
a little above the memory in use when it starts, so Redis really evicts (or,
with noeviction, refuses writes). After each phase, with maxmemory lifted:
  - the server answers PING and the sanitizer logs are empty;
  - three untouched groups (never named by the random commands) evicted their
    silent hosts, with an "offline" event, within host-ttl-ms + slack: during
    the phase, one probe host at a time per group (untouched.RollingProbe; a
    FLUSHALL, FLUSHDB 0, SWAPDB 0 n or Redis evicting the group's :hosts or
    :events voids a probe, since it removes the evidence), and after it once
    more with host-ttl-ms 300 after a FLUSHDB and a SWAPDB of other dbs;
  - the keyspace walk is clean (keyspace_check.py; strict, fencing floors
    included, for groups only the module wrote; every key readable for the
    mangled ones and for groups Redis evicted keys of);
  - every read command still answers well-formed on every group;
  - the policy did its work: keys were evicted (allkeys-*), writes refused
    with OOM (noeviction), or either (volatile-*, which has nothing to evict
    while no key has a TTL).
Also checked on the fly: 1% of the module commands on clean groups run inside
MULTI between two DEBUG DIGESTs (an error reply must leave the dataset
digest unchanged; after a CONFIG SET sumavlib.debug-fail-nth-write, 50% of the
next 30 commands, so injected write failures are proven to undo), task ids from PUSH strictly increase over the whole run,
epochs/versions/ids/seqs of clean groups are >= start_ms * 1024 and no epoch
is seen with two different leaders.

Exit status 0 when all holds, 1 with the problems printed, 77 (ctest SKIP)
when the run cannot run (no ASan build, no sanitizer runtime, no
redis-server), but 1 then too when CI=true. The last line gives the counts.
If the server dies, the commands of the last batches are written to
<server dir>/last-commands.txt (minimize.py shrinks them to a reproducer).

  random_commands.py --module build/tests/reliability/hostile/sumavlib_asan.so
        [--commands N] [--seed S] [--keep] [--phases noeviction,allkeys-lru]
        [--log FILE] [--no-near-limit]
"""
import argparse
import atexit
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

import phase_checks  # noqa: E402
from suma_testing import redis_server  # noqa: E402
import untouched  # noqa: E402
from internal_ops import InternalOps  # noqa: E402
from phase_checks import (after_phase, info_field, restore_settings, sanitizer_reports,  # noqa: E402
                          sanitizer_runtime, send_batch, skip, start_server)
from replies import Run, short  # noqa: E402
from suma_testing.resp import Conn, ProtocolError, plain  # noqa: E402
from run_config import (BAD_GROUPS, FILL_RATE, GROUPS, HOSTILE_GROUPS, MAX_PAYLOAD,  # noqa: E402
                        MAXMEMORY_HEADROOM, PHASES, RAW_RATE, SLACK_MS, SUFFIXES, TENANT,
                        UNTOUCHED_GROUPS)

VIPS = ["10.0.0.%d:9001" % i for i in range(1, 25)] + ["[fd00::7]:9001", "host-a", "v" * 256]
BAD_VIPS = ["", "v" * 257, "a b", "a\tb", "\x7f", "\xff", "a\r\nb", "a\x00b", "\u00e9"]
PATTERNS = ["*", "**", "10.0.0.*", "?0.*", "[0-9]*", "[^1]*", "*a*a*a*a*a*a*a*b", "\\*", "[",
            "[]", "[a-", "p" * 256, "10.0.0.1[0-9]:*"]
BAD_PATTERNS = ["", "p" * 257]
INTS = ["0", "1", "-1", "2", "99", "100", "101", "1000", "10000", "10001", "86400000",
        "86400001", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "", "+1", " 1", "1 ", "1e3", "0x10", "01", "-0", "abc", "\x00"]
CFG_KEYS = ["db.url", "feature/x", "k", "k" * 512]
BAD_CFG_KEYS = ["", "k" * 513, "a b", "\xff", "a\nb"]
JSONS = ['{}', '[]', '1', '"s"', 'null', 'true', '{"a":[1,2,{"b":"\\u00e9\\ud83d\\ude00"}]}',
         ' {"x":1} ', '"' + "\u00e9" * 10 + '"', '-0.0e-5', '[' * 500 + ']' * 500,
         '{"a":"\\u0000"}']
BAD_JSONS = ['', '{', '{"a":1', '[1,]', '{"a":1}x', '1 2', "'s'", 'NaN', '"\xff"', '{"a":01}',
             '[' * 100000, '[' * 2000, '"\\ud800"', '\x00', '1e400', '"a\nb"']
SUBS = ["PUSH", "CLAIM", "ACK", "EXTEND", "PENDING", "CLAIMED", "STATS", "push", "Claim", "NOPE"]

class Gen:
    """Builds random commands; each comes with the check of its reply."""

    def __init__(self, rnd, allow_near_limit=True):
        self.r = rnd
        self.locked = False
        self.injecting = 0  # commands left that may meet an injected write failure
        self.ops = InternalOps(rnd, HOSTILE_GROUPS, GROUPS, allow_near_limit)

    def items(self):
        """One operation: a list of (args, name, context) sent back to back."""
        x = self.r.random()
        if x < RAW_RATE:
            return self.ops.sequence()
        if x < RAW_RATE + FILL_RATE:
            return self.ops.filler()
        return [self.command()]

    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def binary(self, n=None):
        n = self.r.randint(0, 40) if n is None else n
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def group_arg(self):
        if self.chance(0.06):
            return self.pick(BAD_GROUPS) if self.chance(0.8) else self.binary()
        return self.pick(GROUPS) + self.pick(SUFFIXES)

    def vip(self):
        if self.chance(0.05):
            return self.pick(BAD_VIPS) if self.chance(0.8) else self.binary()
        return self.pick(VIPS)

    def pattern(self):
        if self.chance(0.04):
            return self.pick(BAD_PATTERNS) if self.chance(0.7) else self.binary()
        return self.pick(PATTERNS)

    def integer(self, good):
        if self.chance(0.15):
            return self.pick(INTS)
        return str(self.pick(good))

    def json(self):
        x = self.r.random()
        if x < 0.07:
            return self.pick(BAD_JSONS)
        if x < 0.1:
            return self.binary()
        if x < 0.13:  # oversize or exactly at the limit
            n = self.pick([MAX_PAYLOAD - 2, MAX_PAYLOAD - 1, MAX_PAYLOAD + 10, 5 * MAX_PAYLOAD])
            return '"' + "x" * n + '"'
        if x < 0.14 and self.chance(0.02):
            return '"' + "y" * (4 << 20) + '"'  # 4 MiB
        return self.pick(JSONS)

    def value(self):
        x = self.r.random()
        if x < 0.2:
            return self.binary(self.r.randint(0, 200))
        if x < 0.25:
            return "v" * self.pick([MAX_PAYLOAD, MAX_PAYLOAD + 1, 4096, 4097])
        return self.pick(["on", "off", "", "\u00e9t\u00e9", '{"a":1}', "x" * 100])

    def cfg_key(self):
        if self.chance(0.05):
            return self.pick(BAD_CFG_KEYS)
        return self.pick(CFG_KEYS)

    def guard(self):
        x = self.r.random()
        if x < 0.7:
            return []
        if x < 0.9:
            return ["IFEPOCH", self.integer([1, 2, 3, 5, 10, 50])]
        return self.pick([["IFEPOCH"], ["ifepoch", "1"], ["NOPE", "1"], ["IFEPOCH", "1", "x"]])

    def mangle_arity(self, args):
        """Now and then drop or add arguments to hit the arity checks."""
        if self.chance(0.03) and len(args) > 1:
            return args[:self.r.randint(1, len(args) - 1)]
        if self.chance(0.02):
            return args + [self.pick(["x", "", "IFEPOCH", "1"])]
        return args

    def listing(self):
        args = [self.pattern()]
        for _ in range(self.r.randint(0, 3)):
            opt = self.pick(["GROUP", "CURSOR", "COUNT", "group", "count", "NOPE"])
            val = {"GROUP": self.group_arg, "group": self.group_arg}.get(
                opt, lambda: self.integer([0, 1, 5, 100, 1000, 1001]))()
            args += [opt, val] if self.chance(0.95) else [opt]
        return args

    def command(self):
        """Returns (args, name, context) for one random command."""
        r = self.r.random()
        if self.locked and r < 0.02:
            return ["CONFIG", "SET", "sumavlib.tenant", ""], "config-tenant", ""
        if r < 0.004:
            return self.config_set()
        name = self.pick(COMMANDS)
        g = self.group_arg
        if name == "suma_try_leader":
            a = [g()]
            if self.chance(0.9):
                a.append(self.vip())
                if self.chance(0.5):
                    a.append(self.integer([100, 150, 300, 1000, 86400000]))
        elif name in ("suma_leader_info", "suma_group_info"):
            a = [g()]
        elif name in ("suma_leader_resign", "suma_vip_info", "suma_vip_leave", "suma_vip_kill",
                      "suma_vip_reset", "suma_vip_unregister", "suma_vip_server_get"):
            a = [g(), self.vip()]
        elif name == "suma_leader_check":
            a = [g(), self.integer([1, 2, 3, 5, 10])]
        elif name == "suma_keep_alive":
            a = [g(), self.vip()] + ([self.pattern()] if self.chance(0.3) else [])
        elif name == "suma_vip_list":
            a = [g()] + ([self.pattern()] if self.chance(0.5) else [])
        elif name == "suma_vip_drained":
            a = [g()]
        elif name == "suma_message_publish":
            a = [g(), self.json()]
        elif name == "suma_events":
            a = [g(), self.integer([0, 1, 10, 100, 1000])]
            if self.chance(0.4):
                a += [self.pick(["COUNT", "count", "LIMIT"]), self.integer([1, 5, 100, 10000, 10001])]
        elif name == "suma_diamond_publish":
            a = [g(), self.cfg_key(), self.value()] + self.guard()
        elif name == "suma_diamond_cas":
            a = [g(), self.cfg_key(), self.integer([0, 1, 2, 3, 5, 10]), self.value()] + self.guard()
        elif name in ("suma_diamond_get", "suma_diamond_delete"):
            a = [g(), self.cfg_key()] + (self.guard() if name == "suma_diamond_delete" else [])
        elif name == "suma_diamond_history":
            a = [g(), self.cfg_key()] + ([self.integer([1, 3, 10, 1000, 1001])]
                                         if self.chance(0.5) else [])
        elif name in ("suma_diamond_list", "suma_vip_server_list", "suma_vip_register_list"):
            a = self.listing()
        elif name == "suma_vip_register":
            a = [g(), self.vip()] + ([self.json()] if self.chance(0.7) else [])
        elif name in ("suma_ci_task", "suma_ci_task_info"):
            a = [g()] + self.task_args()
        else:
            raise AssertionError(name)
        return ["sumavlib." + name] + self.mangle_arity(a), name, None

    def task_args(self):
        sub = self.pick(SUBS)
        u = sub.upper()
        ids = [1, 2, 3, 5, 10, 20, 50, 100]
        if u == "PUSH":
            rest = [self.json()]
        elif u == "CLAIM":
            rest = [self.vip()] + ([self.integer([100, 200, 1000])] if self.chance(0.5) else [])
        elif u == "ACK":
            rest = [self.integer(ids)]
            if self.chance(0.5):
                rest.append(self.vip())
            rest += self.guard()
        elif u == "EXTEND":
            rest = [self.integer(ids), self.vip()] + (
                [self.integer([100, 500])] if self.chance(0.5) else [])
        elif u == "PENDING":
            rest = [self.integer([1, 10, 100, 10000, 10001])] if self.chance(0.5) else []
        else:
            rest = []
        if self.chance(0.03):
            rest.append("extra")
        return [sub] + rest

    def config_set(self):
        if self.chance(0.3):
            val = "" if self.locked else TENANT
            return ["CONFIG", "SET", "sumavlib.tenant", val], "config-tenant", val
        if self.chance(0.3):
            # Fail one of the next internal writes (docs: debug-fail-nth-write); the
            # commands that follow are then often run between dataset digests.
            self.injecting = 30
            return ["CONFIG", "SET", "sumavlib.debug-fail-nth-write",
                    str(self.r.randint(1, 4))], "config", None
        name, lo, hi = self.pick([("host-ttl-ms", 100, 2000), ("lease-ms", 100, 2000),
                                  ("max-hosts", 1, 80), ("event-log-len", 1, 100),
                                  ("max-tasks", 1, 100), ("task-lease-ms", 100, 1000),
                                  ("history-len", 1, 8), ("sweep-budget-us", 50, 1000),
                                  ("max-payload", 16, 4096)])
        if self.chance(0.2):
            val = self.pick(["0", "-1", "abc", "", "99999999999999999999", str(hi * 10 ** 9)])
        else:
            val = str(self.r.randint(lo, hi))
            if name == "max-payload":
                val = str(MAX_PAYLOAD)  # the generator's oversize values rely on it
        return ["CONFIG", "SET", "sumavlib." + name, val], "config", None


COMMANDS = ["suma_try_leader", "suma_leader_info", "suma_leader_resign", "suma_leader_check",
            "suma_keep_alive", "suma_vip_list", "suma_vip_info", "suma_vip_leave", "suma_group_info",
            "suma_vip_kill", "suma_vip_reset", "suma_vip_drained", "suma_message_publish",
            "suma_events", "suma_diamond_publish", "suma_diamond_cas", "suma_diamond_get",
            "suma_diamond_history", "suma_diamond_delete", "suma_diamond_list",
            "suma_vip_register", "suma_vip_unregister", "suma_vip_server_get",
            "suma_vip_server_list", "suma_vip_register_list", "suma_ci_task",
            "suma_ci_task_info"]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", help="sumavlib built with ASan+UBSan")
    long_run = os.environ.get("SUMA_LONG") == "1"
    ap.add_argument("--commands", type=int, default=1000000 if long_run else 100000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--phases", default=",".join(PHASES),
                    help="maxmemory-policy of each phase, comma-separated")
    ap.add_argument("--no-near-limit", action="store_true",
                    help="never hand-write counters at or above 2^53 (to explore past the "
                         "known cross-group counter bug)")
    ap.add_argument("--skip", metavar="REASON", help="report SKIP with this reason and exit")
    ap.add_argument("--keep", action="store_true", help="keep the server's directory")
    ap.add_argument("--log", metavar="FILE", help="write every command sent to FILE")
    opts = ap.parse_args()
    if opts.skip:
        return skip(opts.skip)
    if not opts.module or not os.path.exists(opts.module):
        return skip("the ASan+UBSan module %r is not built" % opts.module)
    if not os.path.exists(redis_server.REDIS_SERVER):
        return skip("redis-server is not installed")
    runtime = sanitizer_runtime(opts.module)
    if not runtime:
        return skip("%s links no ASan runtime (ldd), so sanitizers would not run" % opts.module)
    phases = [p for p in opts.phases.split(",") if p]
    if opts.log:
        phase_checks.COMMAND_LOG = open(opts.log, "w")
    seed = opts.seed if opts.seed is not None else random.randrange(1 << 30)
    print("hostile: seed %d, %d commands in %d phases (%s), module %s" %
          (seed, opts.commands, len(phases), ", ".join(phases), opts.module), flush=True)
    rnd = random.Random(seed)

    import tempfile
    d = tempfile.mkdtemp(prefix="suma-hostile-")
    fence_floor = int(time.time() * 1000) * 1024
    srv = start_server(opts.module, d, runtime)
    atexit.register(srv.stop)  # also when a check below raises
    with open("/proc/%d/maps" % srv.proc.pid) as f:
        maps = f.read()
    san_loaded = os.path.basename(runtime) in maps
    print("hostile: server pid %d, module mapped: %s, sanitizer runtime mapped: %s" %
          (srv.proc.pid, os.path.abspath(opts.module) in maps, san_loaded), flush=True)
    run = Run(fence_floor)
    if not san_loaded:
        run.problem("the sanitizer runtime %s is not mapped into redis-server" % runtime)
    gen = Gen(rnd, allow_near_limit=not opts.no_near_limit)
    run.ops = gen.ops
    conn = Conn(srv.port)
    watch = untouched.EvictionWatch(srv.port)
    sync_conn = Conn(srv.port)

    def damaged():
        watch.sync(sync_conn)
        return watch.snapshot()[1]
    run.damaged_fn = damaged
    start = time.time()
    sent = 0
    crashed = None
    recent = []
    next_report = 100000
    try:
        for i, policy in enumerate(phases):
            budget = opts.commands * (i + 1) // len(phases) - sent
            restore_settings(conn)
            conn.call("CONFIG", "SET", "maxmemory-policy", policy)
            run.disturbed = False
            # host-ttl-ms may be set up to 2000 during the phase.
            probes = [untouched.RollingProbe(g, 2000 + SLACK_MS, policy)
                      for g in UNTOUCHED_GROUPS]
            used = int(info_field(conn, "memory", "used_memory"))
            limit = used + MAXMEMORY_HEADROOM
            ev0 = int(info_field(conn, "stats", "evicted_keys"))
            oom0 = run.errors.get("oom", 0) + sum(v for k, v in run.errors.items()
                                                  if k.startswith("redis: OOM"))
            conn.call("CONFIG", "SET", "maxmemory", str(limit))
            run.maxmemory = True
            t0 = time.time()
            done = 0
            while done < budget:
                done += send_batch(conn, rnd, gen, run, opts.batch, budget - done, recent)
                if run.flushed:  # groups evicted before a FLUSHALL are whole again
                    watch.sync(conn)
                    watch.groups.clear()
                    run.flushed = False
                for probe in probes:
                    failure = probe.step(conn, watch, run.disturbed)
                    if failure:
                        # A starved server (the slowest batch) would explain a late sweep.
                        run.problem("%s: %s (slowest batch so far %.2fs)" %
                                    (policy, failure, run.slowest[0]))
                run.disturbed = False
                if sent + done >= next_report:
                    next_report += 100000
                    print("hostile: %d commands, %.0f/s, %d problems" %
                          (sent + done, (sent + done) / (time.time() - start), run.problem_count()),
                          flush=True)
            sent += done
            conn.call("CONFIG", "SET", "maxmemory", "0")
            run.maxmemory = False
            evicted = int(info_field(conn, "stats", "evicted_keys")) - ev0
            ooms = run.errors.get("oom", 0) + sum(v for k, v in run.errors.items()
                                                  if k.startswith("redis: OOM")) - oom0
            run.locked = gen.locked = False
            restore_settings(conn)
            if done < 10000:
                pass  # a short phase may end before memory runs out
            elif policy == "noeviction" and ooms == 0:
                run.problem("%s: maxmemory %d never refused a write" % (policy, limit))
            elif policy.startswith("allkeys") and evicted == 0:
                run.problem("%s: maxmemory %d never evicted a key" % (policy, limit))
            elif policy.startswith("volatile") and evicted == 0 and ooms == 0:
                # volatile-* evicts only keys with a TTL; with none left, Redis refuses
                # writes with OOM instead, which is the policy working too.
                run.problem("%s: maxmemory %d neither evicted a key nor refused a write" %
                            (policy, limit))
            took = time.time() - t0
            notes = after_phase(conn, run, watch, policy, probes, d)
            line = ("hostile: phase %s: %d commands in %.1fs (slowest batch %.2fs), "
                    "maxmemory %d, %d keys evicted, %d OOM refusals; %s" %
                    (policy, done, took, run.slowest[0], limit, evicted, ooms, notes))
            run.slowest = (0, [])
            print(line, flush=True)
    except (ConnectionError, OSError) as e:
        crashed = "connection lost after %d commands: %s" % (sent, e)
    except ProtocolError as e:
        crashed = "malformed RESP after %d commands: %s" % (sent, e)
    except BaseException:
        srv.stop()
        raise
    elapsed = time.time() - start
    if crashed:
        print("hostile: PROBLEM: %s (server %s)" %
              (crashed, "alive" if srv.proc.poll() is None else "exited %s" % srv.proc.returncode),
              flush=True)
    watch.close()

    problems = list(run.problems)
    for like, n in run.repeats():
        problems.append("(%d more like: %s)" % (n - 3, short(like, 200)))
    if crashed:
        problems.append(crashed)
        path = os.path.join(d, "last-commands.txt")
        with open(path, "w") as f:
            for cmds in recent:
                for c in cmds:
                    f.write(repr(c) + "\n")
        problems.append("the last %d commands are in %s (minimize.py --module M %s)" %
                        (sum(len(c) for c in recent), path, path))
    alive = srv.proc.poll() is None
    if not alive:
        problems.append("redis-server exited with %s" % srv.proc.returncode)
    else:
        c = Conn(srv.port)
        if c.call("PING") != ("simple", "PONG"):
            problems.append("server does not answer PING")
        info = plain(c.call("INFO", "sumavlib"))
        print("hostile: %s" % " ".join(l for l in info.decode().split("\r\n") if ":" in l))
        c.close()
    conn.close()
    srv.stop()
    with open(os.path.join(d, "redis.log"), errors="replace") as f:
        log = f.read()
    crashes = 0 if alive and not crashed else 1
    for marker in ("crashed by signal", "ASSERTION FAILED", "=== REDIS BUG REPORT", "Guru Meditation"):
        if marker in log:
            crashes = 1
            problems.append("redis.log shows %r:\n%s" % (marker, log[-3000:]))
    reports = sanitizer_reports(d)
    problems += ["sanitizer report: " + r for r in reports if r not in " ".join(problems)]
    try:
        with open(os.path.join(d, "stderr.log"), errors="replace") as f:
            err = f.read().strip()
    except OSError:
        err = ""
    if err and crashes:
        problems.append("redis-server's stderr:\n%s" % err[-4000:])

    status = "OK" if not problems else "FAILED"
    if problems:
        print("hostile: FAILED with %d problems (server dir %s):" % (len(problems), d))
        for p in problems[:60]:
            print("  - " + p)
    elif not opts.keep:
        import shutil
        shutil.rmtree(d, ignore_errors=True)
    module_n = sum(v for k, v in run.counts.items() if k.startswith("suma_"))
    raw = {k[6:]: v for k, v in run.counts.items() if k.startswith("redis-") and k != "redis-filler"}
    print("hostile: %d commands in %.1fs (%.0f/s), seed %d" % (sent, elapsed, sent / elapsed, seed))
    print("hostile: per module command: %s" % ", ".join(
        "%s=%d" % kv for kv in sorted(run.counts.items()) if kv[0].startswith("suma_")))
    print("hostile: %d commands ran inside MULTI between dataset digests, %d of them "
          "replied with an error and left the dataset unchanged" %
          (run.wrapped, run.wrapped_errors - sum(1 for p in run.problems if "dataset changed" in p)))
    print("hostile: %d commands failed by an injected internal write failure "
          "(sumavlib.debug-fail-nth-write)" % run.injected)
    if run.echoes:
        print("hostile: replies on mangled or evicted-from groups that show hand-written or "
              "half-evicted state (not failures): %s" %
              ", ".join("%s=%d" % kv for kv in sorted(run.echoes.items())))
        for name, ex in sorted(run.echo_examples.items()):
            print("    e.g. %s" % ex)
    print("hostile: %s: sent %d commands (module %d, ordinary Redis on internal keys %d {%s}, "
          "filler %d, config %d) in %d phases; errors by kind {%s}; crashes %d; sanitizer "
          "reports %d; problems %d" %
          (status, sent, module_n, sum(raw.values()),
           ", ".join("%s=%d" % kv for kv in sorted(raw.items())), run.counts.get("redis-filler", 0),
           run.counts.get("config", 0) + run.counts.get("config-tenant", 0), len(phases),
           ", ".join("%s=%d" % kv for kv in sorted(run.errors.items(), key=lambda kv: -kv[1])),
           crashes, len(reports), run.problem_count() + len(problems) - len(run.problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
