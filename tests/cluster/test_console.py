"""suma-console in cluster mode (--cluster seeds): groups from every primary,
group pages and actions on the owning primary, per-node metrics, and the
same after a failover."""
import os
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

from console_support import Console, Http, metric, parse_metrics  # noqa: E402
from scenario import fresh_group  # noqa: E402


def test_console_sees_every_primary(healthy):
    rc = healthy.cluster_client()
    groups = []
    for i, p in enumerate(healthy.primaries()):
        g = fresh_group(healthy, p)
        groups.append(g)
        rc.execute_command("sumavlib.suma_keep_alive", g + "_master", "10.6.0.%d:1" % i)
        rc.execute_command("sumavlib.suma_diamond_publish", g + "_channel", "k", "v1")
    seeds = ",".join(n.addr for n in healthy.live())
    con = Console(healthy.primaries()[0].port, password=None, extra=["--cluster", seeds])
    try:
        http = Http(con.url)
        listed = http.get("/api/groups").json()["groups"]
        assert set(groups) <= set(listed), (groups, listed)
        for i, g in enumerate(groups):
            r = http.get("/api/group?g=" + urllib.parse.quote(g))
            assert r.status == 200, r.body
            assert "10.6.0.%d:1" % i in r.text
        # An action on a group whose slot the seed does not own.
        r = http.post("/api/publish", {"g": groups[-1], "key": "k", "value": "v2"})
        assert r.status == 200, r.body
        assert rc.execute_command("sumavlib.suma_diamond_get", groups[-1] + "_channel",
                                  "k")[0] == "v2"
        m = parse_metrics(http.get("/metrics").text)
        assert metric(m, "suma_up") == 1
        for p in healthy.primaries():
            assert metric(m, "suma_node_up", node=p.addr) == 1, p.addr
            assert metric(m, "suma_module_heartbeats_total", node=p.addr) is not None
        for g in groups:
            assert metric(m, "suma_group_live_hosts", group=g) == 1, g
        # After a failover of the first group's primary the console finds the new one.
        replica = healthy.replica_of(healthy.primaries()[0])
        healthy.failover(replica)
        healthy.wait_stable()
        for g in groups:
            r = http.get("/api/group?g=" + urllib.parse.quote(g))
            assert r.status == 200, (g, r.body)
        m = parse_metrics(http.get("/metrics").text)
        assert metric(m, "suma_node_up", node=replica.addr) == 1
    finally:
        con.stop()
        rc.close()
