"""Config: every diamond value of the group becomes a file (atomically
replaced), and the reload hook runs once per change with key and version."""
import os
import shutil

from agentlib import CHANNEL, lines, recorder


def test_config_file_written_and_hook_run(server, r, agents, tmp_path):
    hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION", "SUMA_DELETED"])
    a = agents(server, args=["--on-config", hook])
    a.wait("connected", lambda: a.status().get("connected"))

    pub = lambda k, v: r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, k, v)
    pub("app.conf", "threads=4\n")
    path = os.path.join(a.config_dir, "app.conf")
    a.wait("file written", lambda: os.path.exists(path) and open(path).read() == "threads=4\n")
    a.wait("hook ran", lambda: "SUMA_KEY=app.conf SUMA_VERSION=1 SUMA_DELETED=0" in lines(out))

    pub("app.conf", "threads=8\n")
    a.wait("hook for v2", lambda: "SUMA_KEY=app.conf SUMA_VERSION=2 SUMA_DELETED=0" in lines(out))
    assert open(path).read() == "threads=8\n"

    # Too large to travel in the event: the agent reads it with diamond_get.
    big = "x" * 10000
    pub("big", big)
    a.wait("big value", lambda: "SUMA_KEY=big SUMA_VERSION=1 SUMA_DELETED=0" in lines(out))
    assert open(os.path.join(a.config_dir, "big")).read() == big

    # A key that is not a safe file name is percent-encoded.
    pub("../etc/passwd", "nope")
    a.wait("encoded key", lambda: any("SUMA_KEY=../etc/passwd" in l for l in lines(out)))
    assert open(os.path.join(a.config_dir, "%2E.%2Fetc%2Fpasswd")).read() == "nope"
    assert not os.path.exists(os.path.join(os.path.dirname(a.config_dir), "etc"))
    names = [n for n in os.listdir(a.config_dir) if not n.startswith(".")]
    assert sorted(names) == sorted(["app.conf", "big", "%2E.%2Fetc%2Fpasswd"])

    assert r.execute_command("sumavlib.suma_diamond_delete", CHANNEL, "app.conf") == 1
    a.wait("delete hook", lambda: "SUMA_KEY=app.conf SUMA_VERSION=3 SUMA_DELETED=1" in lines(out))
    assert not os.path.exists(path)
    # No temp files are left behind and every change ran the hook exactly once.
    assert not [n for n in os.listdir(a.config_dir) if n.startswith(".tmp")]
    assert len(lines(out)) == 5


def test_existing_configs_are_synced_on_first_start(server, r, agents, tmp_path):
    r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "db.url", "v1")
    r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "db.url", "v2")
    r.execute_command("sumavlib.suma_message_publish", CHANNEL, '{"old":true}')
    hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION"])
    msg_hook, msg_out = recorder(str(tmp_path), "msg", ["SUMA_PAYLOAD"])
    a = agents(server, args=["--on-config", hook, "--on-message", msg_hook])
    a.wait("synced", lambda: lines(out) == ["SUMA_KEY=db.url SUMA_VERSION=2"])
    # Broadcasts from before the agent's first start are not replayed ...
    r.execute_command("sumavlib.suma_message_publish", CHANNEL, '{"new": 1}')
    # ... later ones are, with the JSON payload.
    a.wait("message hook", lambda: lines(msg_out) == ['SUMA_PAYLOAD={"new":1}'])
    assert open(os.path.join(a.config_dir, "db.url")).read() == "v2"


def _state(a):
    try:
        with open(os.path.join(a.config_dir, ".suma-state")) as f:
            return f.read().split("\n")
    except FileNotFoundError:
        return None


def test_failed_write_in_a_resync_is_not_applied_and_is_retried(server, r, agents, tmp_path):
    """A file that cannot be written (a directory stands in its place, which
    stops root too) leaves the position where it was; once the path is free
    the agent retries on its own and the hook runs once."""
    r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "blocked", "v1")
    hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION", "SUMA_DELETED"])
    a = agents(server, args=["--on-config", hook], start=False)
    blocker = os.path.join(a.config_dir, "blocked")
    os.makedirs(os.path.join(blocker, "inside"))
    a.start()
    a.wait("write failed", lambda: "config.write_failed" in a.log() and
           "config.resync_failed" in a.log())
    assert a.status()["applied_seq"] == 0
    assert _state(a) is None and lines(out) == []

    shutil.rmtree(blocker)
    head = int(r.hget("agent.zy_test:meta", "seq"))
    a.wait("retried", lambda: lines(out) == ["SUMA_KEY=blocked SUMA_VERSION=1 SUMA_DELETED=0"])
    assert open(blocker).read() == "v1"
    a.wait("position saved", lambda: a.status()["applied_seq"] == head)
    assert "key blocked 1" in _state(a)


def test_failed_delete_is_not_applied_and_is_retried(server, r, agents, tmp_path):
    hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION", "SUMA_DELETED"])
    a = agents(server, args=["--on-config", hook])
    a.wait("connected", lambda: a.status().get("connected"))
    r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k", "v1")
    path = os.path.join(a.config_dir, "k")
    a.wait("written", lambda: lines(out) == ["SUMA_KEY=k SUMA_VERSION=1 SUMA_DELETED=0"])
    before = a.status()["applied_seq"]
    os.remove(path)
    os.makedirs(os.path.join(path, "inside"))  # unlink fails with EISDIR, even for root
    r.execute_command("sumavlib.suma_diamond_delete", CHANNEL, "k")
    a.wait("delete failed", lambda: "config.delete_failed" in a.log())
    assert a.status()["applied_seq"] == before
    assert "key k 1" in _state(a)
    assert len(lines(out)) == 1

    shutil.rmtree(path)
    a.wait("retried", lambda: lines(out)[-1:] == ["SUMA_KEY=k SUMA_VERSION=2 SUMA_DELETED=1"])
    a.wait("applied", lambda: a.status()["applied_seq"] == before + 1)
    assert "key k 2" in _state(a) and len(lines(out)) == 2
