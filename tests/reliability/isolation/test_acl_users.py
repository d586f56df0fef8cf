"""Tenant isolation, mode 2: one shared server, one Redis ACL user per tenant
(docs/security.md has the lines). Redis 7.0 gives module commands no ACL
category, so the tenant's user is granted each sumavlib command by name.

Matrix: every command of tenant A against every spelling of tenant B's
groups is refused by the ACL key check (NOPERM) and changes nothing; every
cross-tenant SUBSCRIBE/PSUBSCRIBE is refused; the listings (diamond_list,
vip_server_list, also with GROUP and CURSOR) leave B's items out, which
needs RedisModule_ACLCheckKeyPermissions with the right flag; suma_events on
B's channel is refused. A's own commands all work, so the grant is complete.
"""
import json

import pytest

import matrix
from matrix import KEYED, LISTINGS, keyed_commands
from suma_testing import RedisServer
from suma_testing.resp import Conn, plain

TENANTS = {"t1": "agent.zy", "t2": "agent.yy"}
SERVER = {"agent.zy": "10.1.0.1:1", "agent.yy": "10.2.0.1:1"}  # registered by each


def acl_line(user, owner, password):
    """The ACL rule of docs/security.md for the tenant `owner`."""
    cmds = sorted({"+sumavlib." + n for n, _ in KEYED} | {"+sumavlib." + n for n in LISTINGS})
    return (["ACL", "SETUSER", user, "reset", "on", ">" + password,
             "~%s_*" % owner, "~{%s_*" % owner, "&%s_*" % owner, "&{%s_*" % owner,
             "-@all"] + cmds +
            ["+ping", "+hello", "+auth", "+client|setname", "+client|id", "+subscribe",
             "+psubscribe", "+unsubscribe", "+punsubscribe"])


@pytest.fixture(scope="module")
def srv():
    s = RedisServer()
    admin = Conn(s.port)
    for user, owner in TENANTS.items():
        assert admin.call(*acl_line(user, owner, "pw-" + user)) == ("simple", "OK")
    admin.close()
    # Each tenant writes its own state.
    for user, owner in TENANTS.items():
        c = login(s, user)
        for g in (owner + "_test", "{%s_test}" % owner):
            for argv in (["suma_try_leader", g, "10.0.0.1:1", "60000"],
                         ["suma_keep_alive", g, "10.0.0.2:1"],
                         ["suma_diamond_publish", g, owner + ".secret", "v"],
                         ["suma_vip_register", g, SERVER[owner], '{"o":1}'],
                         ["suma_vip_kill", g, "10.0.0.3:1"],
                         ["suma_ci_task", g, "PUSH", '{"o":1}'],
                         ["suma_message_publish", g, '{"o":1}']):
                r = c.call("sumavlib." + argv[0], *argv[1:])
                assert r[0] != "err", (user, argv, r)
        c.close()
    yield s
    s.cleanup()


def login(s, user):
    c = Conn(s.port)
    assert c.call("AUTH", user, "pw-" + user) == ("simple", "OK")
    return c


def snapshot(s):
    c = Conn(s.port)
    try:
        return matrix.snapshot(c)
    finally:
        c.close()


def test_matrix_covers_every_module_command(srv):
    c = Conn(srv.port)
    covered = {"sumavlib." + n for n, _ in KEYED} | {"sumavlib." + n for n in LISTINGS}
    assert set(matrix.all_module_commands(c)) <= covered


@pytest.mark.parametrize("user,other", [("t1", "agent.yy"), ("t2", "agent.zy")])
def test_every_command_on_the_other_tenant_is_denied(srv, user, other):
    before = snapshot(srv)
    c = login(srv, user)
    for g in (other + "_test", "{%s_test}" % other):
        for label, argv in keyed_commands(g):
            r = c.call(*argv)
            assert r[0] == "err" and r[1].startswith("NOPERM"), (label, r)
    assert snapshot(srv) == before


@pytest.mark.parametrize("user,owner", TENANTS.items())
def test_own_commands_all_work(srv, user, owner):
    c = login(srv, user)
    for g in (owner + "_test", "{%s_test}" % owner):
        for label, argv in keyed_commands(g):
            r = c.call(*argv)
            assert r[0] != "err" or r[1].startswith("FENCED"), (label, r)
        for name in LISTINGS:
            assert c.call("sumavlib." + name, "*", "GROUP", g)[0] == "array"


@pytest.mark.parametrize("user,owner,other", [("t1", "agent.zy", "agent.yy"),
                                              ("t2", "agent.yy", "agent.zy")])
def test_listings_filter_the_other_tenant(srv, user, owner, other):
    c = login(srv, user)
    cfg = plain(c.call("sumavlib.suma_diamond_list", "*"))
    assert (owner + ".secret").encode() in cfg
    assert (other + ".secret").encode() not in cfg
    for name in ("suma_vip_server_list", "suma_vip_register_list"):
        vips = plain(c.call("sumavlib." + name, "*"))
        assert (SERVER[owner]).encode() in vips, name
        assert SERVER[other].encode() not in vips, name
    for name in LISTINGS:
        # GROUP naming the other tenant: the listing is keyless, so the ACL
        # key check cannot refuse it; the per-item filter leaves all out.
        for g in (other + "_test", "{%s_test}" % other):
            assert plain(c.call("sumavlib." + name, "*", "GROUP", g)) == [], (name, g)
        seen, cursor = [], "0"
        for _ in range(1000):
            cursor, items = plain(c.call("sumavlib." + name, "*", "CURSOR", cursor, "COUNT", "1"))
            seen += items
            if cursor == b"0":
                break
        assert all(not i.startswith(other.encode()) and i != SERVER[other].encode()
                   for i in seen), (name, seen)
    # The default user (no key restriction) sees both: the filter is the ACL's.
    admin = Conn(srv.port)
    both = plain(admin.call("sumavlib.suma_diamond_list", "*"))
    assert (owner + ".secret").encode() in both and (other + ".secret").encode() in both


@pytest.mark.parametrize("user,other", [("t1", "agent.yy"), ("t2", "agent.zy")])
def test_events_of_the_other_tenant_are_denied(srv, user, other):
    c = login(srv, user)
    for g in (other + "_test", "{%s_test}" % other):
        r = c.call("sumavlib.suma_events", g + "_channel", "0")
        assert r[0] == "err" and r[1].startswith("NOPERM"), r


@pytest.mark.parametrize("user,owner,other", [("t1", "agent.zy", "agent.yy"),
                                              ("t2", "agent.yy", "agent.zy")])
def test_cross_tenant_subscribe_is_denied(srv, user, owner, other):
    for cmd, ch in [("SUBSCRIBE", other + "_test_channel"),
                    ("SUBSCRIBE", "{%s_test}_channel" % other),
                    ("PSUBSCRIBE", other + "_*"),
                    ("PSUBSCRIBE", "{%s_*" % other),
                    ("PSUBSCRIBE", "*"),
                    ("PSUBSCRIBE", owner + "_t*"),  # patterns must equal a granted one
                    ("SUBSCRIBE", "other_channel")]:
        c = login(srv, user)
        r = c.call(cmd, ch)
        assert r[0] == "err" and r[1].startswith("NOPERM"), (cmd, ch, r)
        c.close()


def test_own_subscription_gets_own_events_only(srv):
    sub = login(srv, "t1")
    assert plain(sub.call("PSUBSCRIBE", "agent.zy_*")) == [b"psubscribe", b"agent.zy_*", 1]
    t2 = login(srv, "t2")
    assert t2.call("sumavlib.suma_message_publish", "agent.yy_test", '{"from":"t2"}') == ("int", 1)
    t1 = login(srv, "t1")
    assert t1.call("sumavlib.suma_message_publish", "agent.zy_test", '{"from":"t1"}') == ("int", 1)
    # Messages arrive in publish order: if t2's event had been delivered it
    # would come first.
    msg = plain(sub.read())
    assert msg[0] == b"pmessage" and msg[2] == b"agent.zy_test_channel", msg
    assert json.loads(msg[3])["data"] == {"from": "t1"}


def test_keyless_introspection_is_not_granted(srv):
    """With the documented ACL line a tenant cannot list other tenants' key or
    channel names through keyless commands."""
    c = login(srv, "t1")
    for argv in (["SCAN", "0"], ["KEYS", "*"], ["RANDOMKEY"], ["PUBSUB", "CHANNELS"],
                 ["DBSIZE"], ["INFO", "keyspace"], ["CLIENT", "LIST"], ["MONITOR"],
                 ["ACL", "LIST"], ["CONFIG", "SET", "sumavlib.tenant", ""]):
        r = c.call(*argv)
        assert r[0] == "err" and r[1].startswith("NOPERM"), (argv, r)


def test_all_minus_dangerous_covers_module_commands_but_leaks_names(srv):
    """Why docs/security.md grants commands one by one: on 7.0 `+@all`
    includes module commands, but `+@all -@dangerous` leaves SCAN, RANDOMKEY
    and PUBSUB CHANNELS, which name other tenants' keys and channels."""
    admin = Conn(srv.port)
    assert admin.call("ACL", "SETUSER", "loose", "reset", "on", ">pw", "~agent.zy_*",
                      "&agent.zy_*", "+@all", "-@dangerous") == ("simple", "OK")
    c = Conn(srv.port)
    assert c.call("AUTH", "loose", "pw") == ("simple", "OK")
    assert c.call("sumavlib.suma_diamond_get", "agent.zy_test", "agent.zy.secret")[0] == "array"
    assert c.call("sumavlib.suma_diamond_get", "agent.yy_test", "agent.yy.secret")[1].startswith("NOPERM")
    cursor, keys = plain(c.call("SCAN", "0", "COUNT", "10000"))
    assert any(k.startswith(b"agent.yy_test:") for k in keys)  # the leak
