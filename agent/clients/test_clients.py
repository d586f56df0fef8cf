"""The coordination commands from the clients users already run: Python
redis (Debian python3-redis), Node's redis (npm), redis-cli and Ruby's redis
(Debian ruby-redis). Each drives a real server with the module."""
import json
import os
import shutil
import subprocess

import redis

HERE = os.path.dirname(os.path.abspath(__file__))


def test_python_redis(server, r):
    g, ch, vip = "py.zy_test", "py.zy_test_channel", "10.0.0.7:9001"
    p = r.pubsub()
    p.subscribe(ch)
    assert p.get_message(timeout=5)["type"] == "subscribe"

    assert r.execute_command("sumavlib.suma_try_leader", g, vip, 5000) == 1
    info = r.execute_command("sumavlib.suma_leader_info", g)
    assert info[:2] == ["vip", vip]
    epoch = info[3]
    assert r.execute_command("sumavlib.suma_keep_alive", g, "10.0.0.8:9001") == vip
    # Most recently seen first; two heartbeats in the same ms may come in either order.
    assert sorted(r.execute_command("sumavlib.suma_keep_alive", g, vip)) == [vip, "10.0.0.8:9001"]

    assert r.execute_command("sumavlib.suma_diamond_publish", ch, "k", "v1", "IFEPOCH", epoch) == 1
    assert r.execute_command("sumavlib.suma_diamond_cas", ch, "k", 0, "nope") == 0
    value, version = r.execute_command("sumavlib.suma_diamond_get", ch, "k")[:2]
    assert value == "v1" and version > epoch  # fencing values only grow
    try:
        r.execute_command("sumavlib.suma_leader_check", g, epoch + 1)
        raise AssertionError("stale epoch accepted")
    except redis.ResponseError as e:
        assert str(e).startswith("FENCED")

    assert r.execute_command("sumavlib.suma_message_publish", ch, '{"n":1}') == 1
    pushed = []
    while not any(e["type"] == "message" for e in pushed):
        m = p.get_message(timeout=5)
        assert m is not None, "no event on the channel"
        if m["type"] == "message":
            pushed.append(json.loads(m["data"]))
    logged = [json.loads(e) for e in r.execute_command("sumavlib.suma_events", ch, 0)]
    # The channel and the log carry the same events; seqs are contiguous.
    assert [e["seq"] for e in pushed] == [e["seq"] for e in logged]
    seqs = [e["seq"] for e in logged]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert [e["version"] for e in logged if e["type"] == "diamond"] == [version]
    assert logged[-1]["data"] == {"n": 1} and logged[-1]["group"] == g

    tid = r.execute_command("sumavlib.suma_ci_task", ch, "PUSH", '{"t":1}')
    assert tid > version
    assert r.execute_command("sumavlib.suma_ci_task", ch, "CLAIM", vip) == [tid, '{"t":1}', 1]
    assert r.execute_command("sumavlib.suma_ci_task", ch, "ACK", tid, vip) == 1
    assert r.execute_command("sumavlib.suma_vip_leave", g, vip) == 1
    assert r.execute_command("sumavlib.suma_leader_info", g)[1] is None
    p.close()


def test_node_redis(server):
    node_dir = os.path.join(HERE, "node")
    npm = shutil.which("npm")
    assert npm, "npm is missing (scripts/deps-test.txt lists it)"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=node_dir,
                   check=True, timeout=240)
    out = subprocess.run(["node", "smoke.js", str(server.port)], cwd=node_dir, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "node client: ok" in out.stdout


def test_ruby_redis(server):
    out = subprocess.run(["ruby", os.path.join(HERE, "ruby", "smoke.rb"), str(server.port)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ruby client: ok" in out.stdout


def test_redis_cli(server):
    out = subprocess.run([os.path.join(HERE, "redis_cli", "session.sh"), str(server.port)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # try_leader, keep_alive (a follower gets the leader), publish, get
    # lines[4] is the version, lines[5] the publish time
    assert lines[:6] == ["1", "10.0.0.7:9001", "1", "port: 8080", lines[4], lines[5]]
    assert lines[6] == "1"                       # kill
    assert lines[7] == "10.0.0.7:9001"           # the drained vip left the list
    assert lines[8] == "1"                       # message
    events = [json.loads(l) for l in lines[9:-1]]
    assert [e["type"] for e in events] == ["online", "leader", "online", "diamond", "kill", "message"]
    assert events[-1]["data"] == {"hello": "cli"}
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert str(events[3]["version"]) == lines[4]
    assert events[1]["epoch"] < events[3]["version"]  # the election came first
    assert lines[-1] == "1"                      # leave
