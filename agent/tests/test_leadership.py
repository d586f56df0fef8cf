"""Leadership: one agent leads; SIGTERM makes it resign and leave at once,
and the other agent's became-leader hook runs with a higher epoch."""
from agentlib import GROUP, lines, recorder, wait_until


def test_leadership_moves_when_the_leader_is_stopped(server, r, agents, tmp_path):
    hooks = {}
    made = []
    for name, vip in (("a", "127.0.0.1:9001"), ("b", "127.0.0.1:9002")):
        up, up_out = recorder(str(tmp_path), "up-" + name, ["SUMA_EVENT", "SUMA_EPOCH", "SUMA_VIP", "SUMA_GROUP"])
        down, down_out = recorder(str(tmp_path), "down-" + name, ["SUMA_EVENT", "SUMA_EPOCH", "SUMA_REASON"])
        hooks[vip] = (up_out, down_out)
        made.append(agents(server, name=name, vip=vip, args=["--on-leader", up, "--on-lost-leader", down]))
    # Whichever wins, the other follows.
    wait_until(lambda: [x.status().get("leader") for x in made].count(True) == 1, 30, what="one leader")
    a, b = made if made[0].status()["leader"] else made[::-1]
    b.wait("b follower", lambda: b.status().get("connected"))
    assert not b.status()["leader"]
    epoch = a.status()["epoch"]
    a.wait("a's became-leader hook", lambda: lines(hooks[a.vip][0]))
    assert lines(hooks[a.vip][0]) == ["SUMA_EVENT=became-leader SUMA_EPOCH=%d SUMA_VIP=%s SUMA_GROUP=%s"
                                      % (epoch, a.vip, GROUP)]

    assert a.terminate() == 0
    # Left at once, not after the TTL.
    info = r.execute_command("sumavlib.suma_vip_info", GROUP, a.vip)
    assert info[info.index("state") + 1] in ("offline", "unknown")
    assert a.vip not in r.execute_command("sumavlib.suma_vip_list", GROUP)
    # The hook started before the agent exited; it may finish after.
    a.wait("a's lost-leadership hook", lambda: lines(hooks[a.vip][1]))
    assert lines(hooks[a.vip][1])[0].startswith("SUMA_EVENT=lost-leadership SUMA_EPOCH=%d SUMA_REASON=shutdown" % epoch)

    b.wait("b became leader", lambda: lines(hooks[b.vip][0]))
    event, epoch_b, vip_b, group_b = lines(hooks[b.vip][0])[0].split(" ")
    assert event == "SUMA_EVENT=became-leader"
    assert int(epoch_b.split("=")[1]) > epoch
    assert vip_b == "SUMA_VIP=" + b.vip and group_b == "SUMA_GROUP=" + GROUP
    info = r.execute_command("sumavlib.suma_leader_info", GROUP)
    assert info[1] == b.vip and info[3] == int(epoch_b.split("=")[1])


def test_leader_steps_down_when_renewals_stop_working(server, r, agents, tmp_path):
    down, down_out = recorder(str(tmp_path), "down", ["SUMA_EVENT", "SUMA_EPOCH"])
    a = agents(server, args=["--on-lost-leader", down])
    a.wait("leader", lambda: a.status().get("leader"))
    epoch = a.status()["epoch"]
    # The server stops answering: renewals time out, the lease must be given up.
    server.proc.send_signal(19)  # SIGSTOP
    try:
        a.wait("stepped down", lambda: lines(down_out))
        assert lines(down_out)[0] == "SUMA_EVENT=lost-leadership SUMA_EPOCH=%d" % epoch
        assert a.status()["leader"] is False
    finally:
        server.proc.send_signal(18)  # SIGCONT
    a.wait("leads again", lambda: a.status().get("leader"))
