"""Walks every key of a sumavlib server and checks the internal state is
consistent (docs/guarantees.md). Returns a list of problems, empty
when all is well.

Internal keys of group G (src/module/group_state.h, tasks_family.cc, ...):
  G:hosts zset vip -> ms (integer)       G:drained hash vip -> ms (integer)
  G:hosts also holds one marker member at score -inf (keeps it skiplist-encoded)
  G:meta hash epoch/seq/taskseq/evictions (integers), lease "<vip> <until> <ms>" or ""
  G:events stream ids "<seq>-0", field e = event JSON with that seq and group G
  G:cfg:<key> stream ids "<version>-0", fields v+ts or deleted+ts, <= history-len entries
  G:srv:<vip> hash meta (JSON), registered_ms, updated_ms
  G:tasks hash id -> JSON; G:tqueue zset id -> id; G:tclaims zset id -> deadline;
  G:towners hash id -> vip (exactly the claimed ids); G:tattempts hash id -> n
Task invariants: every queued or claimed id is a task, no id is both, every
task is queued or claimed, owners exist only for claimed ids.

Keys of type string or list are never written by the module: they are the
"wrong type" keys a test wrote by hand, allowed only in the groups it names.

Fencing (docs/guarantees.md, issue 9): epochs, config versions and task ids
are max(last + 1, now_ms * 1024, highest granted + 1), event seqs start at or
above start_ms * 1024 and then go +1. With fence_floor (start_ms * 1024 of the
server under test) every such value must be >= it, and the events kept in a
log must be contiguous.

lenient_groups: groups whose keys a test changed by hand (or Redis evicted
some of): any type and content is allowed there, since no invariant across
keys survives a hand edit; each key is still read in full, by its type, so the
walk proves every one of them can be read. ignore_prefixes: keys that belong
to no group (filler written by the test).
"""
import json
import re

from suma_testing.resp import plain

GROUP_RE = re.compile(rb"^(\{[A-Za-z0-9._-]{1,128}\}|[A-Za-z0-9._-]{1,128})$")
INT_RE = re.compile(rb"^-?[0-9]+$")
TOKEN_RE = re.compile(rb"^[\x21-\x7e]+$")
# "lease" is "<vip> <lease_until> <lease_ms>" while someone led, "" after a
# resign; older layouts kept leader/lease_until/lease_ms as separate fields.
META_FIELDS = {b"leader", b"epoch", b"lease_until", b"lease_ms", b"seq", b"taskseq",
               b"evictions", b"lease"}
LEASE_RE = re.compile(rb"^([\x21-\x7e]{1,256} -?[0-9]+ -?[0-9]+)?$")
# G:hosts also holds this member at score -inf (src/module/group_state.h).
HOSTS_MARKER = b"sumavlib marker: keeps this zset skiplist-encoded so heartbeats stay O(log n)"
SIMPLE_KINDS = {b"hosts": "zset", b"drained": "hash", b"meta": "hash", b"events": "stream",
                b"tasks": "hash", b"tqueue": "zset", b"tclaims": "zset", b"towners": "hash",
                b"tattempts": "hash"}


def is_int(b):
    return bool(INT_RE.match(b))


def valid_json(b):
    try:
        json.loads(b.decode("utf-8"))
        return True
    except (UnicodeDecodeError, ValueError):
        return False


def pairs(flat):
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


class Checker:
    def __init__(self, conn, history_len=None, foreign_groups=(), max_tasks=None,
                 max_hosts=None, event_log_len=None, lenient_groups=(), ignore_prefixes=(),
                 fence_floor=None):
        self.c = conn
        as_bytes = lambda g: g.encode() if isinstance(g, str) else g  # noqa: E731
        self.lenient = {as_bytes(g) for g in lenient_groups}
        self.ignore = tuple(as_bytes(p) for p in ignore_prefixes)
        self.fence_floor = fence_floor
        self.history_len = history_len
        self.foreign_groups = {g.encode() if isinstance(g, str) else g for g in foreign_groups}
        self.max_tasks = max_tasks
        self.max_hosts = max_hosts
        self.event_log_len = event_log_len
        self.problems = []
        self.stats = {"keys": 0, "groups": 0, "events": 0, "tasks": 0, "configs": 0,
                      "servers": 0, "hosts": 0, "foreign": 0, "lenient_groups": 0,
                      "lenient_keys": 0, "ignored": 0}

    def bad(self, key, what):
        if len(self.problems) < 200:
            self.problems.append("%r: %s" % (key, what))

    def cmd(self, *args):
        r = self.c.call(*args)
        if r[0] == "err":
            raise RuntimeError("checker command %r failed: %s" % (args[:2], r[1]))
        return plain(r)

    def all_keys(self):
        keys, cursor = [], b"0"
        while True:
            cursor, batch = self.cmd("SCAN", cursor, "COUNT", "1000")
            keys += batch
            if cursor == b"0":
                return keys

    def run(self):
        groups = {}
        for key in self.all_keys():
            self.stats["keys"] += 1
            if self.ignore and key.startswith(self.ignore):
                self.stats["ignored"] += 1
                continue
            g, sep, kind = key.partition(b":")
            if not sep or not GROUP_RE.match(g):
                self.bad(key, "not an internal key of any group")
                continue
            groups.setdefault(g, []).append((kind, key))
        self.stats["groups"] = len(groups)
        for g, keys in groups.items():
            if g in self.lenient:
                self.read_all(g, keys)
            else:
                self.check_group(g, keys)
        return self.problems

    READERS = {b"string": ("GET",), b"list": ("LRANGE", "0", "-1"), b"set": ("SMEMBERS",),
               b"hash": ("HGETALL",), b"zset": ("ZRANGE", "0", "-1", "WITHSCORES"),
               b"stream": ("XRANGE", "-", "+")}

    def read_all(self, g, keys):
        """A group changed by hand: every key must still be readable by its type."""
        self.stats["lenient_groups"] += 1
        for _, key in keys:
            t = self.cmd("TYPE", key)
            t = t.encode() if isinstance(t, str) else t
            if t == b"none":
                continue  # expired since the SCAN
            if t not in self.READERS:
                self.bad(key, "unexpected type %r" % t)
                continue
            self.stats["lenient_keys"] += 1
            cmd = self.READERS[t]
            self.cmd(cmd[0], key, *cmd[1:])
            if t == b"stream":
                self.cmd("XINFO", "STREAM", key)

    def fenced(self, key, what, value):
        if self.fence_floor is not None and value < self.fence_floor:
            self.bad(key, "%s %d is below the fencing floor %d (start_ms * 1024)" %
                     (what, value, self.fence_floor))

    def check_group(self, g, keys):
        types = {}
        for kind, key in keys:
            t = self.cmd("TYPE", key)
            t = t.encode() if isinstance(t, str) else t
            if t in (b"string", b"list"):
                self.stats["foreign"] += 1
                if g not in self.foreign_groups:
                    self.bad(key, "a %s in a group no test wrote to by hand" % t.decode())
                continue
            types[kind] = (key, t)
        meta = {}
        if b"meta" in types and types[b"meta"][1] == b"hash":
            meta = dict(pairs(self.cmd("HGETALL", types[b"meta"][0])))
        for kind, (key, t) in types.items():
            if kind in SIMPLE_KINDS:
                if t.decode() != SIMPLE_KINDS[kind]:
                    self.bad(key, "is a %s, expected %s" % (t.decode(), SIMPLE_KINDS[kind]))
                    continue
            elif kind.startswith(b"cfg:"):
                if t != b"stream":
                    self.bad(key, "config is a %s" % t.decode())
                    continue
                self.check_config(key, kind[4:])
                continue
            elif kind.startswith(b"srv:"):
                if t != b"hash":
                    self.bad(key, "server is a %s" % t.decode())
                    continue
                self.check_server(key, kind[4:])
                continue
            else:
                self.bad(key, "unknown internal key kind")
                continue
            if kind in (b"hosts", b"drained", b"meta", b"events"):
                getattr(self, "check_" + kind.decode())(g, key, meta)
        self.check_tasks(g, types, meta)

    def check_hosts(self, g, key, meta):
        flat = self.cmd("ZRANGE", key, "0", "-1", "WITHSCORES")
        if flat[:2] == [HOSTS_MARKER, b"-inf"]:
            flat = flat[2:]
        elif HOSTS_MARKER in flat:
            self.bad(key, "encoding marker not at score -inf")
        self.stats["hosts"] += len(flat) // 2
        if self.max_hosts is not None and len(flat) // 2 > self.max_hosts:
            self.bad(key, "%d hosts > max-hosts %d" % (len(flat) // 2, self.max_hosts))
        for vip, score in pairs(flat):
            if not TOKEN_RE.match(vip) or len(vip) > 256:
                self.bad(key, "invalid vip %r" % vip[:80])
            if not is_int(score) or int(score) <= 0:
                self.bad(key, "score of %r is not a positive integer ms: %r" % (vip[:80], score))

    def check_drained(self, g, key, meta):
        for vip, at in pairs(self.cmd("HGETALL", key)):
            if not TOKEN_RE.match(vip) or len(vip) > 256:
                self.bad(key, "invalid vip %r" % vip[:80])
            if not is_int(at):
                self.bad(key, "drained_at of %r is not an integer: %r" % (vip[:80], at))

    def check_meta(self, g, key, meta):
        for f, v in meta.items():
            if f not in META_FIELDS:
                self.bad(key, "unknown field %r" % f)
            elif f == b"lease":
                if not LEASE_RE.match(v):
                    self.bad(key, "lease is not '<vip> <until> <ms>' or empty: %r" % v[:120])
            elif f != b"leader" and not is_int(v):
                self.bad(key, "field %r is not an integer: %r" % (f, v[:80]))
            elif f == b"leader" and v and (not TOKEN_RE.match(v) or len(v) > 256):
                self.bad(key, "leader is not a valid vip: %r" % v[:80])
        for f in (b"epoch", b"seq", b"taskseq"):
            if f in meta and is_int(meta[f]) and int(meta[f]) < 0:
                self.bad(key, "%r is negative" % f)
            elif f in meta and is_int(meta[f]) and int(meta[f]) > 0:
                self.fenced(key, f.decode(), int(meta[f]))

    def check_events(self, g, key, meta):
        seq = int(meta.get(b"seq", b"0")) if is_int(meta.get(b"seq", b"0")) else 0
        entries = self.cmd("XRANGE", key, "-", "+")
        if self.event_log_len is not None and len(entries) > self.event_log_len:
            self.bad(key, "%d events > event-log-len %d" % (len(entries), self.event_log_len))
        last = 0
        for eid, fields in entries:
            self.stats["events"] += 1
            ms, _, n = eid.partition(b"-")
            if n != b"0" or not is_int(ms):
                self.bad(key, "event id %r is not <seq>-0" % eid)
                continue
            s = int(ms)
            if s <= last or s > seq:
                self.bad(key, "event seq %d out of order or above meta seq %d" % (s, seq))
            elif last and self.fence_floor is not None and s != last + 1:
                self.bad(key, "event seq %d follows %d: the log has a gap" % (s, last))
            self.fenced(key, "event seq", s)
            last = s
            if len(fields) != 2 or fields[0] != b"e":
                self.bad(key, "event %r fields %r" % (eid, fields[:4]))
                continue
            try:
                ev = json.loads(fields[1].decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                self.bad(key, "event %r is not JSON (%s): %r" % (eid, e, fields[1][:120]))
                continue
            if not isinstance(ev, dict) or ev.get("seq") != s or ev.get("group") != g.decode() \
                    or not isinstance(ev.get("type"), str) or not isinstance(ev.get("ts"), int):
                self.bad(key, "event %r header wrong: %r" % (eid, fields[1][:160]))

    def check_config(self, key, ckey):
        self.stats["configs"] += 1
        if not TOKEN_RE.match(ckey) or len(ckey) > 512:
            self.bad(key, "invalid config key")
        entries = self.cmd("XRANGE", key, "-", "+")
        if not entries:
            self.bad(key, "empty config stream")
        if self.history_len is not None and len(entries) > self.history_len:
            self.bad(key, "%d versions > history-len %d" % (len(entries), self.history_len))
        last = 0
        for eid, fields in entries:
            ms, _, n = eid.partition(b"-")
            if n != b"0" or not is_int(ms) or int(ms) <= last:
                self.bad(key, "version id %r is not <version>-0 or not growing" % eid)
                continue
            last = int(ms)
            self.fenced(key, "config version", last)
            f = dict(pairs(fields))
            if set(f) not in ({b"v", b"ts"}, {b"deleted", b"ts"}) or not is_int(f[b"ts"]):
                self.bad(key, "version %r fields %r" % (eid, sorted(f)))

    def check_server(self, key, vip):
        self.stats["servers"] += 1
        if not TOKEN_RE.match(vip) or len(vip) > 256:
            self.bad(key, "invalid vip")
        f = dict(pairs(self.cmd("HGETALL", key)))
        if set(f) != {b"meta", b"registered_ms", b"updated_ms"}:
            self.bad(key, "fields %r" % sorted(f))
            return
        if not valid_json(f[b"meta"]):
            self.bad(key, "meta is not JSON: %r" % f[b"meta"][:120])
        if not is_int(f[b"registered_ms"]) or not is_int(f[b"updated_ms"]) or \
                int(f[b"updated_ms"]) < int(f[b"registered_ms"]):
            self.bad(key, "registered/updated ms wrong: %r" % f)

    # The task keys are checked together in check_tasks.
    def check_tasks(self, g, types=None, meta=None):
        if types is None:
            return
        names = (b"tasks", b"tqueue", b"tclaims", b"towners", b"tattempts")
        if not any(n in types for n in names):
            return
        if any(n in types and types[n][1].decode() != SIMPLE_KINDS[n] for n in names):
            return  # reported above
        key = g + b":tasks*"

        def get(kind, *cmd):
            return self.cmd(*cmd) if kind in types else []

        tasks = dict(pairs(get(b"tasks", "HGETALL", g + b":tasks")))
        queue = pairs(get(b"tqueue", "ZRANGE", g + b":tqueue", "0", "-1", "WITHSCORES"))
        claims = pairs(get(b"tclaims", "ZRANGE", g + b":tclaims", "0", "-1", "WITHSCORES"))
        owners = dict(pairs(get(b"towners", "HGETALL", g + b":towners")))
        attempts = dict(pairs(get(b"tattempts", "HGETALL", g + b":tattempts")))
        self.stats["tasks"] += len(tasks)
        taskseq = int(meta.get(b"taskseq", b"0")) if is_int(meta.get(b"taskseq", b"0")) else 0
        if self.max_tasks is not None and len(tasks) > self.max_tasks:
            self.bad(key, "%d tasks > max-tasks %d" % (len(tasks), self.max_tasks))
        for tid, payload in tasks.items():
            if not is_int(tid) or not 1 <= int(tid) <= taskseq:
                self.bad(key, "task id %r not in 1..taskseq %d" % (tid, taskseq))
            else:
                self.fenced(key, "task id", int(tid))
            if not valid_json(payload):
                self.bad(key, "task %r payload is not JSON: %r" % (tid, payload[:120]))
        q = set()
        for tid, score in queue:
            q.add(tid)
            if not is_int(score) or score != tid:
                self.bad(key, "queued %r has score %r (expected its id)" % (tid, score))
        c = set()
        for tid, deadline in claims:
            c.add(tid)
            if not is_int(deadline):
                self.bad(key, "claim %r deadline %r is not an integer" % (tid, deadline))
        for tid in q | c:
            if tid not in tasks:
                self.bad(key, "queued/claimed id %r is not a task" % tid)
        for tid in q & c:
            self.bad(key, "id %r is both queued and claimed" % tid)
        for tid in tasks:
            if tid not in q and tid not in c:
                self.bad(key, "task %r is neither queued nor claimed (lost)" % tid)
        if set(owners) != c:
            self.bad(key, "owners %r != claimed %r" % (sorted(owners)[:10], sorted(c)[:10]))
        for tid, vip in owners.items():
            if not TOKEN_RE.match(vip) or len(vip) > 256:
                self.bad(key, "owner of %r is not a vip" % tid)
        for tid, n in attempts.items():
            if tid not in tasks:
                self.bad(key, "attempts kept for %r, which is not a task" % tid)
            if not is_int(n) or int(n) < 1:
                self.bad(key, "attempts of %r is %r" % (tid, n))
        for tid in c:
            if tid not in attempts:
                self.bad(key, "claimed %r has no attempt count" % tid)


def check(conn, **kw):
    ch = Checker(conn, **kw)
    return ch.run(), ch.stats
