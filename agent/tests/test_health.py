"""Traffic: the health endpoint follows suma_vip_kill / suma_vip_reset, and
the drain state is re-read when the agent starts."""
from agentlib import CHANNEL, GROUP


def test_health_turns_503_on_kill_and_200_on_reset(server, r, agents):
    a = agents(server)
    a.wait("healthy", lambda: a.health() == (200, "ok\n"))

    assert r.execute_command("sumavlib.suma_vip_kill", CHANNEL, a.vip) == 1
    a.wait("drained", lambda: a.health() == (503, "drained\n"))

    assert r.execute_command("sumavlib.suma_vip_reset", CHANNEL, a.vip) == 1
    a.wait("restored", lambda: a.health() == (200, "ok\n"))


def test_drain_state_is_read_on_start(server, r, agents):
    # Drained before the agent ever ran: no event reaches it, only vip_info.
    vip = "127.0.0.1:9002"
    assert r.execute_command("sumavlib.suma_vip_kill", CHANNEL, vip) == 1
    a = agents(server, vip=vip)
    a.wait("drained from vip_info", lambda: a.health() == (503, "drained\n"))
    assert a.status()["drained"] is True

    # Restored while the agent is down: learnt again on the next start.
    assert a.terminate() == 0
    assert r.execute_command("sumavlib.suma_vip_reset", CHANNEL, vip) == 1
    a.start()
    a.wait("restored after restart", lambda: a.health() == (200, "ok\n"))
    info = r.execute_command("sumavlib.suma_vip_info", GROUP, vip)
    assert info[info.index("drained") + 1] == 0
