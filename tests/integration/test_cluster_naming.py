"""Redis Cluster: only the hash-tag form of a group is accepted, and every
internal key lives in the slot of the tag."""
import json
import os
import shutil
import tempfile
import time

import pytest

from conftest import Raw, cmd, wait_until
from suma_testing import RedisServer, free_port

TAGGED_M, TAGGED_C = "{agent.zy_test}_master", "{agent.zy_test}_channel"


@pytest.fixture(scope="module")
def one_node_cluster():
    d = tempfile.mkdtemp(prefix="suma-cluster-")
    try:
        # An explicit bus port: the default (port + 10000) may be taken or too high.
        s = RedisServer(datadir=d, extra=["--cluster-enabled", "yes", "--cluster-port",
                                          free_port(), "--cluster-config-file",
                                          os.path.join(d, "nodes.conf")])
    except Exception:
        shutil.rmtree(d, ignore_errors=True)
        raise
    try:
        r = s.client()
        assert r.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        wait_until(lambda: "cluster_state:ok" in r.execute_command("CLUSTER", "INFO"),
             what="cluster_state ok")
        r.close()
        yield s
    finally:
        s.cleanup()


@pytest.fixture
def cluster(one_node_cluster):
    r = one_node_cluster.client()
    r.flushall()
    r.close()
    return one_node_cluster


def test_bare_forms_refused_with_hash_tag_error(cluster):
    raw = Raw(cluster)
    r = cluster.client()
    for arg in ("agent.zy_test_master", "agent.zy_test_channel", "agent.zy_test",
                "agent.zy_test.master"):
        want = ("ERR invalid group 'agent.zy_test': on Redis Cluster write the group in "
                "hash-tag form, e.g. {agent.zy_test}_master")
        # The client routes by the key; this node owns every slot.
        assert raw.error("sumavlib.suma_try_leader", arg, "10.0.0.1:1") == want, arg
        assert raw.error("sumavlib.suma_keep_alive", arg, "10.0.0.1:1") == want
        assert raw.error("sumavlib.suma_diamond_publish", arg, "k", "v") == want
        assert raw.error("sumavlib.suma_ci_task", arg, "PUSH", "{}") == want
        assert raw.error("sumavlib.suma_diamond_list", "*", "GROUP", arg) == want
    assert r.execute_command("DBSIZE") == 0
    raw.close()


def test_tagged_form_accepted_and_keys_share_the_slot(cluster, subscribe):
    r = cluster.client()
    ev = subscribe(cluster, TAGGED_C)
    assert cmd(r, "suma_try_leader", TAGGED_M, "10.0.0.1:1") == 1
    time.sleep(0.003)
    assert cmd(r, "suma_keep_alive", "{agent.zy_test}", "10.0.0.2:1") == "10.0.0.1:1"
    time.sleep(0.003)
    assert cmd(r, "suma_keep_alive", TAGGED_M, "10.0.0.1:1") == ["10.0.0.1:1", "10.0.0.2:1"]
    assert cmd(r, "suma_vip_list", TAGGED_C) == ["10.0.0.1:1", "10.0.0.2:1"]
    assert cmd(r, "suma_diamond_publish", TAGGED_C, "k", "v") == 1
    value, version, _ = cmd(r, "suma_diamond_get", TAGGED_C, "k")
    assert value == "v" and isinstance(version, int) and version > 0
    assert [h[0] for h in cmd(r, "suma_diamond_history", TAGGED_C, "k")] == [version]
    assert cmd(r, "suma_vip_register", TAGGED_M, "10.0.0.1:1") == 1
    tid = cmd(r, "suma_ci_task", TAGGED_C, "PUSH", "{}")
    assert isinstance(tid, int) and tid > 0
    assert cmd(r, "suma_ci_task", TAGGED_C, "PENDING") == [[tid, "{}"]]
    assert cmd(r, "suma_vip_kill", TAGGED_C, "10.0.0.2:1") == 1
    assert cmd(r, "suma_message_publish", TAGGED_C, '"hi"') == 1
    assert cmd(r, "suma_diamond_list", "*", "GROUP", TAGGED_C) == ["k"]
    assert cmd(r, "suma_vip_server_list", "*", "GROUP", "{agent.zy_test}") == ["10.0.0.1:1"]
    assert [json.loads(e)["type"] for e in cmd(r, "suma_events", TAGGED_C, "0")][-1] == "message"
    slot = r.execute_command("CLUSTER", "KEYSLOT", TAGGED_M)
    assert r.execute_command("CLUSTER", "KEYSLOT", TAGGED_C) == slot
    keys = r.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100)
    assert set(keys) == set(r.keys("*"))
    assert "{agent.zy_test}:hosts" in keys and "{agent.zy_test}:cfg:k" in keys
    assert "{agent.zy_test}:srv:10.0.0.1:1" in keys
    # Events are published on the braced channel.
    msg = ev.wait(lambda e: e["type"] == "message")
    assert msg["group"] == "{agent.zy_test}" and msg["data"] == "hi"


def test_command_keys_declared_for_routing(cluster):
    raw = Raw(cluster)
    # The group argument is the command's key, so cluster clients route it.
    assert raw.call("COMMAND", "GETKEYS", "sumavlib.suma_keep_alive", TAGGED_M,
                    "10.0.0.1:1") == [TAGGED_M.encode()]
    assert raw.call("COMMAND", "GETKEYS", "sumavlib.suma_ci_task", TAGGED_C,
                    "PUSH", "{}") == [TAGGED_C.encode()]
    assert raw.call("COMMAND", "GETKEYS", "sumavlib.suma_diamond_get", TAGGED_C,
                    "k") == [TAGGED_C.encode()]
    from test_bad_input import with_group
    for args in with_group(TAGGED_M):
        if args[0] in ("suma_diamond_list", "suma_vip_server_list", "suma_vip_register_list"):
            continue  # keyless: they scan the keyspace
        assert raw.call("COMMAND", "GETKEYS", "sumavlib." + args[0], *args[1:]) == \
            [TAGGED_M.encode()], args
    raw.close()
