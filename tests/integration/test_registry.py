"""Registry: vip_register, vip_unregister, vip_server_get, vip_server_list
and its alias vip_register_list."""
import json
import time

from conftest import G, MASTER, CHANNEL, assert_event, cmd

A, B = "10.0.0.1:9001", "10.0.0.2:9001"


def test_register_new_update_and_meta_kept(r, server, subscribe):
    ev = subscribe(server)
    assert cmd(r, "suma_vip_server_get", MASTER, A) is None
    assert cmd(r, "suma_vip_register", MASTER, A, '{"role": "web", "w": 3}') == 1
    meta, reg, upd = cmd(r, "suma_vip_server_get", MASTER, A)
    assert json.loads(meta) == {"role": "web", "w": 3} and reg == upd > 1_600_000_000_000
    time.sleep(0.005)
    # Re-registering without meta keeps the meta, refreshes updated_ms.
    assert cmd(r, "suma_vip_register", CHANNEL, A) == 0
    meta2, reg2, upd2 = cmd(r, "suma_vip_server_get", G, A)
    assert meta2 == meta and reg2 == reg and upd2 > upd
    # With meta it replaces it.
    assert cmd(r, "suma_vip_register", MASTER, A, '{"role":"db"}') == 0
    assert cmd(r, "suma_vip_server_get", MASTER, A)[0] == '{"role":"db"}'
    # A new server without meta gets {}.
    assert cmd(r, "suma_vip_register", MASTER, B) == 1
    assert cmd(r, "suma_vip_server_get", MASTER, B)[0] == "{}"
    events = ev.wait_count(4)
    assert_event(events[0], "register", vip=A, new=1, meta={"role": "web", "w": 3})
    assert_event(events[1], "register", vip=A, new=0)
    assert "meta" not in events[1]
    assert_event(events[2], "register", vip=A, new=0, meta={"role": "db"})
    assert_event(events[3], "register", vip=B, new=1)
    # Registration is not a heartbeat.
    assert cmd(r, "suma_vip_list", MASTER) == []


def test_unregister(r, server, subscribe):
    ev = subscribe(server)
    cmd(r, "suma_vip_register", MASTER, A, '{}')
    assert cmd(r, "suma_vip_unregister", MASTER, A) == 1
    assert cmd(r, "suma_vip_unregister", MASTER, A) == 0
    assert cmd(r, "suma_vip_server_get", MASTER, A) is None
    assert cmd(r, "suma_vip_server_list", "*") == []
    events = ev.wait_count(2)
    assert_event(events[1], "unregister", vip=A)
    assert len(events) == 2
    # Registering again is new.
    assert cmd(r, "suma_vip_register", MASTER, A) == 1


def test_server_list_pattern_group_alias(r):
    cmd(r, "suma_vip_register", MASTER, A)
    cmd(r, "suma_vip_register", MASTER, B)
    cmd(r, "suma_vip_register", "agent.zy_other_master", "10.9.0.1:1")
    cmd(r, "suma_vip_register", "{agent.zy_test}_master", "10.8.0.1:1")
    everything = sorted([A, B, "10.9.0.1:1", "10.8.0.1:1"])
    assert sorted(cmd(r, "suma_vip_server_list", "*")) == everything
    assert sorted(cmd(r, "suma_vip_register_list", "*")) == everything
    assert sorted(cmd(r, "suma_vip_server_list", "10.0.*")) == [A, B]
    assert sorted(cmd(r, "suma_vip_register_list", "*", "GROUP", G)) == [A, B]
    assert cmd(r, "suma_vip_server_list", "*:9001", "GROUP", "agent.zy_other") == []
    assert cmd(r, "suma_vip_server_list", "*", "GROUP", "{agent.zy_test}") == ["10.8.0.1:1"]
    assert cmd(r, "suma_vip_server_list", "*.2:*") == [B]


def test_server_list_paging(r):
    vips = {"10.1.%d.%d:80" % (i // 100, i % 100) for i in range(230)}
    with r.pipeline(transaction=False) as p:
        for v in vips:
            p.execute_command("sumavlib.suma_vip_register", MASTER, v)
        assert p.execute() == [1] * 230
    assert len(cmd(r, "suma_vip_server_list", "*")) == 100
    for name in ("suma_vip_server_list", "suma_vip_register_list"):
        cursor, seen = "0", []
        for _ in range(500):
            cursor, page = cmd(r, name, "10.1.*", "GROUP", MASTER, "CURSOR", cursor, "COUNT", "30")
            seen += page
            if cursor == "0":
                break
        assert cursor == "0"
        assert sorted(set(seen)) == sorted(vips)
