"""Tenant isolation, mode 1: a server locked to one tenant
(`--loadmodule sumavlib.so tenant agent.zy test`, docs/security.md).

Every command against any other group, in every spelling, is refused with the
documented NOPERM and changes nothing; the tenant's own plain and braced
groups work; listings never show another group's items, also items written
before the lock was set.
"""
import pytest

import matrix
from matrix import KEYED, LISTINGS, keyed_commands, snapshot
from suma_testing import RedisServer
from suma_testing.resp import Conn, plain

OWN = ["agent.zy_test", "{agent.zy_test}"]
OTHERS = ["agent.yy_test", "{agent.yy_test}", "agent.zy_prod", "agent.zy_test2", "agent.zy",
          "{agent.zy_prod}", "x.agent.zy_test"]


def noperm(group):
    return ("err", "NOPERM group '%s' does not belong to this server's tenant" % group)


@pytest.fixture(scope="module")
def srv():
    s = RedisServer(module_args=["tenant", "agent.zy", "test"])
    c = Conn(s.port)
    # Other groups' data, written while unlocked (as on a server that was
    # shared before, or by hand).
    assert c.call("CONFIG", "SET", "sumavlib.tenant", "") == ("simple", "OK")
    for g in OTHERS:
        for argv in (["suma_diamond_publish", g, "other.key", "secret"],
                     ["suma_vip_register", g, "10.6.6.6:1", '{"o":1}'],
                     ["suma_keep_alive", g, "10.6.6.6:1"],
                     ["suma_ci_task", g, "PUSH", '{"o":1}']):
            assert c.call("sumavlib." + argv[0], *argv[1:])[0] != "err"
    assert c.call("CONFIG", "SET", "sumavlib.tenant", "agent.zy test") == ("simple", "OK")
    c.close()
    yield s
    s.cleanup()


@pytest.fixture
def c(srv):
    conn = Conn(srv.port)
    yield conn
    conn.close()


def test_matrix_covers_every_module_command(c):
    covered = {"sumavlib." + n for n, _ in KEYED} | {"sumavlib." + n for n in LISTINGS}
    assert set(matrix.all_module_commands(c)) <= covered


def test_lock_is_reported(c):
    assert plain(c.call("CONFIG", "GET", "sumavlib.tenant")) == [b"sumavlib.tenant", b"agent.zy test"]


@pytest.mark.parametrize("other", OTHERS)
def test_every_command_on_another_group_is_noperm(c, other):
    before = snapshot(c)
    for label, argv in keyed_commands(other):
        assert c.call(*argv) == noperm(other), label
    for name in LISTINGS:
        for form in matrix.FORMS:
            assert c.call("sumavlib." + name, "*", "GROUP", form(other)) == noperm(other), name
    assert snapshot(c) == before


@pytest.mark.parametrize("own", OWN)
def test_own_plain_and_braced_groups_work(c, own):
    for label, argv in keyed_commands(own):
        r = c.call(*argv)
        # leader_check may say FENCED (no current tenure); nothing else fails.
        assert r[0] != "err" or r[1].startswith("FENCED"), (label, r)
    for name in LISTINGS:
        assert c.call("sumavlib." + name, "*", "GROUP", own)[0] == "array"


def test_listings_show_only_the_tenants_items(c):
    assert c.call("sumavlib.suma_diamond_publish", "agent.zy_test", "own.key", "v") == ("int", 1)
    assert c.call("sumavlib.suma_vip_register", "{agent.zy_test}", "10.1.1.1:1") in \
        (("int", 0), ("int", 1))
    cfg = plain(c.call("sumavlib.suma_diamond_list", "*"))
    assert b"own.key" in cfg and b"other.key" not in cfg
    srv = plain(c.call("sumavlib.suma_vip_server_list", "*"))
    assert b"10.1.1.1:1" in srv and b"10.6.6.6:1" not in srv
    # Paged, too.
    seen, cursor = [], "0"
    for _ in range(1000):
        cursor, items = plain(c.call("sumavlib.suma_diamond_list", "*", "CURSOR", cursor,
                                     "COUNT", "1"))
        seen += items
        if cursor == b"0":
            break
    assert b"other.key" not in seen and b"own.key" in seen


def test_tenant_lock_cannot_be_spelled_around(c):
    # Group-name tricks that must not reach agent.yy_test or the like.
    for arg in ["agent.yy_test_master_master", "{agent.yy_test}", "agent.yy_test\x00",
                "agent.zy_test/../agent.yy_test", "agent.zy_test agent.yy_test"]:
        r = c.call("sumavlib.suma_diamond_get", arg, "other.key")
        assert r[0] == "err" and (r[1].startswith("NOPERM") or r[1].startswith("ERR invalid group")), (arg, r)
