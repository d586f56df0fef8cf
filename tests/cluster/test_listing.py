"""Listing commands without GROUP are node-local, like SCAN: each primary
answers for its own slots. redis-py's RedisCluster and node-redis
createCluster list across the cluster by running them on every primary
(docs/clients.md shows the same code)."""
import json
import os
import shutil
import subprocess

from scenario import fresh_group

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "agent", "clients", "node")


def seed_groups(cluster, rc):
    """One group on every primary, each with a config key and a server."""
    groups = [fresh_group(cluster, p) for p in cluster.primaries()]
    for i, g in enumerate(groups):
        rc.execute_command("sumavlib.suma_diamond_publish", g + "_channel", "k%d" % i, "v")
        rc.execute_command("sumavlib.suma_vip_register", g + "_master", "10.7.0.%d:1" % i)
    return groups


def test_one_node_sees_only_its_own_slots(healthy):
    rc = healthy.cluster_client()
    seed_groups(healthy, rc)
    per_node = []
    for p in healthy.primaries():
        c = p.client()
        per_node.append(set(c.execute_command("sumavlib.suma_diamond_list", "k*", "COUNT", 1000)))
        c.close()
    assert all(len(s) >= 1 for s in per_node), per_node
    assert all(not (a & b) for i, a in enumerate(per_node) for b in per_node[i + 1:]), per_node
    rc.close()


def test_redis_py_lists_across_the_cluster(healthy):
    from redis.cluster import RedisCluster
    rc = healthy.cluster_client()
    groups = seed_groups(healthy, rc)
    # The docs/clients.md example.
    keys = set()
    for node in rc.get_primaries():
        cursor = "0"
        while True:
            cursor, page = rc.execute_command("sumavlib.suma_diamond_list", "*", "CURSOR", cursor,
                                              "COUNT", 1000, target_nodes=node)
            keys.update(page)
            if cursor == "0":
                break
    servers = rc.execute_command("sumavlib.suma_vip_server_list", "*", "COUNT", 1000,
                                 target_nodes=RedisCluster.PRIMARIES)
    # RedisCluster merges a multi-node reply into {node name: reply}.
    merged = set()
    for reply in (servers.values() if isinstance(servers, dict) else [servers]):
        merged.update(reply)
    for i in range(len(groups)):
        assert "k%d" % i in keys
        assert "10.7.0.%d:1" % i in merged
    rc.close()


def test_node_redis_create_cluster_lists_across_the_cluster(healthy):
    npm = shutil.which("npm")
    assert npm, "npm is missing (scripts/deps-test.txt lists it)"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR,
                   check=True, timeout=300)
    rc = healthy.cluster_client()
    groups = seed_groups(healthy, rc)
    out = subprocess.run(["node", os.path.join(HERE, "list_all.js"), str(healthy.primaries()[0].port),
                          groups[1]], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules")))
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["masters"] == len(healthy.primaries())
    for i in range(len(groups)):
        assert "k%d" % i in got["keys"]
        assert "10.7.0.%d:1" % i in got["servers"]
    assert "node.key" in got["keys"]
    assert rc.execute_command("sumavlib.suma_diamond_get", groups[1] + "_channel",
                              "node.key")[0] == "from-node"
    rc.close()
