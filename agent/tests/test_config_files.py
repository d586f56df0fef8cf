"""Config: every diamond value of the group becomes a file (atomically
replaced), and the reload hook runs once per change with key and version."""
import os
import shutil

from agentlib import CHANNEL, lines, recorder


def version_of(r, key):
    """The version the server holds for key (versions are large and only grow)."""
    return r.execute_command("sumavlib.suma_diamond_get", CHANNEL, key)[1]


def delete_version(r, key):
    """The version a delete got: the newest history entry, with no value."""
    version, _ts, value = r.execute_command("sumavlib.suma_diamond_history", CHANNEL, key, 1)[0]
    assert value is None
    return version


def test_config_file_written_and_hook_run(server, r, agents, tmp_path):
    hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION", "SUMA_DELETED"])
    a = agents(server, args=["--on-config", hook])
    a.wait("connected", lambda: a.status().get("connected"))

    pub = lambda k, v: r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, k, v)
    pub("app.conf", "threads=4\n")
    path = os.path.join(a.config_dir, "app.conf")
    a.wait("file written", lambda: os.path.exists(path) and open(path).read() == "threads=4\n")
    v1 = version_of(r, "app.conf")
    a.wait("hook ran", lambda: "SUMA_KEY=app.conf SUMA_VERSION=%d SUMA_DELETED=0" % v1 in lines(out))

    pub("app.conf", "threads=8\n")
    v2 = version_of(r, "app.conf")
    assert v2 > v1
    a.wait("hook for v2", lambda: "SUMA_KEY=app.conf SUMA_VERSION=%d SUMA_DELETED=0" % v2 in lines(out))
    assert open(path).read() == "threads=8\n"

    # Too large to travel in the event: the agent reads it with diamond_get.
    big = "x" * 10000
    pub("big", big)
    vbig = version_of(r, "big")
    a.wait("big value", lambda: "SUMA_KEY=big SUMA_VERSION=%d SUMA_DELETED=0" % vbig in lines(out))
    assert open(os.path.join(a.config_dir, "big")).read() == big

    # A key that is not a safe file name is percent-encoded.
    pub("../etc/passwd", "nope")
    a.wait("encoded key", lambda: any("SUMA_KEY=../etc/passwd" in l for l in lines(out)))
    assert open(os.path.join(a.config_dir, "%2E.%2Fetc%2Fpasswd")).read() == "nope"
    assert not os.path.exists(os.path.join(os.path.dirname(a.config_dir), "etc"))
    names = [n for n in os.listdir(a.config_dir) if not n.startswith(".")]
    assert sorted(names) == sorted(["app.conf", "big", "%2E.%2Fetc%2Fpasswd"])

    assert r.execute_command("sumavlib.suma_diamond_delete", CHANNEL, "app.conf") == 1
    v3 = delete_version(r, "app.conf")
    assert v3 > v2
    a.wait("delete hook", lambda: "SUMA_KEY=app.conf SUMA_VERSION=%d SUMA_DELETED=1" % v3 in lines(out))
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
    v2 = version_of(r, "db.url")
    a.wait("synced", lambda: lines(out) == ["SUMA_KEY=db.url SUMA_VERSION=%d" % v2])
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
    v1 = version_of(r, "blocked")
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
    a.wait("retried", lambda: lines(out) == ["SUMA_KEY=blocked SUMA_VERSION=%d SUMA_DELETED=0" % v1])
    assert open(blocker).read() == "v1"
    a.wait("position saved", lambda: a.status()["applied_seq"] == head)
    assert "key blocked %d" % v1 in _state(a)


def test_failed_delete_is_not_applied_and_is_retried(server, r, agents, tmp_path):
    hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION", "SUMA_DELETED"])
    a = agents(server, args=["--on-config", hook])
    a.wait("connected", lambda: a.status().get("connected"))
    r.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k", "v1")
    v1 = version_of(r, "k")
    path = os.path.join(a.config_dir, "k")
    a.wait("written", lambda: lines(out) == ["SUMA_KEY=k SUMA_VERSION=%d SUMA_DELETED=0" % v1])
    before = a.status()["applied_seq"]
    os.remove(path)
    os.makedirs(os.path.join(path, "inside"))  # unlink fails with EISDIR, even for root
    r.execute_command("sumavlib.suma_diamond_delete", CHANNEL, "k")
    v2 = delete_version(r, "k")
    assert v2 > v1
    a.wait("delete failed", lambda: "config.delete_failed" in a.log())
    assert a.status()["applied_seq"] == before
    assert "key k %d" % v1 in _state(a)
    assert len(lines(out)) == 1

    shutil.rmtree(path)
    a.wait("retried", lambda: lines(out)[-1:] == ["SUMA_KEY=k SUMA_VERSION=%d SUMA_DELETED=1" % v2])
    a.wait("applied", lambda: a.status()["applied_seq"] == before + 1)  # seqs are contiguous
    assert "key k %d" % v2 in _state(a) and len(lines(out)) == 2
