"""suma-agent in cluster mode (SUMA_CLUSTER seeds): its health endpoint,
config files and leadership stay correct across a reshard of its group's
slot and a planned failover of the primary that owns it."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

import agentlib  # noqa: E402
from suma_testing import wait_until as poll  # noqa: E402
from scenario import fresh_group  # noqa: E402

VIP = "127.0.0.1:9101"


class ClusterAgent(agentlib.Agent):
    def __init__(self, tmp, group, seeds):
        super().__init__(tmp, vip=VIP)
        self.group = group
        self.seeds = seeds

    def argv(self):
        a = super().argv()
        a[a.index("--group") + 1] = self.group
        # Heartbeats every 300 ms against the cluster's 2 s TTL.
        return a + ["--cluster", ",".join(self.seeds)]


def leader(rc, group):
    info = rc.execute_command("sumavlib.suma_leader_info", group + "_master")
    d = dict(zip(info[::2], info[1::2]))
    return d["vip"], int(d["epoch"])


def test_agent_follows_failover(healthy, tmp_path):
    """A planned failover demotes the agent's primary: its next command gets
    MOVED, and the agent continues on the promoted replica."""
    primary = healthy.primaries()[0]
    group = fresh_group(healthy, primary)
    channel = group + "_channel"
    rc = healthy.cluster_client()
    a = ClusterAgent(tmp_path, group, [n.addr for n in healthy.live()]).start()
    try:
        path = os.path.join(a.config_dir, "app.conf")
        rc.execute_command("sumavlib.suma_diamond_publish", channel, "app.conf", "v1")
        a.wait("config v1", lambda: os.path.exists(path) and open(path).read() == "v1")
        a.wait("agent leads", lambda: leader(rc, group)[0] == VIP)
        _, epoch0 = leader(rc, group)
        replica = healthy.replica_of(primary)
        healthy.failover(replica)
        healthy.wait_stable()
        rc.execute_command("sumavlib.suma_diamond_publish", channel, "app.conf", "v2")
        a.wait("config v2", lambda: open(path).read() == "v2")
        a.wait("health 200", lambda: (a.health() or (0,))[0] == 200)
        a.wait("agent leads", lambda: leader(rc, group)[0] == VIP)
        assert leader(rc, group)[1] >= epoch0
        a.wait("connected to the promoted replica",
               lambda: "state=connected server=%s" % replica.addr in a.log())
        # It followed the MOVED from the demoted primary without stepping down.
        assert "moved to %s" % replica.addr in a.log(), a.log()
        assert "event=leader.lost" not in a.log(), a.log()
    finally:
        assert a.terminate() == 0
        rc.close()


def test_agent_follows_reshard_and_failover(healthy, tmp_path):
    src, dst = healthy.primaries()[:2]
    group = fresh_group(healthy, src)
    slot = healthy.lowest_slot(src)
    channel = group + "_channel"
    rc = healthy.cluster_client()
    a = ClusterAgent(tmp_path, group, [n.addr for n in healthy.live()]).start()
    try:
        path = os.path.join(a.config_dir, "app.conf")

        def file_is(v):
            return lambda: os.path.exists(path) and open(path).read() == v

        def settled(version):
            rc.execute_command("sumavlib.suma_diamond_publish", channel, "app.conf", version)
            a.wait("config file " + version, file_is(version))
            a.wait("health 200", lambda: (a.health() or (0,))[0] == 200)
            return a.wait("agent leads", lambda: leader(rc, group)[0] == VIP and leader(rc, group))

        _, epoch0 = settled("v1")
        p = healthy.reshard(src, dst, slots=1)
        assert p.returncode == 0, p.stdout[-3000:]
        assert healthy.slot_owner(slot) is dst
        healthy.wait_stable()
        _, epoch1 = settled("v2")
        assert epoch1 >= epoch0
        replica = healthy.replica_of(dst)
        healthy.failover(replica)
        healthy.wait_stable()
        _, epoch2 = settled("v3")
        assert epoch2 >= epoch1
        # Drain and restore through the new primary reach the agent.
        rc.execute_command("sumavlib.suma_vip_kill", channel, VIP)
        a.wait("health 503", lambda: (a.health() or (0,))[0] == 503)
        rc.execute_command("sumavlib.suma_vip_reset", channel, VIP)
        a.wait("health 200", lambda: (a.health() or (0,))[0] == 200)
        a.wait("connected to the promoted replica",
               lambda: "state=connected server=%s" % replica.addr in a.log())
    finally:
        assert a.terminate() == 0
        rc.close()
