"""Steps of the hostile run: starting the sanitized server, sending one checked
batch, and the checks after each maxmemory phase (after_phase)."""
import glob
import os
import subprocess
import time

import keyspace_check
from suma_testing import redis_server
from suma_testing.ctest import skip_script
import untouched
from internal_ops import FILLER_PREFIX
from replies import CHECKS, hostile_arg, short
from suma_testing.resp import plain
from run_config import (GROUPS, HOSTILE_GROUPS, MODULE_ARGS, SLACK_MS, UNTOUCHED,
                        UNTOUCHED_GROUPS)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def sanitizer_reports(d):
    out = []
    for f in glob.glob(os.path.join(d, "asan*")) + glob.glob(os.path.join(d, "ubsan*")):
        with open(f, errors="replace") as fh:
            text = fh.read()
        if text.strip():
            out.append("%s:\n%s" % (f, text[:4000]))
    return out


def sanitizer_runtime(module):
    """The ASan runtime the module links (gcc: libasan.so.N, clang: libclang_rt.asan)."""
    out = subprocess.run(["ldd", module], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "libasan" in line or "libclang_rt.asan" in line:
            return line.split("=>")[1].split()[0]
    return None



def skip(reason):
    """A run that cannot run: ctest SKIP (77), but a failure where CI must run it."""
    return skip_script("hostile: " + reason)

def start_server(module, d, runtime):
    saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    os.environ["LD_PRELOAD"] = runtime
    os.environ["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:log_path=%s/asan" % d
    os.environ["UBSAN_OPTIONS"] = ("suppressions=%s:halt_on_error=1:print_stacktrace=1:"
                                   "log_path=%s/ubsan" % (os.path.join(ROOT, "fuzz", "ubsan.supp"), d))
    redis_server.MODULE = os.path.abspath(module)
    margs = []
    for k, v in MODULE_ARGS.items():
        margs += [k, v]
    try:
        return redis_server.RedisServer(module_args=margs, datadir=d,
                                        extra=["--enable-debug-command", "local",
                                               "--client-output-buffer-limit", "pubsub 0 0 0",
                                               "--proto-max-bulk-len", "16mb"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def info_field(conn, section, field):
    for line in plain(conn.call("INFO", section)).decode().split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return None


COMMAND_LOG = None  # --log: every command sent, one Python list a line (minimize.py reads it)


def send_batch(conn, rnd, gen, run, batch_size, budget, recent):
    """Builds, sends and checks one pipelined batch. Returns the commands sent."""
    batch = []
    while len(batch) < batch_size and len(batch) < budget:
        items = gen.items()
        for args, name, ctx in items:
            # Now and then run a command on a clean group between two dataset
            # digests in one MULTI, to prove an error reply changed nothing.
            wrap_p = 0.01
            if gen.injecting > 0:
                gen.injecting -= 1
                wrap_p = 0.5
            wrapped = name in CHECKS and not hostile_arg(args) and rnd.random() < wrap_p
            batch.append((args, name, ctx, wrapped))
        if items[-1][1] in ("config-tenant", "redis-flushall"):
            break  # so the lock state / the evicted groups are known for every command
    cmds = []
    for args, name, ctx, wrapped in batch:
        if wrapped:
            cmds += [["MULTI"], ["DEBUG", "DIGEST"], args, ["DEBUG", "DIGEST"], ["EXEC"]]
        else:
            cmds.append(args)
    recent.append(cmds)
    if COMMAND_LOG:
        COMMAND_LOG.writelines(repr(c) + "\n" for c in cmds)
    del recent[:-3]
    t = time.monotonic()
    replies = iter(conn.pipeline(cmds))
    took = time.monotonic() - t
    if took > run.slowest[0]:
        run.slowest = (took, cmds)
    for args, name, ctx, wrapped in batch:
        if wrapped:
            pre = [next(replies) for _ in range(4)]
            ex = next(replies)
            if any(p[0] == "err" and p[1].startswith("OOM ") for p in pre) or \
                    (ex[0] == "err" and ex[1].startswith(("OOM ", "EXECABORT"))):
                # Inside MULTI Redis refuses every command with OOM while memory
                # is above maxmemory, and then EXEC too.
                run.count_error("oom (in MULTI)")
                continue
            if pre[2][0] == "err" or ex[0] == "err":
                # Refused before it ran (OOM at queueing, or EXEC refused): the reply is
                # the command's error, or EXEC's.
                reply = pre[2] if pre[2][0] == "err" else ex
            elif pre != [("simple", "OK")] + [("simple", "QUEUED")] * 3 or \
                    not (ex[0] == "array" and len(ex[1]) == 3):
                run.problem("MULTI around %s %s -> %s %s" % (name, short(args), short(pre),
                                                             short(ex)))
                continue
            else:
                d1, reply, d2 = ex[1]
                run.wrapped += 1
                if reply[0] == "err":
                    run.wrapped_errors += 1
                    if d1 != d2:
                        run.problem("%s %s -> error %r but the dataset changed" %
                                    (name, short(args), reply[1][:200]))
        else:
            reply = next(replies)
        run.check(args, name, ctx, reply)
        if name == "config-tenant":
            run.locked = gen.locked = bool(ctx)
    return len(batch)


def restore_settings(c):
    c.call("CONFIG", "SET", "maxmemory", "0")
    c.call("CONFIG", "SET", "sumavlib.tenant", "")
    c.call("CONFIG", "SET", "sumavlib.debug-fail-nth-write", "0")
    for k, v in MODULE_ARGS.items():
        c.call("CONFIG", "SET", "sumavlib." + k, str(v))


READ_PROBES = [["suma_group_info"], ["suma_vip_list"], ["suma_vip_drained"], ["suma_events", "0"],
               ["suma_leader_info"], ["suma_diamond_get", "db.url"],
               ["suma_diamond_history", "k"], ["suma_ci_task_info", "STATS"],
               ["suma_ci_task_info", "PENDING"], ["suma_ci_task_info", "CLAIMED"],
               ["suma_vip_server_get", "host-a"], ["suma_vip_info", "10.0.0.1:9001"]]


def after_phase(c, run, watch, phase, probes, d):
    """The checks after a phase (maxmemory already lifted). Returns stats text."""
    notes = []
    if c.call("PING") != ("simple", "PONG"):
        run.problem("%s: server does not answer PING" % phase)
    reports = sanitizer_reports(d)
    for r in reports:
        run.problem("%s: sanitizer report: %s" % (phase, r))
    if not watch.sync(c):
        run.problem("%s: eviction notifications did not arrive" % phase)
    _, damaged = watch.snapshot()
    for probe in probes:
        failure = probe.finish(c, watch, run.disturbed)
        if failure:
            run.problem("%s: %s" % (phase, failure))
    notes.append(untouched.summary(probes))
    # Then a host with host-ttl-ms 300, after FLUSHDB and SWAPDB of other dbs.
    vip = "probe-%s-after:9001" % phase
    ok, hb_ms, r = untouched.heartbeat(c, UNTOUCHED, vip)
    c.pipeline([["SELECT", "1"], ["FLUSHDB"], ["SWAPDB", "1", "2"], ["SELECT", "0"]])
    ttl = MODULE_ARGS["host-ttl-ms"]
    if not ok:
        run.problem("%s: heartbeat in the untouched group failed: %r" % (phase, r))
    else:
        ev = untouched.wait_offline(c, UNTOUCHED, vip, hb_ms + ttl + SLACK_MS)
        if not ev:
            run.problem("%s: after FLUSHDB/SWAPDB of dbs 1, 2 the silent host %s of the untouched "
                        "group was not evicted with an offline event within %d + %d ms" %
                        (phase, vip, ttl, SLACK_MS))
        else:
            lat = ev["ts"] - hb_ms
            notes.append("probe evicted after %d ms (ttl %d)" % (lat, ttl))
            if ev.get("reason") != "expired":
                run.problem("%s: offline event of %s has reason %r" % (phase, vip, ev.get("reason")))
    # The keyspace.
    lenient = set(g.encode() for g in HOSTILE_GROUPS) | damaged
    try:
        kp, kstats = keyspace_check.check(c, history_len=None, foreign_groups=HOSTILE_GROUPS,
                                          lenient_groups=lenient, ignore_prefixes=[FILLER_PREFIX],
                                          fence_floor=run.fence_floor)
    except RuntimeError as e:
        kp, kstats = ["walk failed: %s" % e], {}
    for p in kp:
        run.problem("%s: keyspace: %s" % (phase, p))
    # Every read still answers on every group, clean or damaged.
    for g in GROUPS + UNTOUCHED_GROUPS:
        for probe_args in READ_PROBES:
            args = ["sumavlib." + probe_args[0], g] + probe_args[1:]
            run.check(args, probe_args[0], None, c.call(*args))
    notes.append("keyspace %s" % kstats)
    return "; ".join(notes)
