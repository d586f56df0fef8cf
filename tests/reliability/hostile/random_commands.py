#!/usr/bin/python3
"""Randomized hostile-input run against a live redis-server whose sumavlib is
built with ASan+UBSan (issue 4, item 5; docs/guarantees.md).

Sends N commands (default 100000; SUMA_LONG=1: 1000000) that mix valid,
boundary, oversize and binary arguments over every sumavlib command, plus
plain Redis writes that put wrong-typed values on internal keys of two
"hostile" groups and CONFIG SETs of the module's options (the tenant lock
included). Every reply is parsed strictly (resp.py) and checked against the
contract of its command: the right reply type and shape, or an error of one
of the documented shapes. Afterwards:
  - 1% of the module commands run inside MULTI between two DEBUG DIGESTs: an
    error reply must leave the dataset digest unchanged;
  - the keyspace checker walks every internal key (keyspace_check.py);
  - the server must still answer, its log must show no crash;
  - the ASan/UBSan logs must be empty.
Exit status 0 when all holds; otherwise the problems are printed.

  random_commands.py --module build/tests/reliability/hostile/sumavlib_asan.so
        [--commands N] [--seed S] [--keep]
"""
import argparse
import atexit
import glob
import json
import os
import random
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

import keyspace_check
from suma_testing import redis_server
from suma_testing.ctest import skip_script
from suma_testing.resp import Conn, ProtocolError, plain

# Module options for the run: short times so hosts expire, leases lapse and
# claims requeue during the run; small limits so FULL and oversize are hit.
MODULE_ARGS = {"host-ttl-ms": 300, "lease-ms": 200, "max-hosts": 40, "event-log-len": 50,
               "max-payload": 2048, "max-tasks": 60, "task-lease-ms": 200, "history-len": 4,
               "sweep-budget-us": 200}
MAX_PAYLOAD = MODULE_ARGS["max-payload"]
TENANT = "agent.zy test"  # what CONFIG SET sumavlib.tenant locks to, now and then

GOOD_GROUPS = ["agent.zy_test", "agent.zy_prod", "{agent.zy_test}", "agent.yy_a-b.c",
               "x_" + "g" * 126]
HOSTILE_GROUPS = ["h.x_wt1", "{h.x_wt2}"]
GROUPS = GOOD_GROUPS + HOSTILE_GROUPS
BAD_GROUPS = ["", "_master", "master", "{}", "{}_channel", "{a", "a}", "a{b}", "{{a}}", "a:b",
              "a b", "x_" + "g" * 127, "\xff\xfe", "a\r\nb", "a\x00b", "\u00e9t\u00e9_x",
              "*", "agent.zy_*"]
SUFFIXES = ["", "_master", "_channel", ".master", ":channel", "-master", "master", "channel"]
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
INTERNAL_KINDS = ["hosts", "drained", "meta", "events", "tasks", "tqueue", "tclaims", "towners",
                  "tattempts", "cfg:db.url", "cfg:k", "srv:10.0.0.1:9001", "srv:host-a"]

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
]
ERROR_RES = [(re.compile(p, re.S), k) for p, k in ERROR_SHAPES]


def error_kind(text):
    for rx, kind in ERROR_RES:
        if rx.fullmatch(text):
            return kind
    return None


class Gen:
    """Builds random commands; each comes with the check of its reply."""

    def __init__(self, rnd):
        self.r = rnd
        self.locked = False

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
        if r < 0.02:
            return self.hostile_write()
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

    def hostile_write(self):
        key = self.pick(HOSTILE_GROUPS) + ":" + self.pick(INTERNAL_KINDS)
        x = self.r.random()
        if x < 0.4:
            return ["SET", key, "junk", "NX"], "plain", None
        if x < 0.7:
            return ["RPUSH", key, "junk"], "plain", None
        # Undo a hand-written value, never a module-written one.
        return ["EVAL", "local t = redis.call('TYPE', KEYS[1]).ok "
                "if t == 'string' or t == 'list' then return redis.call('DEL', KEYS[1]) end "
                "return 0", "1", key], "plain", None


COMMANDS = ["suma_try_leader", "suma_leader_info", "suma_leader_resign", "suma_leader_check",
            "suma_keep_alive", "suma_vip_list", "suma_vip_info", "suma_vip_leave", "suma_group_info",
            "suma_vip_kill", "suma_vip_reset", "suma_vip_drained", "suma_message_publish",
            "suma_events", "suma_diamond_publish", "suma_diamond_cas", "suma_diamond_get",
            "suma_diamond_history", "suma_diamond_delete", "suma_diamond_list",
            "suma_vip_register", "suma_vip_unregister", "suma_vip_server_get",
            "suma_vip_server_list", "suma_vip_register_list", "suma_ci_task",
            "suma_ci_task_info"]

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


class Run:
    def __init__(self):
        self.problems = []
        self.counts = {}
        self.errors = {}
        self.locked = False
        self.wrapped = 0  # commands run between two DEBUG DIGESTs
        self.wrapped_errors = 0  # ... that replied with an error (dataset unchanged)

    def problem(self, text):
        if len(self.problems) < 50:
            self.problems.append(text)

    def check(self, args, name, ctx, reply):
        self.counts[name] = self.counts.get(name, 0) + 1
        if name == "config-tenant":
            if reply != ("simple", "OK"):
                self.problem("CONFIG SET tenant %r -> %r" % (ctx, reply))
            return
        if name in ("config", "plain"):
            return  # any reply: Redis's own; the point is what follows
        if reply[0] == "err":
            kind = error_kind(reply[1])
            self.errors[kind] = self.errors.get(kind, 0) + 1
            allowed = {"arity", "invalid", "syntax"} | EXTRA_ERRORS.get(name, set())
            if self.locked:
                allowed.add("noperm")
            if hostile_arg(args):
                allowed.add("wrongtype")
            if kind not in allowed:
                self.problem("%s %s -> undocumented/unexpected error %r" %
                             (name, short(args), reply[1][:300]))
            return
        try:
            ok = CHECKS[name](args, reply)
        except (IndexError, TypeError, ValueError, AttributeError) as e:
            ok = False
            reply = (reply, repr(e))
        if not ok:
            self.problem("%s %s -> malformed reply %s" % (name, short(args), short(reply)))


def short(x, n=300):
    s = repr(x)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", required=True, help="sumavlib built with ASan+UBSan")
    long_run = os.environ.get("SUMA_LONG") == "1"
    ap.add_argument("--commands", type=int, default=1000000 if long_run else 100000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the server's directory")
    opts = ap.parse_args()
    seed = opts.seed if opts.seed is not None else random.randrange(1 << 30)
    print("hostile: seed %d, %d commands, module %s" % (seed, opts.commands, opts.module),
          flush=True)
    rnd = random.Random(seed)

    runtime = sanitizer_runtime(opts.module)
    saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    import tempfile
    d = tempfile.mkdtemp(prefix="suma-hostile-")
    if not runtime:
        # Without the runtime nothing could report a memory error: not a pass.
        return skip_script("%s links no ASan runtime, so sanitizer reports cannot be checked"
                           % opts.module)
    os.environ["LD_PRELOAD"] = runtime
    os.environ["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:log_path=%s/asan" % d
    os.environ["UBSAN_OPTIONS"] = ("suppressions=%s:halt_on_error=1:print_stacktrace=1:"
                                   "log_path=%s/ubsan" % (os.path.join(ROOT, "fuzz", "ubsan.supp"), d))
    redis_server.MODULE = os.path.abspath(opts.module)
    margs = []
    for k, v in MODULE_ARGS.items():
        margs += [k, v]
    try:
        srv = redis_server.RedisServer(module_args=margs, datadir=d,
                                       extra=["--enable-debug-command", "local",
                                              "--client-output-buffer-limit", "pubsub 0 0 0",
                                              "--proto-max-bulk-len", "16mb"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    atexit.register(srv.stop)  # also when a check below raises
    with open("/proc/%d/maps" % srv.proc.pid) as f:
        maps = f.read()
    san_loaded = runtime is not None and os.path.basename(runtime) in maps
    print("hostile: server pid %d, module mapped: %s, sanitizer runtime mapped: %s" %
          (srv.proc.pid, os.path.abspath(opts.module) in maps, san_loaded), flush=True)
    run = Run()
    gen = Gen(rnd)
    conn = Conn(srv.port)
    start = time.time()
    sent = 0
    crashed = None
    try:
        while sent < opts.commands:
            batch = []
            while len(batch) < opts.batch and sent + len(batch) < opts.commands:
                args, name, ctx = gen.command()
                # Now and then run the command between two dataset digests in
                # one MULTI, to prove an error reply changed nothing.
                wrapped = name in CHECKS and rnd.random() < 0.01
                batch.append((args, name, ctx, wrapped))
                if name == "config-tenant":
                    break  # so the lock state is known for every command
            cmds = []
            for args, name, ctx, wrapped in batch:
                if wrapped:
                    cmds += [["MULTI"], ["DEBUG", "DIGEST"], args, ["DEBUG", "DIGEST"], ["EXEC"]]
                else:
                    cmds.append(args)
            replies = iter(conn.pipeline(cmds))
            for args, name, ctx, wrapped in batch:
                if wrapped:
                    pre = [next(replies) for _ in range(4)]
                    ex = next(replies)
                    if pre != [("simple", "OK")] + [("simple", "QUEUED")] * 3 or \
                            not (ex[0] == "array" and len(ex[1]) == 3):
                        run.problem("MULTI around %s %s -> %s %s" % (name, short(args),
                                                                     short(pre), short(ex)))
                        continue
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
            sent += len(batch)
            if sent % 100000 < opts.batch:
                print("hostile: %d commands, %.0f/s, %d problems" %
                      (sent, sent / (time.time() - start), len(run.problems)), flush=True)
    except (ConnectionError, OSError) as e:
        crashed = "connection lost after %d commands: %s" % (sent, e)
    except ProtocolError as e:
        crashed = "malformed RESP after %d commands: %s" % (sent, e)
    except BaseException:
        srv.stop()
        raise
    elapsed = time.time() - start

    problems = list(run.problems)
    if crashed:
        problems.append(crashed)
    alive = srv.proc.poll() is None
    if not alive:
        problems.append("redis-server exited with %s" % srv.proc.returncode)
    else:
        c = Conn(srv.port)
        if c.call("PING") != ("simple", "PONG"):
            problems.append("server does not answer PING")
        # Unlock, let leases lapse, then check the keyspace.
        c.call("CONFIG", "SET", "sumavlib.tenant", "")
        hist = int(plain(c.call("CONFIG", "GET", "sumavlib.history-len"))[1])
        kp, kstats = keyspace_check.check(c, history_len=None, foreign_groups=HOSTILE_GROUPS)
        problems += ["keyspace: " + p for p in kp]
        info = plain(c.call("INFO", "sumavlib"))
        print("hostile: keyspace %s; history-len now %d" % (kstats, hist))
        print("hostile: %s" % " ".join(l for l in info.decode().split("\r\n") if ":" in l))
        c.close()
    conn.close()
    srv.stop()
    with open(os.path.join(d, "redis.log"), errors="replace") as f:
        log = f.read()
    for marker in ("crashed by signal", "ASSERTION FAILED", "=== REDIS BUG REPORT", "Guru Meditation"):
        if marker in log:
            problems.append("redis.log shows %r:\n%s" % (marker, log[-3000:]))
    reports = sanitizer_reports(d)
    problems += ["sanitizer report: " + r for r in reports]

    print("hostile: %d commands in %.1fs (%.0f/s), seed %d" % (sent, elapsed, sent / elapsed, seed))
    print("hostile: per command: %s" % ", ".join("%s=%d" % kv for kv in sorted(run.counts.items())))
    print("hostile: error replies by kind: %s" % run.errors)
    print("hostile: %d commands ran inside MULTI between dataset digests, %d of them "
          "replied with an error and left the dataset unchanged" %
          (run.wrapped, run.wrapped_errors - sum(1 for p in run.problems if "dataset changed" in p)))
    print("hostile: sanitizer reports: %d, server alive: %s" % (len(reports), alive))
    if problems:
        print("hostile: FAILED with %d problems (server dir %s):" % (len(problems), d))
        for p in problems[:60]:
            print("  - " + p)
        return 1
    if not opts.keep:
        import shutil
        shutil.rmtree(d, ignore_errors=True)
    print("hostile: OK: every reply well-formed, keyspace consistent, no sanitizer report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
