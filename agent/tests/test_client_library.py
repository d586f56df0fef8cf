"""The C++ client library on its own (examples/client_demo.cc): each typed
wrapper against a real server."""
import json
import os
import subprocess

from agentlib import CHANNEL, GROUP, ROOT

DEMO = os.environ.get("SUMA_CLIENT_DEMO", os.path.join(ROOT, "build", "agent", "suma-client-demo"))


def test_typed_wrappers(server, r):
    r.execute_command("sumavlib.suma_try_leader", GROUP, "10.0.0.1:1", 60000)
    epoch = r.execute_command("sumavlib.suma_leader_info", GROUP)[3]
    r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "demo.key", "hello")
    version = r.execute_command("sumavlib.suma_diamond_get", CHANNEL, "demo.key")[1]
    tid = r.execute_command("sumavlib.suma_ci_task", CHANNEL, "PUSH", json.dumps({"x": 1}))
    # Fencing values are granted in strictly increasing order.
    assert epoch < version < tid
    vip = "10.0.0.2:2"
    out = subprocess.run([DEMO, "127.0.0.1:%d" % server.port, GROUP, vip],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "keep_alive: follower of 10.0.0.1:1",
        "try_leader: leading=0 epoch=%d" % epoch,
        "leader_info: vip=10.0.0.1:1 epoch=%d" % epoch,
        "vip_info: state=live leader=0 drained=0",
        "diamond_get: hello v%d" % version,
        "diamond_list: 1 keys",
        "events: 5",
        'task_claim: id=%d attempt=1 payload={"x": 1}' % tid,
        "task_ack: 1",
        "leave: 1",
    ]
    assert r.execute_command("sumavlib.suma_ci_task", CHANNEL, "STATS") == ["queued", 0, "claimed", 0]


def test_usage_error():
    out = subprocess.run([DEMO, "nohost"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "usage" in out.stderr
