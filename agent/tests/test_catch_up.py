"""A change made while the agent could not reach its server is applied
after the server comes back, exactly once; restarts of the agent do not
apply anything twice."""
import os

from agentlib import CHANNEL, MODULE_ARGS, RedisServer, free_port, lines, recorder


def test_change_made_while_away_is_caught_up_exactly_once(r, agents, tmp_path):
    s = RedisServer(module_args=MODULE_ARGS, aof=True)
    try:
        hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION"])
        msg_hook, msg_out = recorder(str(tmp_path), "msg", ["SUMA_SEQ"])
        a = agents(s, args=["--on-config", hook, "--on-message", msg_hook])
        c = s.client()
        a.wait("connected", lambda: a.status().get("connected"))
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k", "v1")
        a.wait("v1 applied", lambda: lines(out) == ["SUMA_KEY=k SUMA_VERSION=1"])

        # The server goes down; while the agent keeps retrying its port, the
        # same data is served elsewhere and changed there.
        s.stop()
        a.wait("agent noticed", lambda: not a.status().get("connected"))
        elsewhere = RedisServer(module_args=MODULE_ARGS, aof=True, datadir=s.dir, port=free_port())
        e = elsewhere.client()
        e.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k", "v2")
        e.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "other", "o1")
        e.execute_command("sumavlib.suma_message_publish", CHANNEL, '{"while":"away"}')
        elsewhere.stop()

        s.start()  # same port, same data
        a.wait("v2 caught up", lambda: "SUMA_KEY=k SUMA_VERSION=2" in lines(out))
        a.wait("other caught up", lambda: "SUMA_KEY=other SUMA_VERSION=1" in lines(out))
        a.wait("message caught up", lambda: len(lines(msg_out)) == 1)
        assert open(os.path.join(a.config_dir, "k")).read() == "v2"

        # A newer change after the catch-up arrives once, in order.
        c = s.client()
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k", "v3")
        a.wait("v3", lambda: "SUMA_KEY=k SUMA_VERSION=3" in lines(out))

        # Restarting the agent replays nothing: its position is persisted.
        assert a.terminate() == 0
        a.start()
        a.wait("reconnected", lambda: a.status().get("connected"))
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k", "v4")
        a.wait("v4", lambda: "SUMA_KEY=k SUMA_VERSION=4" in lines(out))
        assert lines(out) == ["SUMA_KEY=k SUMA_VERSION=1", "SUMA_KEY=k SUMA_VERSION=2",
                              "SUMA_KEY=other SUMA_VERSION=1", "SUMA_KEY=k SUMA_VERSION=3",
                              "SUMA_KEY=k SUMA_VERSION=4"]
        assert len(lines(msg_out)) == 1
    finally:
        s.cleanup()


def test_trimmed_log_falls_back_to_a_full_resync(tmp_path, agents):
    s = RedisServer(module_args=MODULE_ARGS + ["event-log-len", 3])
    try:
        hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION", "SUMA_DELETED"])
        a = agents(s, args=["--on-config", hook])
        c = s.client()
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "gone", "g1")
        a.wait("gone", lambda: len(lines(out)) == 1)
        assert a.terminate() == 0
        # More changes than the log keeps while the agent is stopped.
        c.execute_command("sumavlib.suma_diamond_delete", CHANNEL, "gone")
        for i in range(5):
            c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k%d" % i, "v")
        a.start()
        a.wait("resynced", lambda: len(lines(out)) == 7)
        assert "SUMA_KEY=gone SUMA_VERSION=2 SUMA_DELETED=1" in lines(out)
        assert sorted(n for n in os.listdir(a.config_dir) if not n.startswith(".")) == \
            ["k0", "k1", "k2", "k3", "k4"]
    finally:
        s.cleanup()


def test_server_that_lost_its_data_is_resynced_by_content(tmp_path, agents):
    s = RedisServer(module_args=MODULE_ARGS)  # no persistence
    try:
        hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION", "SUMA_DELETED"])
        a = agents(s, args=["--on-config", hook])
        c = s.client()
        a.wait("connected", lambda: a.status().get("connected"))
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "same", "x")
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "same", "y")
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "dropped", "d")
        a.wait("applied", lambda: len(lines(out)) == 3)

        # The agent stops, the server restarts empty (seqs and versions start
        # over) and its new log grows past the agent's saved position.
        applied = a.status()["applied_seq"]
        assert a.terminate() == 0
        s.stop()
        s.start()
        c = s.client()
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "same", "y")
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "fresh", "f")
        for _ in range(applied):
            c.execute_command("sumavlib.suma_message_publish", CHANNEL, "{}")
        a.start()
        a.wait("resynced", lambda: "SUMA_KEY=fresh SUMA_VERSION=1 SUMA_DELETED=0" in lines(out))
        a.wait("dropped key deleted", lambda: any(l.startswith("SUMA_KEY=dropped") and
                                                  l.endswith("SUMA_DELETED=1") for l in lines(out)))
        # "same" still holds "y": no reload for it.
        assert [l for l in lines(out) if l.startswith("SUMA_KEY=same")] == [
            "SUMA_KEY=same SUMA_VERSION=1 SUMA_DELETED=0", "SUMA_KEY=same SUMA_VERSION=2 SUMA_DELETED=0"]
        assert "events.server_behind" in a.log()
        # Later changes are applied against the new versions.
        c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "same", "z")
        a.wait("new version", lambda: "SUMA_KEY=same SUMA_VERSION=2 SUMA_DELETED=0" in lines(out)[-1:])
        assert open(os.path.join(a.config_dir, "same")).read() == "z"
    finally:
        s.cleanup()
