"""Ordinary Redis commands on sumavlib's internal keys (issue 9), for the
hostile run: what an operator, a script or Redis itself does to the keyspace.

InternalOps.sequence() returns one operation as a list of (args, name, ctx)
commands that belong together (a SELECT n ... SELECT 0 round trip is one
operation, so the connection is always back in db 0 between operations).

Contract with the caller:
  - Writes go only to the keys of MANGLED groups (and to FILLER_PREFIX keys and
    to dbs other than 0); keys of other groups are only read (DUMP, COPY source).
    The exceptions are the whole-db commands FLUSHALL, FLUSHDB 0 and SWAPDB 0 n,
    whose names are in DISTURBS: they change every group at once.
  - ctx of a DUMP is the InternalOps itself: feed the reply to on_reply(), which
    keeps it for a later RESTORE.
  - Any reply is acceptable from these commands except where noted by
    must_ok(name): the point is what the module does afterwards.
"""

FILLER_PREFIX = "suma-filler:"
OTHER_DBS = [1, 2, 3]
KINDS = ["hosts", "drained", "meta", "events", "tasks", "tqueue", "tclaims", "towners",
         "tattempts", "cfg:db.url", "cfg:k", "srv:10.0.0.1:9001", "srv:host-a"]
STREAM_KINDS = ["events", "cfg:db.url", "cfg:k"]
META_FIELDS = ["epoch", "seq", "lease", "taskseq", "evictions"]
MARKER = "sumavlib marker: keeps this zset skiplist-encoded so heartbeats stay O(log n)"
# Values near the module's counter limit (INT64_MAX / 2) and beyond it.
LIMIT = (1 << 62) - 1 + (1 << 62)  # 2^63 - 1
NEAR_LIMIT = [str(LIMIT // 2 - 1), str(LIMIT // 2), str(LIMIT // 2 + 1), str(LIMIT - 1), str(LIMIT),
              str(LIMIT + 1), "18446744073709551615"]
GARBAGE_INTS = ["0", "1", "-1", "2", "-5", "1000", "1839000000000000", "9007199254740993",
                "1e3", "0x10", "", " 1", "abc", "\xff\xfe", "1.5", "-0", "+1", "99999999999999999999"]
GARBAGE_LEASES = ["", "v", "v 1", "v 1 1", "10.0.0.1:9001 99999999999999 1000",
                  "10.0.0.2:9001 -5 -5", "a b c d", "v x y", " 1 2", "v 9223372036854775807 1",
                  "10.0.0.3:9001 1 9223372036854775807", "\x00 1 2", "v " + "9" * 40 + " 1"]
ODD_SCORES = ["inf", "+inf", "-inf", "1e308", "-1e308", "1e-300", "-1e-300", "5e-324", "0", "-0",
              "1", "-1", "9007199254740993", "1.5", "1796000000000", "9.2233720368547758e18",
              "1.7976931348623157e308", "nan", "x"]
STREAM_IDS = ["*", "1-0", "1-1", "0-1", "1000-0", "1839000000000000-0", "1839000000000000-*",
              "9007199254740993-0", "18446744073709551615-18446744073709551615",
              "18446744073709551615-0", "x", "0-0"]
VIPS = ["10.0.0.1:9001", "10.0.0.2:9001", "host-a", "a b", "", MARKER, "\xff", "v" * 300]
EVENT_JSON = ['{"type":"online","seq":1,"ts":1,"group":"h.x_wt1","vip":"x"}', "{}", "nope", "",
              '{"type":"offline","seq":-1}', '"s"']


class InternalOps:
    def __init__(self, rnd, mangled, readable, allow_near_limit=True):
        self.r = rnd
        self.mangled = list(mangled)
        self.readable = list(readable)  # groups whose keys may be read (DUMP/COPY source)
        self.dumps = []  # (kind, payload) from earlier DUMPs
        self.fill_n = 0
        # allow_near_limit False: no counter at or above 2^53 (exact in JSON), which
        # the module would carry over to every group (for exploring past that bug).
        big = lambda v: v.split("-")[0].isdigit() and int(v.split("-")[0]) >= 1 << 53  # noqa: E731
        self.garbage_ints = GARBAGE_INTS + NEAR_LIMIT if allow_near_limit else [
            v for v in GARBAGE_INTS if not big(v)]
        self.ids = STREAM_IDS if allow_near_limit else [i for i in STREAM_IDS if not big(i)]

    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def key(self, kind=None, groups=None):
        return self.pick(groups or self.mangled) + ":" + (kind or self.pick(KINDS))

    def on_reply(self, args, reply):
        if args[0] == "DUMP" and reply[0] == "bulk" and len(self.dumps) < 64:
            self.dumps.append((args[1].partition(":")[2], reply[1]))
        elif args[0] == "DUMP" and reply[0] == "bulk":
            self.dumps[self.r.randrange(len(self.dumps))] = (args[1].partition(":")[2], reply[1])

    def in_db(self, db, cmds, name):
        return [(["SELECT", str(db)], "redis-select", None)] + [(c, name, None) for c in cmds] + \
            [(["SELECT", "0"], "redis-select", None)]

    def filler(self):
        """A plain key that only adds memory pressure (maxmemory phases)."""
        self.fill_n += 1
        args = ["SET", FILLER_PREFIX + str(self.fill_n % 5000), "f" * self.r.randint(512, 32768)]
        if self.chance(0.6):
            args += ["PX", str(self.r.randint(200, 20000))]
        return [(args, "redis-filler", None)]

    def sequence(self):
        x = self.r.random()
        one = lambda args, name: [(args, name, None)]  # noqa: E731
        if x < 0.07:
            return one([self.pick(["DEL", "UNLINK"])] + [self.key() for _ in range(
                self.r.randint(1, 3))], "redis-del")
        if x < 0.14:
            c = self.pick(["EXPIRE", "PEXPIRE", "PERSIST", "PEXPIRE", "EXPIRE"])
            if c == "PERSIST":
                return one([c, self.key()], "redis-expire")
            t = self.pick(["0", "-1", "1", "2", "5"]) if c == "EXPIRE" else str(
                self.pick([0, 1, 50, 150, 300, 600, 1000, 3000]))
            extra = [self.pick(["NX", "XX", "GT", "LT"])] if self.chance(0.2) else []
            return one([c, self.key(), t] + extra, "redis-expire")
        if x < 0.21:
            src = self.key()
            dst = self.key(src.partition(":")[2] if self.chance(0.6) else None)
            return one([self.pick(["RENAME", "RENAME", "RENAMENX"]), src, dst], "redis-rename")
        if x < 0.25:
            db = self.pick(OTHER_DBS)
            if self.chance(0.5):
                return one(["MOVE", self.key(), str(db)], "redis-move")
            return self.in_db(db, [["MOVE", self.key(), "0"]], "redis-move")
        if x < 0.30:
            src = self.key(groups=self.readable if self.chance(0.5) else None)
            kind = src.partition(":")[2]
            if self.chance(0.3):
                db = self.pick(OTHER_DBS)
                if self.chance(0.5):
                    return one(["COPY", src, src, "DB", str(db), "REPLACE"], "redis-copy")
                m = self.key()
                return self.in_db(db, [["COPY", m, m, "DB", "0"] +
                                       (["REPLACE"] if self.chance(0.5) else [])], "redis-copy")
            dst = self.key(kind if self.chance(0.7) else None)
            return one(["COPY", src, dst] + (["REPLACE"] if self.chance(0.7) else []), "redis-copy")
        if x < 0.31:
            # Whole-db commands are rare: each voids the untouched-group probe in flight.
            a, b = self.r.sample([0] + OTHER_DBS, 2) if self.chance(0.06) else (
                self.pick(OTHER_DBS), self.pick(OTHER_DBS))
            return one(["SWAPDB", str(a), str(b)], "redis-swapdb-0" if 0 in (a, b) else "redis-swapdb")
        if x < 0.33:
            cmd = ["FLUSHDB"] + (["ASYNC"] if self.chance(0.3) else [])
            if self.chance(0.01):
                return one(cmd, "redis-flushdb-0")
            return self.in_db(self.pick(OTHER_DBS), [cmd], "redis-flushdb")
        if x < 0.3303:
            return one(["FLUSHALL"] + (["ASYNC"] if self.chance(0.3) else []), "redis-flushall")
        if x < 0.39:
            return one(["DUMP", self.key(groups=self.readable if self.chance(0.6) else None)],
                       "redis-dump")
        if x < 0.46:
            if not self.dumps:
                return one(["DUMP", self.key(groups=self.readable)], "redis-dump")
            kind, payload = self.pick(self.dumps)
            dst = self.key(kind if self.chance(0.7) else None)
            ttl = self.pick(["0", "0", "0", "100", "2000"])
            args = ["RESTORE", dst, ttl, payload] + (["REPLACE"] if self.chance(0.9) else [])
            if self.chance(0.1):
                args += self.pick([["IDLETIME", "1000"], ["FREQ", "5"], ["ABSTTL"]])
            if self.chance(0.03):  # a truncated payload
                args[3] = payload[:self.r.randint(0, max(0, len(payload) - 1))]
            return one(args, "redis-restore")
        if x < 0.52:
            k = self.key(self.pick(["hosts", "tqueue", "tclaims", "meta", "events"]))
            args = ["SET", k, self.pick(["junk", "", "1", "x" * 100])]
            if self.chance(0.2):
                args.append(self.pick(["NX", "XX", "KEEPTTL", "GET"]))
            return one(args, "redis-set")
        if x < 0.63:
            k = self.key(self.pick(["hosts", "hosts", "hosts", "tqueue", "tclaims"]))
            args = ["ZADD", k]
            if self.chance(0.15):
                args.append(self.pick(["GT", "LT", "NX", "XX", "CH", "INCR"]))
            for _ in range(self.r.randint(1, 3)):
                args += [self.pick(ODD_SCORES), self.pick(VIPS)]
            return one(args, "redis-zadd")
        if x < 0.66:
            k = self.key("hosts")
            return one(self.pick([["ZREM", k, MARKER], ["ZREM", k, self.pick(VIPS)],
                                  ["ZREMRANGEBYSCORE", k, "-inf", self.pick(["-inf", "+inf", "0"])],
                                  ["ZPOPMIN", k], ["ZPOPMAX", k]]), "redis-zrem")
        if x < 0.77:
            k = self.key(self.pick(["meta", "meta", "meta", "drained", "tasks", "towners",
                                    "tattempts", "srv:host-a"]))
            args = ["HSET", k]
            for _ in range(self.r.randint(1, 3)):
                f = self.pick(META_FIELDS + ["junk", "", "10.0.0.1:9001", "1"])
                v = self.pick(GARBAGE_LEASES) if f == "lease" else self.pick(self.garbage_ints)
                args += [f, v]
            return one(args, "redis-hset")
        if x < 0.80:
            k = self.key(self.pick(["meta", "drained", "tasks", "towners"]))
            return one(["HDEL", k, self.pick(META_FIELDS + ["10.0.0.1:9001", "1"])], "redis-hdel")
        if x < 0.88:
            k = self.key(self.pick(STREAM_KINDS))
            args = ["XADD", k]
            if self.chance(0.2):
                args += ["MAXLEN", self.pick(["0", "1", "~", "3"])]
                if args[-1] == "~":
                    args.append("2")
            args.append(self.pick(self.ids))
            fld = self.pick(["e", "v", "deleted", "ts", "x"])
            args += [fld, self.pick(EVENT_JSON + ["1", "on"])]
            if self.chance(0.3):
                args += ["ts", self.pick(self.garbage_ints)]
            return one(args, "redis-xadd")
        if x < 0.92:
            k = self.key(self.pick(STREAM_KINDS))
            return one(["XDEL", k] + [self.pick(self.ids[1:]) for _ in range(self.r.randint(1, 2))],
                       "redis-xdel")
        if x < 0.95:
            k = self.key(self.pick(STREAM_KINDS))
            if self.chance(0.7):
                return one(["XTRIM", k, "MAXLEN"] + (["~"] if self.chance(0.2) else []) +
                           [self.pick(["0", "1", "2", "10"])], "redis-xtrim")
            return one(["XTRIM", k, "MINID", self.pick(self.ids[1:])], "redis-xtrim")
        if x < 0.96:
            k = self.key(self.pick(STREAM_KINDS))
            return one(["XSETID", k, self.pick(self.ids[1:])], "redis-xsetid")
        if x < 0.98:
            k = self.key()
            return one(self.pick([["RPUSH", k, "junk"], ["SADD", k, "junk"],
                                  ["SET", k, "junk", "NX"]]), "redis-wrongtype")
        # Undo a hand-written string/list/set, so wrong types come and go.
        return one(["EVAL", "local t = redis.call('TYPE', KEYS[1]).ok "
                    "if t == 'string' or t == 'list' or t == 'set' then "
                    "return redis.call('DEL', KEYS[1]) end return 0", "1", self.key()], "redis-undo")


# Commands whose effect covers every group of db 0.
DISTURBS = {"redis-flushall", "redis-flushdb-0", "redis-swapdb-0"}


def must_ok(name):
    """Replies that must be +OK: else the connection's db or the run is lost."""
    return name in ("redis-select", "redis-flushall", "redis-flushdb", "redis-flushdb-0")


def error_class(text):
    """A short, stable class of a Redis error reply, for the counts."""
    words = text.split()
    if not words:
        return "?"
    code = words[0]
    if code in ("ERR", "WRONGTYPE", "OOM", "BUSYKEY", "NOSCRIPT") and len(words) > 1:
        rest = " ".join(words[1:4]).rstrip(".,:")
        return (code + " " + rest)[:40]
    return code[:20]
