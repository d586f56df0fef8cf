"""Traffic: vip_kill (drain), vip_reset (restore), vip_drained."""
import time

from conftest import G, MASTER, CHANNEL, assert_event, cmd

A, B, C = "10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001"


def beat(r, *vips):
    for v in vips:
        cmd(r, "suma_keep_alive", MASTER, v)
        time.sleep(0.003)


def test_kill_drains_from_every_routing_list_until_reset(r, server, subscribe):
    ev = subscribe(server)
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    time.sleep(0.003)
    beat(r, B, C)
    assert cmd(r, "suma_vip_kill", CHANNEL, B) == 1
    assert cmd(r, "suma_vip_kill", CHANNEL, B) == 0
    killed = ev.wait(lambda e: e["type"] == "kill")
    assert_event(killed, "kill", vip=B)
    drained_at = int(r.hget(G + ":drained", B))
    assert cmd(r, "suma_vip_drained", CHANNEL) == [B, str(drained_at)]
    # B keeps heartbeating but stays out of every list.
    beat(r, B)
    assert cmd(r, "suma_vip_list", MASTER) == [C, A]
    assert cmd(r, "suma_keep_alive", MASTER, A) == [A, C]
    assert cmd(r, "suma_keep_alive", MASTER, B) == A  # it still learns the leader
    # Reset brings it back, in its heartbeat order.
    assert cmd(r, "suma_vip_reset", CHANNEL, B) == 1
    assert cmd(r, "suma_vip_reset", CHANNEL, B) == 0
    reset = ev.wait(lambda e: e["type"] == "reset")
    assert_event(reset, "reset", vip=B)
    assert reset["seq"] > killed["seq"]
    assert cmd(r, "suma_vip_list", MASTER) == [B, A, C]
    assert cmd(r, "suma_vip_drained", CHANNEL) == []
    assert len(ev.of_type("kill")) == 1 and len(ev.of_type("reset")) == 1


def test_kill_of_unseen_vip_applies_when_it_appears(r):
    assert cmd(r, "suma_vip_reset", CHANNEL, C) == 0
    assert cmd(r, "suma_vip_kill", MASTER, C) == 1
    beat(r, A, C)
    assert cmd(r, "suma_vip_list", MASTER) == [A]
    assert cmd(r, "suma_vip_list", MASTER, "*") == [A]
    assert cmd(r, "suma_vip_info", MASTER, C)[:2] == ["state", "drained"]


def test_drained_lists_every_vip_and_forms_share_state(r):
    assert cmd(r, "suma_vip_kill", "agent.zy_test:channel", A) == 1
    assert cmd(r, "suma_vip_kill", G, B) == 1
    flat = cmd(r, "suma_vip_drained", "agent.zy_test.channel")
    pairs = dict(zip(flat[0::2], flat[1::2]))
    assert set(pairs) == {A, B}
    for v in pairs.values():
        assert int(v) > 1_600_000_000_000
    assert cmd(r, "suma_vip_kill", CHANNEL, A) == 0
    # The braced group is separate.
    assert cmd(r, "suma_vip_drained", "{agent.zy_test}_channel") == []
    assert cmd(r, "suma_vip_kill", "{agent.zy_test}_channel", A) == 1
    assert r.hexists("{agent.zy_test}:drained", A)
