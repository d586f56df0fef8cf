"""Leader family: try_leader, leader_info, leader_resign, leader_check, IFEPOCH."""
import time

import pytest

from conftest import CHANNEL, MASTER, G, assert_event, cmd, wait_until

A, B, C = "10.0.0.1:9001", "10.0.0.2:9001", "10.0.0.3:9001"


def leader_info(r, key=MASTER):
    return cmd(r, "suma_leader_info", key)


def epoch(r, key=MASTER):
    """The group's last granted epoch, as leader_info reports it."""
    info = leader_info(r, key)
    assert info[2] == "epoch" and isinstance(info[3], int), info
    return info[3]


# Elects vip with a lease and, in the same atomic step, runs one guarded
# command with the epoch just granted (a short lease cannot lapse in between).
# Lua numbers are doubles: the epoch (< 2^53) goes back as "%d", exactly.
ELECT_THEN = """
local took = redis.call('sumavlib.suma_try_leader', KEYS[1], ARGV[1], ARGV[2])
local info = redis.call('sumavlib.suma_leader_info', KEYS[1])
local e = string.format('%d', info[4])
local out = {took, e}
if ARGV[3] == 'check' then
  out[3] = redis.call('sumavlib.suma_leader_check', KEYS[1], e)
else
  out[3] = redis.call('sumavlib.suma_diamond_publish', KEYS[2], 'k', 'v1', 'IFEPOCH', e)
  local v = redis.call('sumavlib.suma_diamond_get', KEYS[2], 'k')[2]
  out[4] = redis.call('sumavlib.suma_diamond_cas', KEYS[2], 'k', string.format('%d', v), 'v2',
                      'ifepoch', e)
end
return out
"""


def test_first_caller_leads_others_do_not(r, server, subscribe):
    ev = subscribe(server)
    assert leader_info(r) == ["vip", None, "epoch", 0, "lease_left_ms", 0]
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    time.sleep(0.003)
    assert cmd(r, "suma_try_leader", MASTER, B) == 0
    # try_leader counts as a heartbeat of every caller: B most recent.
    assert cmd(r, "suma_vip_list", MASTER) == [B, A]
    time.sleep(0.003)
    assert cmd(r, "suma_try_leader", MASTER, A) == 1  # renewal, same tenure
    assert cmd(r, "suma_vip_list", MASTER) == [A, B]
    info = leader_info(r)
    assert info[:3] == ["vip", A, "epoch"] and info[3] > 0
    assert info[4] == "lease_left_ms" and 0 < info[5] <= 10000
    leader = ev.wait(lambda e: e["type"] == "leader")
    assert_event(leader, "leader", vip=A, epoch=info[3], lease_ms=10000)
    assert "previous" not in leader
    ev.wait(lambda e: e["type"] == "online" and e["vip"] == B)
    # The renewal did not start a new term.
    assert len(ev.of_type("leader")) == 1


def test_default_vip_is_callers_ip_without_port(r):
    assert cmd(r, "suma_try_leader", MASTER) == 1
    assert leader_info(r)[:3] == ["vip", "127.0.0.1", "epoch"] and epoch(r) > 0
    assert cmd(r, "suma_vip_list", MASTER) == ["127.0.0.1"]
    # The caller renews with the same default vip; an explicit other vip loses.
    assert cmd(r, "suma_try_leader", MASTER) == 1
    assert cmd(r, "suma_try_leader", MASTER, A) == 0


def test_lease_argument_and_expiry_gives_next_epoch(r, server, subscribe):
    ev = subscribe(server)
    with r.pipeline(transaction=True) as p:  # atomic: the lease cannot lapse in between
        p.execute_command("sumavlib.suma_try_leader", MASTER, A, "300")
        p.execute_command("sumavlib.suma_leader_info", MASTER)
        took, info = p.execute()
    assert took == 1
    first = info[3]
    assert info[:3] == ["vip", A, "epoch"] and first > 0 and 0 < info[5] <= 300
    wait_until(lambda: leader_info(r)[1] is None, what="lease expiry")
    # Nobody leads, the last granted epoch is still reported.
    assert leader_info(r) == ["vip", None, "epoch", first, "lease_left_ms", 0]
    assert cmd(r, "suma_try_leader", MASTER, B) == 1
    second_epoch = epoch(r)
    assert leader_info(r)[:2] == ["vip", B] and second_epoch > first
    second = ev.wait(lambda e: e["type"] == "leader" and e["epoch"] == second_epoch)
    assert_event(second, "leader", vip=B, epoch=second_epoch, previous=A, lease_ms=10000)
    assert [e["epoch"] for e in ev.of_type("leader")] == [first, second_epoch]


def test_same_leader_after_its_own_lease_lapsed_gets_new_epoch(r):
    assert cmd(r, "suma_try_leader", MASTER, A, "100") == 1
    first = epoch(r)
    wait_until(lambda: leader_info(r)[1] is None, what="lease expiry")
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    assert leader_info(r)[:2] == ["vip", A] and epoch(r) > first


def lease_left_around(r, vip):
    """[lease_left before, keep_alive reply, lease_left after] in one MULTI."""
    with r.pipeline(transaction=True) as p:
        p.execute_command("sumavlib.suma_leader_info", MASTER)
        p.execute_command("sumavlib.suma_keep_alive", MASTER, vip)
        p.execute_command("sumavlib.suma_leader_info", MASTER)
        before, reply, after = p.execute()
    return before[5], reply, after[5]


def test_keep_alive_renews_leader_lease_but_never_takes_leadership(r):
    # No leader: keep_alive does not elect anybody.
    assert cmd(r, "suma_keep_alive", MASTER, A) is None
    assert leader_info(r)[1] is None
    assert cmd(r, "suma_try_leader", MASTER, A, "5000") == 1
    granted = epoch(r)
    time.sleep(0.3)
    before, reply, after = lease_left_around(r, A)
    assert reply == [A]
    # Renewed for the leader's own lease length (5000, not lease-ms 10000).
    assert before <= 4700 < after <= 5000
    assert leader_info(r)[:4] == ["vip", A, "epoch", granted]
    # A follower's heartbeat does not renew the leader's lease.
    time.sleep(0.3)
    before, reply, after = lease_left_around(r, B)
    assert reply == A
    assert after <= before <= 4700


def test_resign(r, server, subscribe):
    ev = subscribe(server)
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    e1 = epoch(r)
    assert cmd(r, "suma_leader_resign", MASTER, B) == 0
    assert cmd(r, "suma_leader_resign", MASTER, A) == 1
    assert cmd(r, "suma_leader_resign", MASTER, A) == 0
    assert leader_info(r) == ["vip", None, "epoch", e1, "lease_left_ms", 0]
    resign = ev.wait(lambda e: e["type"] == "resign")
    assert_event(resign, "resign", vip=A, epoch=e1)
    # Epochs never go back, also after a resignation: the next tenure is
    # larger, even for the vip that resigned.
    assert cmd(r, "suma_try_leader", MASTER, B) == 1
    e2 = epoch(r)
    assert leader_info(r)[:2] == ["vip", B] and e2 > e1
    assert cmd(r, "suma_leader_resign", MASTER, B) == 1
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    assert leader_info(r)[:2] == ["vip", A] and epoch(r) > e2


def test_epochs_strictly_increase_over_many_tenures(r):
    seen = []
    vips = [A, B, C]
    for i in range(9):
        v = vips[i % 3]
        assert cmd(r, "suma_try_leader", MASTER, v, "60000" if i % 2 else "100") == 1
        seen.append(leader_info(r)[3])
        if i % 2:
            assert cmd(r, "suma_leader_resign", MASTER, v) == 1
        else:
            wait_until(lambda: leader_info(r)[1] is None, what="lease expiry")
        assert leader_info(r)[3] == seen[-1]
    assert len(seen) == 9 and seen == sorted(set(seen)) and seen[0] > 0


def test_leader_check_and_fencing(r, raw):
    assert raw.error("sumavlib.suma_leader_check", MASTER, "1") == \
        "FENCED epoch 1 is not the current leadership (no leader)"
    took, e1, checked = r.eval(ELECT_THEN, 1, MASTER, A, "200", "check")
    assert (took, checked) == (1, 1) and int(e1) > 0
    wait_until(lambda: leader_info(r)[1] is None, what="lease expiry")
    assert cmd(r, "suma_try_leader", MASTER, B) == 1
    e2 = epoch(r)
    assert e2 > int(e1)
    assert raw.error("sumavlib.suma_leader_check", MASTER, e1) == \
        "FENCED epoch %s is not the current leadership (current epoch %d)" % (e1, e2)
    assert cmd(r, "suma_leader_check", CHANNEL, str(e2)) == 1


def test_ifepoch_guards_writes_atomically(r, server, raw):
    took, e1, published, swapped = r.eval(ELECT_THEN, 2, MASTER, CHANNEL, A, "200", "write")
    assert [took, published, swapped] == [1, 1, 1]
    wait_until(lambda: leader_info(r)[1] is None, what="lease expiry")
    assert cmd(r, "suma_try_leader", MASTER, B) == 1
    e2 = epoch(r)
    assert e2 > int(e1)
    value, version, _ = cmd(r, "suma_diamond_get", CHANNEL, "k")
    assert value == "v2"
    from conftest import snapshot
    before = snapshot(server)
    for args in (("suma_diamond_publish", CHANNEL, "k", "v3", "IFEPOCH", e1),
                 ("suma_diamond_cas", CHANNEL, "k", str(version), "v3", "IFEPOCH", e1),
                 ("suma_diamond_delete", CHANNEL, "k", "IFEPOCH", e1)):
        assert raw.error("sumavlib." + args[0], *args[1:]) == \
            "FENCED epoch %s is not the current leadership (current epoch %d)" % (e1, e2)
    assert snapshot(server) == before
    assert cmd(r, "suma_diamond_get", CHANNEL, "k")[:2] == ["v2", version]
    assert cmd(r, "suma_diamond_delete", CHANNEL, "k", "IFEPOCH", str(e2)) == 1


def test_naming_forms_name_one_leader(r):
    assert cmd(r, "suma_try_leader", "agent.zy_test.master", A) == 1
    e1 = epoch(r)
    assert e1 > 0
    for form in (MASTER, CHANNEL, G, "agent.zy_test:master", "agent.zy_test-channel"):
        assert leader_info(r, form)[:4] == ["vip", A, "epoch", e1], form
    # The braced form is a different group with its own epochs.
    assert leader_info(r, "{agent.zy_test}_master")[:4] == ["vip", None, "epoch", 0]
    assert cmd(r, "suma_try_leader", "{agent.zy_test}_master", B) == 1
    e2 = epoch(r, "{agent.zy_test}_channel")
    assert leader_info(r, "{agent.zy_test}_channel")[:2] == ["vip", B] and e2 > e1
    assert leader_info(r, G)[:4] == ["vip", A, "epoch", e1]


def test_try_leader_without_vip_needs_an_ip_address(r):
    # A Lua script's fake client has no address: the vip must be given.
    with pytest.raises(Exception) as e:
        r.eval("return redis.call('sumavlib.suma_try_leader', KEYS[1])", 1, MASTER)
    assert "give the vip: this caller has no IP address" in str(e.value)
    assert r.eval("return redis.call('sumavlib.suma_try_leader', KEYS[1], ARGV[1])", 1, MASTER,
                  "10.0.0.1:80") == 1
