"""A change made while the agent could not reach its server is applied
after the server comes back, exactly once; restarts of the agent do not
apply anything twice."""
import json
import os

from agentlib import CHANNEL, MODULE_ARGS, RedisServer, free_port, lines, recorder


def publish(c, key, value):
    """Publishes and returns the version the server gave (large, only growing)."""
    assert c.execute_command("sumavlib.suma_diamond_publish", CHANNEL, key, value) == 1
    return c.execute_command("sumavlib.suma_diamond_get", CHANNEL, key)[1]


def event_log(c):
    return [json.loads(e) for e in c.execute_command("sumavlib.suma_events", CHANNEL, 0)]


def test_change_made_while_away_is_caught_up_exactly_once(r, agents, tmp_path):
    s = RedisServer(module_args=MODULE_ARGS, aof=True)
    try:
        hook, out = recorder(str(tmp_path), "reload", ["SUMA_KEY", "SUMA_VERSION"])
        msg_hook, msg_out = recorder(str(tmp_path), "msg", ["SUMA_SEQ"])
        a = agents(s, args=["--on-config", hook, "--on-message", msg_hook])
        c = s.client()
        a.wait("connected", lambda: a.status().get("connected"))
        v1 = publish(c, "k", "v1")
        a.wait("v1 applied", lambda: lines(out) == ["SUMA_KEY=k SUMA_VERSION=%d" % v1])

        # The server goes down; while the agent keeps retrying its port, the
        # same data is served elsewhere and changed there.
        s.stop()
        a.wait("agent noticed", lambda: not a.status().get("connected"))
        elsewhere = RedisServer(module_args=MODULE_ARGS, aof=True, datadir=s.dir, port=free_port())
        e = elsewhere.client()
        v2 = publish(e, "k", "v2")
        o1 = publish(e, "other", "o1")
        e.execute_command("sumavlib.suma_message_publish", CHANNEL, '{"while":"away"}')
        assert v1 < v2 < o1
        elsewhere.stop()

        s.start()  # same port, same data; seqs jumped when it was loaded
        a.wait("v2 caught up", lambda: "SUMA_KEY=k SUMA_VERSION=%d" % v2 in lines(out))
        a.wait("other caught up", lambda: "SUMA_KEY=other SUMA_VERSION=%d" % o1 in lines(out))
        a.wait("message caught up", lambda: len(lines(msg_out)) == 1)
        assert open(os.path.join(a.config_dir, "k")).read() == "v2"
        c = s.client()
        message = [ev for ev in event_log(c) if ev["type"] == "message"]
        assert lines(msg_out) == ["SUMA_SEQ=%d" % message[0]["seq"]]

        # A newer change after the catch-up arrives once, in order.
        v3 = publish(c, "k", "v3")
        assert v3 > o1
        a.wait("v3", lambda: "SUMA_KEY=k SUMA_VERSION=%d" % v3 in lines(out))

        # Restarting the agent replays nothing: its position is persisted.
        assert a.terminate() == 0
        a.start()
        a.wait("reconnected", lambda: a.status().get("connected"))
        v4 = publish(c, "k", "v4")
        assert v4 > v3
        a.wait("v4", lambda: "SUMA_KEY=k SUMA_VERSION=%d" % v4 in lines(out))
        assert lines(out) == ["SUMA_KEY=k SUMA_VERSION=%d" % v1, "SUMA_KEY=k SUMA_VERSION=%d" % v2,
                              "SUMA_KEY=other SUMA_VERSION=%d" % o1, "SUMA_KEY=k SUMA_VERSION=%d" % v3,
                              "SUMA_KEY=k SUMA_VERSION=%d" % v4]
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
        deleted = c.execute_command("sumavlib.suma_diamond_history", CHANNEL, "gone", 1)[0]
        assert deleted[2] is None  # the delete is the newest version
        assert "SUMA_KEY=gone SUMA_VERSION=%d SUMA_DELETED=1" % deleted[0] in lines(out)
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
        x = publish(c, "same", "x")
        y = publish(c, "same", "y")
        publish(c, "dropped", "d")
        a.wait("applied", lambda: len(lines(out)) == 3)

        # The agent stops and the server restarts empty: its new seqs start
        # above the agent's saved position, and none of them is the agent's
        # last event.
        applied = a.status()["applied_seq"]
        assert a.terminate() == 0
        s.stop()
        s.start()
        c = s.client()
        publish(c, "same", "y")
        fresh = publish(c, "fresh", "f")
        assert event_log(c)[0]["seq"] > applied
        a.start()
        a.wait("resynced", lambda: "SUMA_KEY=fresh SUMA_VERSION=%d SUMA_DELETED=0" % fresh in lines(out))
        a.wait("dropped key deleted", lambda: any(l.startswith("SUMA_KEY=dropped") and
                                                  l.endswith("SUMA_DELETED=1") for l in lines(out)))
        # "same" still holds "y": no reload for it.
        assert [l for l in lines(out) if l.startswith("SUMA_KEY=same")] == [
            "SUMA_KEY=same SUMA_VERSION=%d SUMA_DELETED=0" % x, "SUMA_KEY=same SUMA_VERSION=%d SUMA_DELETED=0" % y]
        assert "events.server_behind" in a.log()
        # Later changes are applied against the new versions.
        z = publish(c, "same", "z")
        a.wait("new version", lambda: "SUMA_KEY=same SUMA_VERSION=%d SUMA_DELETED=0" % z in lines(out)[-1:])
        assert open(os.path.join(a.config_dir, "same")).read() == "z"
    finally:
        s.cleanup()
