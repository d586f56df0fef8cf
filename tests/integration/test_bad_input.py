"""Bad input for every command: a clear error reply and the keyspace
unchanged (every key compared by DUMP before and after). Garbage never
crashes the server."""
import random

import pytest

from conftest import G, MASTER, CHANNEL, Raw, RespError, cmd, snapshot

A, B = "10.0.0.1:9001", "10.0.0.2:9001"
INT_MAX = 9223372036854775807

COMMANDS = [
    "suma_try_leader", "suma_leader_info", "suma_leader_resign", "suma_leader_check",
    "suma_keep_alive", "suma_vip_list", "suma_vip_info", "suma_vip_leave", "suma_group_info",
    "suma_vip_kill", "suma_vip_reset", "suma_vip_drained",
    "suma_message_publish", "suma_events",
    "suma_diamond_publish", "suma_diamond_cas", "suma_diamond_get", "suma_diamond_history",
    "suma_diamond_delete", "suma_diamond_list",
    "suma_vip_register", "suma_vip_unregister", "suma_vip_server_get", "suma_vip_server_list",
    "suma_vip_register_list", "suma_ci_task",
]


def populate(r):
    """A group with a leader, hosts, a drained vip, configs, a server and tasks.
    Returns the values the server granted: epoch, cfg version of k, task ids."""
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    cmd(r, "suma_keep_alive", MASTER, B)
    cmd(r, "suma_vip_kill", CHANNEL, "10.0.0.9:1")
    version = cmd(r, "suma_diamond_publish", CHANNEL, "k", "v")
    cmd(r, "suma_vip_register", MASTER, A, '{"a":1}')
    t1 = cmd(r, "suma_ci_task", CHANNEL, "PUSH", '{"t":1}')
    t2 = cmd(r, "suma_ci_task", CHANNEL, "PUSH", '{"t":2}')
    assert t2 > t1
    assert cmd(r, "suma_ci_task", CHANNEL, "CLAIM", A)[0] == t1
    cmd(r, "suma_message_publish", CHANNEL, "{}")
    info = cmd(r, "suma_leader_info", MASTER)
    epoch = info[info.index("epoch") + 1]
    return {"epoch": str(epoch), "version": str(version), "t1": str(t1), "t2": t2}


@pytest.fixture
def state(server, r):
    populate(r)
    c = Raw(server)
    yield server, r, c
    c.close()


def arity(name):
    return "ERR wrong number of arguments for 'sumavlib.%s' command" % name


# (args without the "sumavlib." prefix, expected full error text)
WRONG_ARITY = [
    ("suma_try_leader",), ("suma_try_leader", MASTER, A, "1000", "x"),
    ("suma_leader_info",), ("suma_leader_info", MASTER, "x"),
    ("suma_leader_resign", MASTER), ("suma_leader_resign", MASTER, A, "x"),
    ("suma_leader_check", MASTER), ("suma_leader_check", MASTER, "1", "x"),
    ("suma_keep_alive", MASTER), ("suma_keep_alive", MASTER, A, "*", "x"),
    ("suma_vip_list",), ("suma_vip_list", MASTER, "*", "x"),
    ("suma_vip_info", MASTER), ("suma_vip_info", MASTER, A, "x"),
    ("suma_vip_leave", MASTER), ("suma_vip_leave", MASTER, A, "x"),
    ("suma_group_info",), ("suma_group_info", MASTER, "x"),
    ("suma_vip_kill", CHANNEL), ("suma_vip_kill", CHANNEL, A, "x"),
    ("suma_vip_reset", CHANNEL), ("suma_vip_reset", CHANNEL, A, "x"),
    ("suma_vip_drained",), ("suma_vip_drained", CHANNEL, "x"),
    ("suma_message_publish", CHANNEL), ("suma_message_publish", CHANNEL, "{}", "x"),
    ("suma_events", CHANNEL), ("suma_events", CHANNEL, "0", "COUNT"),
    ("suma_events", CHANNEL, "0", "COUNT", "1", "x"),
    ("suma_diamond_publish", CHANNEL, "k"), ("suma_diamond_publish", CHANNEL, "k", "v", "IFEPOCH"),
    ("suma_diamond_cas", CHANNEL, "k", "1"), ("suma_diamond_cas", CHANNEL, "k", "1", "v", "x"),
    ("suma_diamond_get", CHANNEL), ("suma_diamond_get", CHANNEL, "k", "x"),
    ("suma_diamond_history", CHANNEL), ("suma_diamond_history", CHANNEL, "k", "1", "x"),
    ("suma_diamond_delete", CHANNEL), ("suma_diamond_delete", CHANNEL, "k", "IFEPOCH"),
    ("suma_diamond_list",), ("suma_diamond_list", "*", "GROUP"),
    ("suma_vip_register", MASTER), ("suma_vip_register", MASTER, A, "{}", "x"),
    ("suma_vip_unregister", MASTER), ("suma_vip_unregister", MASTER, A, "x"),
    ("suma_vip_server_get", MASTER), ("suma_vip_server_get", MASTER, A, "x"),
    ("suma_vip_server_list",), ("suma_vip_server_list", "*", "COUNT"),
    ("suma_vip_register_list",), ("suma_vip_register_list", "*", "CURSOR", "0", "COUNT"),
    ("suma_ci_task", CHANNEL), ("suma_ci_task",),
]


def test_every_command_is_covered():
    assert {a[0] for a in WRONG_ARITY} == set(COMMANDS)


def test_wrong_arity(state):
    server, r, raw = state
    before = snapshot(server)
    for args in WRONG_ARITY:
        assert raw.error("sumavlib." + args[0], *args[1:]) == arity(args[0]), args
    assert snapshot(server) == before


# Each command with its group argument replaced, for the group name checks.
def with_group(group):
    return [
        ("suma_try_leader", group, A), ("suma_leader_info", group),
        ("suma_leader_resign", group, A), ("suma_leader_check", group, "1"),
        ("suma_keep_alive", group, A), ("suma_vip_list", group), ("suma_vip_info", group, A),
        ("suma_vip_leave", group, A), ("suma_vip_kill", group, A), ("suma_vip_reset", group, A),
        ("suma_group_info", group),
        ("suma_vip_drained", group), ("suma_message_publish", group, "{}"),
        ("suma_events", group, "0"), ("suma_diamond_publish", group, "k", "v"),
        ("suma_diamond_cas", group, "k", "1", "v"), ("suma_diamond_get", group, "k"),
        ("suma_diamond_history", group, "k"), ("suma_diamond_delete", group, "k"),
        ("suma_diamond_list", "*", "GROUP", group), ("suma_vip_register", group, A),
        ("suma_vip_unregister", group, A), ("suma_vip_server_get", group, A),
        ("suma_vip_server_list", "*", "GROUP", group),
        ("suma_vip_register_list", "*", "GROUP", group), ("suma_ci_task", group, "STATS"),
    ]


def test_with_group_covers_every_command():
    assert {a[0] for a in with_group("x")} == set(COMMANDS)


BAD_GROUPS = [
    ("", "ERR invalid group: empty"),
    ("_master", "ERR invalid group: empty"),
    ("channel", "ERR invalid group: empty"),
    ("{}_channel", "ERR invalid group: empty"),
    ("{}", "ERR invalid group: empty"),
    ("g" * 129, "ERR invalid group: longer than 128 bytes"),
    ("{%s}_master" % ("g" * 129), "ERR invalid group: longer than 128 bytes"),
    ("agent zy_test", "ERR invalid group: only letters, digits and . _ - are allowed"),
    ("agent:zy_test", "ERR invalid group: only letters, digits and . _ - are allowed"),
    ("agent*_master", "ERR invalid group: only letters, digits and . _ - are allowed"),
    ("{agent}.zy_test", "ERR invalid group: only letters, digits and . _ - are allowed"),
    ("a{gent}_master", "ERR invalid group: only letters, digits and . _ - are allowed"),
    ("{agent.zy_test", "ERR invalid group: only letters, digits and . _ - are allowed"),
    ("agent\x00zy", "ERR invalid group: only letters, digits and . _ - are allowed"),
    ("agent.zy_té", "ERR invalid group: only letters, digits and . _ - are allowed"),
]


@pytest.mark.parametrize("group,want", BAD_GROUPS, ids=[str(i) for i in range(len(BAD_GROUPS))])
def test_bad_group_names(state, group, want):
    server, r, raw = state
    before = snapshot(server)
    for args in with_group(group):
        assert raw.error("sumavlib." + args[0], *args[1:]) == want, args
    assert snapshot(server) == before


def vip_commands(vip):
    return [
        ("suma_try_leader", MASTER, vip), ("suma_leader_resign", MASTER, vip),
        ("suma_keep_alive", MASTER, vip), ("suma_vip_info", MASTER, vip),
        ("suma_vip_leave", MASTER, vip), ("suma_vip_kill", CHANNEL, vip),
        ("suma_vip_reset", CHANNEL, vip), ("suma_vip_register", MASTER, vip),
        ("suma_vip_unregister", MASTER, vip), ("suma_vip_server_get", MASTER, vip),
        ("suma_ci_task", CHANNEL, "CLAIM", vip), ("suma_ci_task", CHANNEL, "ACK", "1", vip),
        ("suma_ci_task", CHANNEL, "EXTEND", "1", vip),
    ]


VIP_CHARS = "ERR invalid vip: only printable ASCII characters other than space are allowed"
BAD_VIPS = [
    ("", "ERR invalid vip: empty"),
    ("v" * 257, "ERR invalid vip: longer than 256 bytes"),
    ("10.0.0.1 9001", VIP_CHARS),
    ("10.0.0.1\n", VIP_CHARS),
    ("\x00", VIP_CHARS),
    ("hôte", VIP_CHARS),
    ("a\x7f", VIP_CHARS),
]


@pytest.mark.parametrize("vip,want", BAD_VIPS, ids=[str(i) for i in range(len(BAD_VIPS))])
def test_bad_vips(state, vip, want):
    server, r, raw = state
    before = snapshot(server)
    for args in vip_commands(vip):
        assert raw.error("sumavlib." + args[0], *args[1:]) == want, args
    assert snapshot(server) == before


def test_vip_of_max_length_is_fine(r):
    v = "v" * 256
    assert cmd(r, "suma_keep_alive", MASTER, v) is None
    assert cmd(r, "suma_vip_list", MASTER) == [v]


def test_bad_patterns(state):
    server, r, raw = state
    before = snapshot(server)
    for pat, want in (("", "ERR invalid pattern: empty"),
                      ("*" * 257, "ERR invalid pattern: longer than 256 bytes")):
        for args in (("suma_keep_alive", MASTER, A, pat), ("suma_vip_list", MASTER, pat),
                     ("suma_diamond_list", pat), ("suma_vip_server_list", pat),
                     ("suma_vip_register_list", pat)):
            assert raw.error("sumavlib." + args[0], *args[1:]) == want, args
    assert snapshot(server) == before


def nan(what):
    return "ERR invalid %s: not an integer" % what


def rng(what, lo, hi):
    return "ERR invalid %s: must be between %d and %d" % (what, lo, hi)


BAD_NUMBERS = [
    (("suma_try_leader", MASTER, A, "abc"), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, ""), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, "+500"), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, " 500"), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, "500 "), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, "1e3"), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, "0x10"), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, "500.0"), nan("lease_ms")),
    (("suma_try_leader", MASTER, A, "99"), rng("lease_ms", 100, 86400000)),
    (("suma_try_leader", MASTER, A, "-1"), rng("lease_ms", 100, 86400000)),
    (("suma_try_leader", MASTER, A, "86400001"), rng("lease_ms", 100, 86400000)),
    (("suma_try_leader", MASTER, A, "99999999999999999999999"), rng("lease_ms", 100, 86400000)),
    (("suma_leader_check", MASTER, "0"), rng("epoch", 1, INT_MAX)),
    (("suma_leader_check", MASTER, "x"), nan("epoch")),
    (("suma_events", CHANNEL, "-1"), rng("after_seq", 0, INT_MAX - 1)),
    (("suma_events", CHANNEL, "x"), nan("after_seq")),
    (("suma_events", CHANNEL, "0", "COUNT", "0"), rng("count", 1, 10000)),
    (("suma_events", CHANNEL, "0", "COUNT", "10001"), rng("count", 1, 10000)),
    (("suma_events", CHANNEL, "0", "COUNT", "many"), nan("count")),
    (("suma_diamond_publish", CHANNEL, "k", "v2", "IFEPOCH", "x"), nan("epoch")),
    (("suma_diamond_publish", CHANNEL, "k", "v2", "IFEPOCH", "0"), rng("epoch", 1, INT_MAX)),
    (("suma_diamond_cas", CHANNEL, "k", "x", "v2"), nan("expected_version")),
    (("suma_diamond_cas", CHANNEL, "k", "-1", "v2"), rng("expected_version", 0, INT_MAX - 1)),
    (("suma_diamond_cas", CHANNEL, "k", "1", "v2", "IFEPOCH", "-3"), rng("epoch", 1, INT_MAX)),
    (("suma_diamond_delete", CHANNEL, "k", "IFEPOCH", ""), nan("epoch")),
    (("suma_diamond_history", CHANNEL, "k", "0"), rng("count", 1, 1000)),
    (("suma_diamond_history", CHANNEL, "k", "1001"), rng("count", 1, 1000)),
    (("suma_diamond_list", "*", "COUNT", "0"), rng("count", 1, 1000)),
    (("suma_diamond_list", "*", "COUNT", "1001"), rng("count", 1, 1000)),
    (("suma_diamond_list", "*", "CURSOR", "-1"), rng("cursor", 0, INT_MAX)),
    (("suma_diamond_list", "*", "CURSOR", "abc"), nan("cursor")),
    (("suma_vip_server_list", "*", "COUNT", "x"), nan("count")),
    (("suma_vip_register_list", "*", "CURSOR", "1.5"), nan("cursor")),
    (("suma_ci_task", CHANNEL, "CLAIM", B, "99"), rng("lease_ms", 100, 86400000)),
    (("suma_ci_task", CHANNEL, "CLAIM", B, "x"), nan("lease_ms")),
    (("suma_ci_task", CHANNEL, "ACK", "0"), rng("id", 1, INT_MAX)),
    (("suma_ci_task", CHANNEL, "ACK", "one"), nan("id")),
    (("suma_ci_task", CHANNEL, "ACK", "1", A, "IFEPOCH", "x"), nan("epoch")),
    (("suma_ci_task", CHANNEL, "EXTEND", "x", A), nan("id")),
    (("suma_ci_task", CHANNEL, "EXTEND", "1", A, "50"), rng("lease_ms", 100, 86400000)),
    (("suma_ci_task", CHANNEL, "PENDING", "0"), rng("count", 1, 10000)),
    (("suma_ci_task", CHANNEL, "PENDING", "x"), nan("count")),
]


def test_bad_numbers(state):
    server, r, raw = state
    before = snapshot(server)
    for args, want in BAD_NUMBERS:
        assert raw.error("sumavlib." + args[0], *args[1:]) == want, args
    assert snapshot(server) == before


def test_bad_json_and_payloads(state):
    server, r, raw = state
    before = snapshot(server)
    for what, mk in (("message", lambda p: ("suma_message_publish", CHANNEL, p)),
                     ("meta", lambda p: ("suma_vip_register", MASTER, B, p)),
                     ("task", lambda p: ("suma_ci_task", CHANNEL, "PUSH", p))):
        for bad in ("{", "", "   ", "{'a':1}", "{} {}", "[1,]", "nul", '"\xff"'.encode("latin1"),
                    b'{"a":"\xc3\x28"}', "{\"a\":1}x", "[" * 60000):
            text = raw.error("sumavlib." + mk(bad)[0], *mk(bad)[1:])
            assert text.startswith("ERR invalid %s: not valid JSON (" % what), (bad, text)
            assert text.endswith(")")
        big = '"' + "x" * 65535 + '"'  # 65537 bytes
        assert raw.error("sumavlib." + mk(big)[0], *mk(big)[1:]) == \
            "ERR invalid %s: larger than max-payload (65536 bytes)" % what
    big = "x" * 65537
    assert raw.error("sumavlib.suma_diamond_publish", CHANNEL, "k", big) == \
        "ERR invalid value: larger than max-payload (65536 bytes)"
    assert raw.error("sumavlib.suma_diamond_cas", CHANNEL, "k", "1", big) == \
        "ERR invalid value: larger than max-payload (65536 bytes)"
    assert snapshot(server) == before
    # Exactly max-payload is accepted.
    assert cmd(r, "suma_diamond_publish", CHANNEL, "k", "x" * 65536) == 1
    assert cmd(r, "suma_message_publish", CHANNEL, '"' + "x" * 65534 + '"') == 1


def test_deep_json_is_accepted_without_crash(r):
    deep = "[" * 30000 + "]" * 30000
    assert cmd(r, "suma_message_publish", CHANNEL, deep) == 1
    assert r.ping()


def test_bad_config_keys(state):
    server, r, raw = state
    before = snapshot(server)
    for key, want in (("", "ERR invalid config key: empty"),
                      ("k" * 513, "ERR invalid config key: longer than 512 bytes"),
                      ("a b", "ERR invalid config key: only printable ASCII characters other than "
                              "space are allowed")):
        for args in (("suma_diamond_publish", CHANNEL, key, "v"),
                     ("suma_diamond_cas", CHANNEL, key, "0", "v"),
                     ("suma_diamond_get", CHANNEL, key), ("suma_diamond_history", CHANNEL, key),
                     ("suma_diamond_delete", CHANNEL, key)):
            assert raw.error("sumavlib." + args[0], *args[1:]) == want, args
    assert snapshot(server) == before


def test_unknown_subcommands_and_options(state):
    server, r, raw = state
    before = snapshot(server)
    cases = [
        (("suma_ci_task", CHANNEL, "FLY"), "ERR unknown subcommand 'FLY' for 'suma_ci_task'"),
        (("suma_ci_task", CHANNEL, ""), "ERR unknown subcommand '' for 'suma_ci_task'"),
        (("suma_ci_task", CHANNEL, "PUSH"), "ERR syntax error: PUSH <json>"),
        (("suma_ci_task", CHANNEL, "PUSH", "1", "2"), "ERR syntax error: PUSH <json>"),
        (("suma_ci_task", CHANNEL, "CLAIM"), "ERR syntax error: CLAIM <vip> [lease_ms]"),
        (("suma_ci_task", CHANNEL, "CLAIM", A, "1000", "x"),
         "ERR syntax error: CLAIM <vip> [lease_ms]"),
        (("suma_ci_task", CHANNEL, "ACK"), "ERR syntax error: ACK <id> [vip] [IFEPOCH e]"),
        (("suma_ci_task", CHANNEL, "ACK", "1", A, "IFEPOCH", "1", "x"),
         "ERR syntax error: ACK <id> [vip] [IFEPOCH e]"),
        (("suma_ci_task", CHANNEL, "ACK", "1", A, "NOPE", "1"), "ERR unknown option 'NOPE'"),
        (("suma_ci_task", CHANNEL, "EXTEND", "1"),
         "ERR syntax error: EXTEND <id> <vip> [lease_ms]"),
        (("suma_ci_task", CHANNEL, "PENDING", "1", "2"), "ERR syntax error: PENDING [count]"),
        (("suma_ci_task", CHANNEL, "CLAIMED", "x"), "ERR syntax error: CLAIMED takes no arguments"),
        (("suma_ci_task", CHANNEL, "STATS", "x"), "ERR syntax error: STATS takes no arguments"),
        (("suma_events", CHANNEL, "0", "LIMIT", "5"), "ERR unknown option 'LIMIT'"),
        (("suma_diamond_publish", CHANNEL, "k", "v", "IFVERSION", "1"),
         "ERR unknown option 'IFVERSION'"),
        (("suma_diamond_cas", CHANNEL, "k", "1", "v", "X", "1"), "ERR unknown option 'X'"),
        (("suma_diamond_delete", CHANNEL, "k", "IF", "1"), "ERR unknown option 'IF'"),
        (("suma_diamond_list", "*", "SORT", "1"), "ERR unknown option 'SORT'"),
        (("suma_vip_server_list", "*", "MATCH", "x"), "ERR unknown option 'MATCH'"),
        (("suma_vip_register_list", "*", "GROUP", MASTER, "LIMIT", "1"),
         "ERR unknown option 'LIMIT'"),
    ]
    for args, want in cases:
        assert raw.error("sumavlib." + args[0], *args[1:]) == want, args
    assert snapshot(server) == before


INTERNAL = [
    ("hosts", "zset"), ("drained", "hash"), ("meta", "hash"), ("events", "stream"),
    ("tasks", "hash"), ("tqueue", "zset"), ("tclaims", "zset"), ("towners", "hash"),
    ("tattempts", "hash"), ("cfg:k", "stream"), ("srv:" + A, "hash"),
]


def valid_commands(ids):
    return [
        ("suma_try_leader", MASTER, A), ("suma_try_leader", MASTER, "10.0.0.5:1"),
        ("suma_leader_info", MASTER), ("suma_leader_check", MASTER, ids["epoch"]),
        ("suma_keep_alive", MASTER, A), ("suma_keep_alive", MASTER, "10.0.0.6:1"),
        ("suma_vip_list", MASTER), ("suma_vip_info", MASTER, B), ("suma_group_info", MASTER),
        ("suma_vip_kill", CHANNEL, B), ("suma_vip_reset", CHANNEL, "10.0.0.9:1"),
        ("suma_vip_drained", CHANNEL), ("suma_message_publish", CHANNEL, "{}"),
        ("suma_events", CHANNEL, "0"), ("suma_diamond_publish", CHANNEL, "k", "v2"),
        ("suma_diamond_cas", CHANNEL, "k", ids["version"], "v3"),
        ("suma_diamond_get", CHANNEL, "k"),
        ("suma_diamond_history", CHANNEL, "k"), ("suma_diamond_list", "*", "GROUP", G),
        ("suma_vip_register", MASTER, A, "{}"), ("suma_vip_server_get", MASTER, A),
        ("suma_vip_server_list", "*", "GROUP", G), ("suma_ci_task", CHANNEL, "PUSH", "{}"),
        ("suma_ci_task", CHANNEL, "CLAIM", B), ("suma_ci_task", CHANNEL, "ACK", ids["t1"]),
        ("suma_ci_task", CHANNEL, "EXTEND", ids["t1"], A), ("suma_ci_task", CHANNEL, "PENDING"),
        ("suma_ci_task", CHANNEL, "CLAIMED"), ("suma_ci_task", CHANNEL, "STATS"),
        ("suma_diamond_delete", CHANNEL, "k"), ("suma_vip_unregister", MASTER, A),
        ("suma_leader_resign", MASTER, A), ("suma_vip_leave", MASTER, A),
        ("suma_vip_leave", MASTER, B),
    ]


@pytest.mark.parametrize("kind,_type", INTERNAL, ids=[k for k, _ in INTERNAL])
def test_wrongtype_internal_key(make_server, kind, _type):
    s = make_server()
    r = s.client()
    ids = populate(r)
    key = G + ":" + kind
    r.delete(key)
    r.set(key, "x")
    raw = Raw(s)
    want_prefix = "WRONGTYPE internal key '%s' holds the wrong kind of value" % key
    wrongtype = 0
    for args in valid_commands(ids):
        before = snapshot(s)
        rep = raw.call("sumavlib." + args[0], *args[1:])
        if isinstance(rep, RespError):
            # An error is a clear one, and leaves the keyspace as it was.
            assert str(rep).startswith(want_prefix), (args, str(rep))
            assert snapshot(s) == before, args
            wrongtype += 1
        assert r.get(key) == "x", args  # the foreign value is never touched
    assert wrongtype > 0
    assert r.ping()
    raw.close()


def test_wrongtype_hosts_keep_alive_exact(r, raw, server):
    r.set(G + ":hosts", "x")
    before = snapshot(server)
    assert raw.error("sumavlib.suma_keep_alive", MASTER, A) == (
        "WRONGTYPE internal key 'agent.zy_test:hosts' holds the wrong kind of value; "
        "the group's state is not touched")
    assert snapshot(server) == before


def test_binary_garbage_does_not_crash(server, r):
    populate(r)
    rnd = random.Random(1234)
    raw = Raw(server)

    def junk():
        n = rnd.choice([0, 1, 2, 5, 30, 300, 5000])
        return bytes(rnd.randrange(256) for _ in range(n))

    for _ in range(600):
        name = rnd.choice(COMMANDS)
        args = [junk() for _ in range(rnd.randrange(0, 7))]
        # Sometimes keep a valid group so the command reaches deeper checks.
        if args and rnd.random() < 0.5:
            args[0] = rnd.choice([MASTER, CHANNEL, "{agent.zy_test}"]).encode()
        if name == "suma_ci_task" and len(args) > 1 and rnd.random() < 0.7:
            args[1] = rnd.choice([b"PUSH", b"CLAIM", b"ACK", b"EXTEND", b"PENDING", b"CLAIMED",
                                  b"STATS"])
        raw.call("sumavlib." + name, *args)
    assert raw.call("PING") == "PONG"
    raw.close()
    # Malformed protocol on another connection: the server drops it, lives on.
    bad = Raw(server)
    try:
        bad.send_raw(b"*3\r\n$5\r\nsumavlib.suma_keep_alive\r\n\x00\xff garbage\r\n" * 3)
        try:
            bad.read()
        except (ConnectionError, OSError, ValueError):
            pass
    finally:
        bad.close()
    assert r.ping()
    assert {A, B} <= set(cmd(r, "suma_vip_list", MASTER))
    assert cmd(r, "suma_leader_info", MASTER)[:2] == ["vip", A]


@pytest.mark.parametrize("kind", ["tqueue", "tclaims", "towners", "tasks", "tattempts"])
def test_leave_with_wrongtype_task_key_loses_nothing(make_server, kind):
    # vip_leave requeues the leaving host's claims: with a task key of the
    # wrong type it must fail cleanly instead of half-moving the claim.
    s = make_server()
    r = s.client()
    cmd(r, "suma_keep_alive", MASTER, A)
    tid = cmd(r, "suma_ci_task", CHANNEL, "PUSH", "{}")
    assert cmd(r, "suma_ci_task", CHANNEL, "CLAIM", A, "60000")[0] == tid
    key = G + ":" + kind
    saved = r.dump(key)
    r.delete(key)
    r.set(key, "x")
    raw = Raw(s)
    before = snapshot(s)
    assert raw.error("sumavlib.suma_vip_leave", MASTER, A).startswith(
        "WRONGTYPE internal key '%s'" % key)
    assert snapshot(s) == before
    raw.close()
    # Repaired, the leave requeues the claim.
    r.delete(key)
    if saved is not None:
        r.restore(key, 0, saved)
    assert cmd(r, "suma_vip_leave", MASTER, A) == 1
    assert cmd(r, "suma_ci_task", CHANNEL, "STATS") == ["queued", 1, "claimed", 0]


def untimed(reply):
    """The reply with the value after "lease_left_ms" blanked (it ticks)."""
    if isinstance(reply, list) and "lease_left_ms" in reply:
        reply = list(reply)
        reply[reply.index("lease_left_ms") + 1] = "?"
    return reply


def test_resp3_client_gets_the_same_replies(server, r):
    """A RESP3 connection (HELLO 3) gets the same data as RESP2 for every
    read command, with nulls as RESP3 nulls."""
    ids = populate(r)
    r2, r3 = Raw(server), Raw(server)
    hello = r3.call("HELLO", "3")
    assert isinstance(hello, dict) and hello[b"proto"] == 3
    reads = [("suma_leader_info", MASTER), ("suma_vip_list", MASTER), ("suma_vip_info", MASTER, A),
             ("suma_vip_info", MASTER, "nobody"), ("suma_vip_drained", CHANNEL),
             ("suma_events", CHANNEL, "0"), ("suma_diamond_get", CHANNEL, "k"),
             ("suma_diamond_get", CHANNEL, "none"), ("suma_diamond_history", CHANNEL, "k"),
             ("suma_diamond_list", "*"), ("suma_diamond_list", "*", "CURSOR", "0"),
             ("suma_vip_server_get", MASTER, A), ("suma_vip_server_list", "*"),
             ("suma_group_info", MASTER), ("suma_ci_task", CHANNEL, "PENDING"),
             ("suma_ci_task", CHANNEL, "CLAIMED"), ("suma_ci_task", CHANNEL, "STATS"),
             ("suma_leader_check", MASTER, ids["epoch"])]
    for args in reads:
        a = untimed(r2.call("sumavlib." + args[0], *args[1:]))
        b = untimed(r3.call("sumavlib." + args[0], *args[1:]))
        assert a == b, (args, a, b)
    # Writes too, on both protocols.
    assert sorted(r3.call("sumavlib.suma_keep_alive", MASTER, A)) == [A.encode(), B.encode()]
    assert r3.call("sumavlib.suma_keep_alive", MASTER, B) == A.encode()
    assert r3.call("sumavlib.suma_ci_task", CHANNEL, "CLAIM", B) == [ids["t2"], b'{"t":2}', 1]
    assert r3.call("PING") == "PONG"
    r2.close()
    r3.close()


def test_quoted_client_tokens_are_escaped_and_cut(raw, server):
    before = snapshot(server)
    assert raw.error("sumavlib.suma_ci_task", CHANNEL, b"\x00\xffA") == \
        "ERR unknown subcommand '\\x00\\xffA' for 'suma_ci_task'"
    assert raw.error("sumavlib.suma_ci_task", CHANNEL, "X" * 100) == \
        "ERR unknown subcommand '%s...' for 'suma_ci_task'" % ("X" * 64)
    assert raw.error("sumavlib.suma_events", CHANNEL, "0", b"L\r\nIMIT", "1") == \
        "ERR unknown option 'L\\x0d\\x0aIMIT'"
    assert snapshot(server) == before
    assert raw.call("PING") == "PONG"
