"""The C++ client library on its own (examples/client_demo.cc): each typed
wrapper against a real server."""
import json
import os
import subprocess

from agentlib import CHANNEL, GROUP, ROOT

DEMO = os.environ.get("SUMA_CLIENT_DEMO", os.path.join(ROOT, "build", "agent", "suma-client-demo"))


def test_typed_wrappers(server, r):
    r.execute_command("sumavlib.suma_try_leader", GROUP, "10.0.0.1:1", 60000)
    r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "demo.key", "hello")
    r.execute_command("sumavlib.suma_ci_task", CHANNEL, "PUSH", json.dumps({"x": 1}))
    vip = "10.0.0.2:2"
    out = subprocess.run([DEMO, "127.0.0.1:%d" % server.port, GROUP, vip],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "keep_alive: follower of 10.0.0.1:1",
        "try_leader: leading=0 epoch=1",
        "leader_info: vip=10.0.0.1:1 epoch=1",
        "vip_info: state=live leader=0 drained=0",
        "diamond_get: hello v1",
        "diamond_list: 1 keys",
        "events: 5",
        'task_claim: id=1 attempt=1 payload={"x": 1}',
        "task_ack: 1",
        "leave: 1",
    ]
    assert r.execute_command("sumavlib.suma_ci_task", CHANNEL, "STATS") == ["queued", 0, "claimed", 0]


def test_usage_error():
    out = subprocess.run([DEMO, "nohost"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "usage" in out.stderr
