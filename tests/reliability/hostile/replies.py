"""The reply contract of every sumavlib command, and the bookkeeping of a run
(Run): counts, error kinds, problems, fencing checks on replies.

Run.check(args, name, ctx, reply) checks one reply: the right type and shape
for a success (CHECKS), or an error of a documented shape (ERROR_SHAPES) that
the command may give in the run's state (maxmemory set, tenant locked, a
mangled group named). Replies on mangled groups, or groups Redis evicted keys
of, may show what was written by hand or what is left: those are counted as
echoes, not problems.
"""
import json
import re

from internal_ops import DISTURBS, error_class, must_ok
from suma_testing.resp import plain
from run_config import GROUPS, SUFFIXES

# Error replies the contract allows (docs/commands.md), as full-line regexes.
ERROR_SHAPES = [
    (r"ERR wrong number of arguments for '[^']*' command", "arity"),
    (r"ERR invalid [a-z_ ]+: (empty|longer than \d+ bytes|only .+ are allowed|not an integer|"
     r"must be between -?\d+ and -?\d+|not valid JSON \(.+\)|larger than max-payload \(\d+ bytes\))",
     "invalid"),
    (r"ERR invalid group: empty", "invalid"),
    (r"NOPERM group '[^']*' does not belong to this server's tenant", "noperm"),
    (r"WRONGTYPE internal key '.*' holds the wrong kind of value; the group's state is not touched",
     "wrongtype"),
    (r"FENCED epoch -?\d+ is not the current leadership \((current epoch \d+|no leader)\)", "fenced"),
    (r"FULL group '.*' already has max-hosts \(\d+\) live hosts", "full"),
    (r"FULL task queue of group '.*' already holds max-tasks \(\d+\) tasks", "full"),
    (r"ERR syntax error: .+", "syntax"),
    (r"ERR unknown option '.*'", "syntax"),
    (r"ERR unknown subcommand '.*' for 'suma_ci_task(_info)?'", "syntax"),
    (r"OOM command not allowed when used memory > 'maxmemory'\.", "oom"),
    (r"ERR internal write failed \(.+\): .+; nothing was changed", "internal"),
    (r"ERR the last [a-z ]+ \(-?\d+\) was written by hand and leaves no larger value to grant",
     "exhausted"),
]
# Commands Redis refuses with OOM while used memory is above maxmemory.
DENY_OOM = {"suma_try_leader", "suma_diamond_publish", "suma_diamond_cas", "suma_keep_alive",
            "suma_message_publish", "suma_vip_register", "suma_ci_task", "suma_vip_kill"}
ERROR_RES = [(re.compile(p, re.S), k) for p, k in ERROR_SHAPES]


def error_kind(text):
    for rx, kind in ERROR_RES:
        if rx.fullmatch(text):
            return kind
    return None


# Error kinds each command may reply with (besides arity/invalid/syntax/noperm).
EXTRA_ERRORS = {
    "suma_try_leader": {"full"}, "suma_keep_alive": {"full"},
    "suma_leader_check": {"fenced"}, "suma_diamond_publish": {"fenced"},
    "suma_diamond_cas": {"fenced"}, "suma_diamond_delete": {"fenced"},
    "suma_ci_task": {"fenced", "full"},
}


def is_int(x, lo=None, hi=None, allowed=None):
    if x[0] != "int":
        return False
    v = x[1]
    return (lo is None or v >= lo) and (hi is None or v <= hi) and (allowed is None or v in allowed)


def is_bulk(x):
    return x[0] == "bulk"


def is_array(x, n=None):
    return x[0] == "array" and (n is None or len(x[1]) == n)


def simple(x, *values):
    return x[0] == "simple" and x[1] in values


def json_ok(b):
    try:
        json.loads(b.decode("utf-8"))
        return True
    except (UnicodeDecodeError, ValueError):
        return False


def zero_one(x):
    return is_int(x, allowed=(0, 1))


def check_listing(args, x):
    paged = any(isinstance(a, str) and a.upper() == "CURSOR" for a in args[2::2])
    if paged:
        return is_array(x, 2) and is_bulk(x[1][0]) and x[1][0][1].isdigit() and \
            is_array(x[1][1]) and all(is_bulk(i) for i in x[1][1][1])
    return is_array(x) and all(is_bulk(i) for i in x[1])


def check_events(args, x):
    if not is_array(x) or not all(is_bulk(e) for e in x[1]):
        return False
    after = int(args[2])
    last = after
    for e in x[1]:
        try:
            ev = json.loads(e[1].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return False
        if not isinstance(ev, dict) or not isinstance(ev.get("seq"), int) or ev["seq"] <= last:
            return False
        last = ev["seq"]
    return True


GROUP_INFO_FIELDS = ["hosts", "live", "drained", "leader", "epoch", "lease_left_ms", "seq",
                     "evictions", "tasks_queued", "tasks_claimed"]


def check_group_info(args, x):
    if not is_array(x, 2 * len(GROUP_INFO_FIELDS)):
        return False
    for i, name in enumerate(GROUP_INFO_FIELDS):
        k, v = x[1][2 * i], x[1][2 * i + 1]
        if not simple(k, name):
            return False
        if name == "leader":
            if v[0] not in ("bulk", "nil"):
                return False
        elif not is_int(v, lo=0):
            return False
    info = dict(zip(GROUP_INFO_FIELDS, (plain(v) for v in x[1][1::2])))
    return info["live"] <= info["hosts"]


def check_task(args, x):
    sub = args[2].upper() if isinstance(args[2], str) else ""
    if sub == "PUSH":
        return is_int(x, lo=1)
    if sub == "CLAIM":
        return x[0] == "nil" or (is_array(x, 3) and is_int(x[1][0], lo=1) and is_bulk(x[1][1])
                                 and json_ok(x[1][1][1]) and is_int(x[1][2], lo=1))
    if sub in ("ACK", "EXTEND"):
        return zero_one(x)
    if sub == "PENDING":
        return is_array(x) and all(is_array(t, 2) and is_int(t[1][0], lo=1) and is_bulk(t[1][1])
                                   and json_ok(t[1][1][1]) for t in x[1])
    if sub == "CLAIMED":
        return is_array(x) and all(is_array(t, 3) and is_int(t[1][0], lo=1) and is_bulk(t[1][1])
                                   and is_int(t[1][2]) for t in x[1])
    if sub == "STATS":
        return is_array(x, 4) and simple(x[1][0], "queued") and is_int(x[1][1], lo=0) and \
            simple(x[1][2], "claimed") and is_int(x[1][3], lo=0)
    return False


CHECKS = {
    "suma_try_leader": lambda a, x: zero_one(x),
    "suma_leader_info": lambda a, x: is_array(x, 6) and simple(x[1][0], "vip") and
    x[1][1][0] in ("bulk", "nil") and simple(x[1][2], "epoch") and is_int(x[1][3], lo=0) and
    simple(x[1][4], "lease_left_ms") and is_int(x[1][5], lo=0),
    "suma_leader_resign": lambda a, x: zero_one(x),
    "suma_leader_check": lambda a, x: is_int(x, allowed=(1,)),
    "suma_keep_alive": lambda a, x: x[0] in ("nil", "bulk") or
    (is_array(x) and all(is_bulk(i) for i in x[1])),
    "suma_vip_list": lambda a, x: is_array(x) and all(is_bulk(i) for i in x[1]),
    "suma_vip_info": lambda a, x: is_array(x, 8) and simple(x[1][0], "state") and
    simple(x[1][1], "live", "drained", "offline", "unknown") and simple(x[1][2], "last_seen_ms")
    and (x[1][3][0] == "nil" or is_int(x[1][3], lo=1)) and simple(x[1][4], "leader") and
    zero_one(x[1][5]) and simple(x[1][6], "drained") and zero_one(x[1][7]),
    "suma_vip_leave": lambda a, x: zero_one(x),
    "suma_group_info": check_group_info,
    "suma_vip_kill": lambda a, x: zero_one(x),
    "suma_vip_reset": lambda a, x: zero_one(x),
    "suma_vip_drained": lambda a, x: is_array(x) and len(x[1]) % 2 == 0 and
    all(is_bulk(i) for i in x[1]) and all(x[1][i][1].isdigit() for i in range(1, len(x[1]), 2)),
    "suma_message_publish": lambda a, x: is_int(x, allowed=(1,)),
    "suma_events": check_events,
    "suma_diamond_publish": lambda a, x: is_int(x, allowed=(1,)),
    "suma_diamond_cas": lambda a, x: zero_one(x),
    "suma_diamond_get": lambda a, x: x[0] == "nil" or (is_array(x, 3) and is_bulk(x[1][0]) and
                                                       is_int(x[1][1], lo=1) and is_int(x[1][2])),
    "suma_diamond_history": lambda a, x: is_array(x) and all(
        is_array(e, 3) and is_int(e[1][0], lo=1) and is_int(e[1][1]) and
        e[1][2][0] in ("bulk", "nil") for e in x[1]),
    "suma_diamond_delete": lambda a, x: zero_one(x),
    "suma_diamond_list": check_listing,
    "suma_vip_register": lambda a, x: zero_one(x),
    "suma_vip_unregister": lambda a, x: zero_one(x),
    "suma_vip_server_get": lambda a, x: x[0] == "nil" or (
        is_array(x, 3) and is_bulk(x[1][0]) and json_ok(x[1][0][1]) and is_int(x[1][1], lo=0)
        and is_int(x[1][2], lo=0)),
    "suma_vip_server_list": check_listing,
    "suma_vip_register_list": check_listing,
    "suma_ci_task": check_task,
    "suma_ci_task_info": check_task,
}


def hostile_arg(args):
    return any(isinstance(a, (str, bytes)) and ("h.x_" in a if isinstance(a, str)
                                                 else b"h.x_" in a) for a in args[1:3])


def fencing_values(name, args, x):
    """(what, value) of the fencing values and seqs a successful reply shows."""
    v = plain(x)
    out = []
    if name == "suma_leader_info" and v[3] > 0:
        out.append(("epoch", v[3]))
    elif name == "suma_group_info":
        info = dict(zip(GROUP_INFO_FIELDS, v[1::2]))
        out += [(f, info[f]) for f in ("epoch", "seq") if info[f] > 0]
    elif name == "suma_diamond_get" and v is not None:
        out.append(("version", v[1]))
    elif name == "suma_diamond_history":
        out += [("version", e[0]) for e in v]
    elif name == "suma_events":
        out += [("seq", json.loads(e.decode())["seq"]) for e in v]
    elif name in ("suma_ci_task", "suma_ci_task_info") and isinstance(args[2], str):
        sub = args[2].upper()
        if sub in ("PUSH",):
            out.append(("task id", v))
        elif sub == "CLAIM" and v is not None:
            out.append(("task id", v[0]))
        elif sub in ("PENDING", "CLAIMED"):
            out += [("task id", t[0]) for t in v]
    return out


class Run:
    def __init__(self, fence_floor):
        self.problems = []
        self.alike = {}
        self.counts = {}
        self.errors = {}
        self.locked = False
        self.maxmemory = False  # a maxmemory is set: deny-oom commands may get OOM
        self.fence_floor = fence_floor
        self.last_push = 0  # task ids from PUSH strictly increase, over every group
        self.leaders = {}  # epoch -> vip, as leader_info showed them in clean groups
        self.disturbed = False  # a whole-db command ran (FLUSHALL, FLUSHDB 0, SWAPDB 0 n)
        self.flushed = False  # the last command of the batch was a FLUSHALL
        self.wrapped = 0  # commands run between two DEBUG DIGESTs
        self.wrapped_errors = 0  # ... that replied with an error (dataset unchanged)
        self.ops = None  # InternalOps, fed the DUMP replies
        self.echoes = {}  # command -> replies on mangled groups that show hand-written garbage
        self.echo_examples = {}
        self.slowest = (0, [])  # (seconds, commands) of the slowest batch
        self.injected = 0  # commands that failed by an injected write failure
        self.damaged_fn = None  # -> groups (bytes) Redis evicted keys of, up to date

    @staticmethod
    def group_of(args):
        a = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
        for g in sorted(GROUPS, key=len, reverse=True):
            if a.startswith(g) and a[len(g):] in SUFFIXES:
                return g.encode()
        return None

    def problem(self, text, like=None):
        """Keeps 3 examples of each kind of problem (like: what makes two alike), 100 in all."""
        like = like or text
        n = self.alike.get(like, 0)
        self.alike[like] = n + 1
        if n < 3 and len(self.problems) < 100:
            self.problems.append(text)
            # Printed at once as well: a CI log shows the head of a long output.
            if len(self.problems) <= 5:
                print("hostile: PROBLEM: %s" % text[:2000], flush=True)

    def problem_count(self):
        return sum(self.alike.values())

    def repeats(self):
        return [(like, n) for like, n in self.alike.items() if n > 3]

    def count_error(self, kind):
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def check_raw(self, args, name, reply):
        if reply[0] == "err":
            self.count_error("redis: " + error_class(reply[1]))
        elif name in DISTURBS:
            self.disturbed = True
            self.flushed = self.flushed or name == "redis-flushall"
        if must_ok(name) and reply != ("simple", "OK"):
            self.problem("%s -> %s (must be +OK)" % (short(args), short(reply)))
        if name == "redis-dump" and self.ops:
            self.ops.on_reply(args, reply)

    def check(self, args, name, ctx, reply):
        self.counts[name] = self.counts.get(name, 0) + 1
        if name == "config-tenant":
            if reply != ("simple", "OK"):
                self.problem("CONFIG SET tenant %r -> %r" % (ctx, reply))
            return
        if name == "config":
            return  # any reply: Redis's own; the point is what follows
        if name.startswith("redis-"):
            return self.check_raw(args, name, reply)
        if reply[0] == "err":
            kind = error_kind(reply[1])
            self.count_error(kind or "UNDOCUMENTED")
            allowed = {"arity", "invalid", "syntax"} | EXTRA_ERRORS.get(name, set())
            if self.locked:
                allowed.add("noperm")
            if hostile_arg(args):
                allowed |= {"wrongtype", "internal", "exhausted"}
            if kind == "internal" and "injected failure (sumavlib.debug-fail-nth-write)" in reply[1]:
                allowed.add("internal")
                self.injected += 1
            if self.maxmemory and name in DENY_OOM:
                allowed.add("oom")
            if kind not in allowed:
                self.problem("%s %s -> undocumented/unexpected error %r" %
                             (name, short(args), reply[1][:300]),
                             like="%s -> %s" % (name, re.sub(r"\d+", "N", reply[1][:120])))
            return
        try:
            ok = CHECKS[name](args, reply)
            if ok:
                self.check_fencing(args, name, reply)
        except (IndexError, TypeError, ValueError, AttributeError, KeyError) as e:
            ok = False
            reply = (reply, repr(e))
        if not ok and not hostile_arg(args) and self.damaged_fn and \
                self.group_of(args) in self.damaged_fn():
            ok = None  # Redis evicted some of this group's keys: its state is half gone
        if not ok and (ok is None or hostile_arg(args)):
            # A read of a key written by hand may show what was written (an
            # epoch -1, a drained_at "abc"): counted and shown, not a failure.
            self.echoes[name] = self.echoes.get(name, 0) + 1
            self.echo_examples.setdefault(name, "%s -> %s" % (short(args, 120), short(reply, 200)))
        elif not ok:
            self.problem("%s %s -> malformed reply %s" % (name, short(args), short(reply)),
                         like="%s malformed" % name)

    def check_fencing(self, args, name, reply):
        values = fencing_values(name, args, reply)
        if name == "suma_ci_task" and args[2].upper() == "PUSH":
            if reply[1] <= self.last_push:
                self.problem("PUSH %s -> task id %d, not above the previous one %d" %
                             (short(args[1]), reply[1], self.last_push))
            self.last_push = max(self.last_push, reply[1])
        if hostile_arg(args):
            return  # hand-written counters show as they were written
        for what, v in values:
            if v < self.fence_floor:
                self.problem("%s %s -> %s %d below the fencing floor %d" %
                             (name, short(args), what, v, self.fence_floor))
        if name == "suma_leader_info" and reply[1][1][0] == "bulk" and values:
            vip, epoch = reply[1][1][1], values[0][1]
            if self.leaders.setdefault(epoch, vip) != vip:
                self.problem("epoch %d granted to %r and to %r" % (epoch, self.leaders[epoch], vip))


def short(x, n=300):
    s = repr(x)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)
