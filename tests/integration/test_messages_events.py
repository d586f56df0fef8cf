"""Messages and events: message_publish, the event format on the channel,
seq per group, suma_events catch-up and the bounded log."""
import json

from conftest import G, MASTER, CHANNEL, assert_event, cmd, wait_until

A, B = "10.0.0.1:9001", "10.0.0.2:9001"


def test_message_payload_verbatim_on_channel(r, server, subscribe):
    ev = subscribe(server)
    raw_ps = server.client().pubsub()
    raw_ps.subscribe(CHANNEL)
    payload = '{"cmd": "reload",  "n": [1, 2.50, "x\\u00e9"], "nested": {"a": null}}'
    assert cmd(r, "suma_message_publish", CHANNEL, payload) == 1
    msg = ev.wait(lambda e: e["type"] == "message")
    assert_event(msg, "message", data=json.loads(payload))

    def raw_message():
        m = raw_ps.get_message(timeout=0.05)
        return m if m and m["type"] == "message" else None
    m = wait_until(raw_message, what="raw message")
    assert m["channel"] == CHANNEL
    text = m["data"]
    # type, seq, ts and group come first; the payload is embedded verbatim.
    assert text.startswith('{"type":"message","seq":%d,"ts":%d,"group":"agent.zy_test"'
                           % (msg["seq"], msg["ts"]))
    assert '"data":' + payload in text
    raw_ps.close()
    # Scalars are valid JSON payloads too.
    for p in ('42', '"text"', 'null', '[1,2]', ' {"a":1} '):
        assert cmd(r, "suma_message_publish", MASTER, p) == 1
    got = ev.wait_count(6)
    assert [e["data"] for e in got[1:6]] == [42, "text", None, [1, 2], {"a": 1}]


def test_seq_strictly_increases_and_events_match_channel(r, server, subscribe):
    ev = subscribe(server)
    assert cmd(r, "suma_try_leader", MASTER, A) == 1
    cmd(r, "suma_keep_alive", MASTER, B)
    cmd(r, "suma_vip_kill", CHANNEL, B)
    cmd(r, "suma_vip_reset", CHANNEL, B)
    cmd(r, "suma_message_publish", CHANNEL, '{"x":1}')
    cmd(r, "suma_diamond_publish", CHANNEL, "app.conf", "a=1")
    cmd(r, "suma_vip_register", MASTER, A, '{"role":"web"}')
    cmd(r, "suma_ci_task", CHANNEL, "PUSH", '{"job":1}')
    cmd(r, "suma_leader_resign", MASTER, A)
    events = ev.wait_count(10)
    assert [e["type"] for e in events] == [
        "online", "leader", "online", "kill", "reset", "message", "diamond", "register", "task",
        "resign"]
    seqs = [e["seq"] for e in events]
    s0 = seqs[0]
    assert s0 > 0 and seqs == list(range(s0, s0 + 10))
    for e in events:
        assert_event(e, e["type"])
    ts = [e["ts"] for e in events]
    assert ts == sorted(ts)
    # suma_events replays exactly what the channel carried, oldest first.
    log = [json.loads(x) for x in cmd(r, "suma_events", CHANNEL, "0")]
    assert log == events
    def after(group, seq, *count):
        return [json.loads(x)["seq"] for x in cmd(r, "suma_events", group, str(seq), *count)]
    assert after(MASTER, s0 + 6) == [s0 + 7, s0 + 8, s0 + 9]
    assert after(G, s0 + 1, "COUNT", "3") == [s0 + 2, s0 + 3, s0 + 4]
    assert after(G, s0 + 1, "count", "1") == [s0 + 2]
    assert after(CHANNEL, s0 - 1) == seqs
    assert cmd(r, "suma_events", CHANNEL, str(s0 + 9)) == []
    assert cmd(r, "suma_events", CHANNEL, str(s0 + 1000)) == []
    assert cmd(r, "suma_events", "agent.zy_other_channel", "0") == []


def test_seq_is_per_group_and_channel_follows_group_form(r, server, subscribe):
    plain = subscribe(server, CHANNEL)
    braced = subscribe(server, "{agent.zy_test}_channel")
    other = subscribe(server, "agent.zy_other_channel")
    cmd(r, "suma_message_publish", "agent.zy_test.master", '1')
    cmd(r, "suma_message_publish", "{agent.zy_test}_master", '2')
    cmd(r, "suma_message_publish", "{agent.zy_test}", '3')
    cmd(r, "suma_message_publish", "agent.zy_other", '4')
    cmd(r, "suma_message_publish", G, '5')
    p = plain.wait_count(2)
    b = braced.wait_count(2)
    o = other.wait_count(1)
    p0, b0, o0 = p[0]["seq"], b[0]["seq"], o[0]["seq"]
    assert [(e["seq"], e["data"], e["group"]) for e in p] == [(p0, 1, G), (p0 + 1, 5, G)]
    assert [(e["seq"], e["data"], e["group"]) for e in b] == \
        [(b0, 2, "{agent.zy_test}"), (b0 + 1, 3, "{agent.zy_test}")]
    assert [(e["seq"], e["data"], e["group"]) for e in o] == [(o0, 4, "agent.zy_other")]
    assert min(p0, b0, o0) > 0
    assert len(plain.events) == 2 and len(braced.events) == 2 and len(other.events) == 1


def test_event_log_is_bounded_by_event_log_len(make_server):
    s = make_server(module_args=["event-log-len", "5"])
    r = s.client()
    for i in range(12):
        assert cmd(r, "suma_message_publish", CHANNEL, str(i)) == 1
    log = [json.loads(x) for x in cmd(r, "suma_events", CHANNEL, "0")]
    # The caller asked after 0 but only the last 5 are kept: it missed events.
    f = log[0]["seq"]
    assert [e["seq"] for e in log] == [f, f + 1, f + 2, f + 3, f + 4]
    assert [e["data"] for e in log] == [7, 8, 9, 10, 11]
    assert r.xlen(G + ":events") == 5
    assert [json.loads(x)["seq"] for x in cmd(r, "suma_events", CHANNEL, str(f + 2))] == \
        [f + 3, f + 4]
    # Changing the length at run time applies to the next event.
    r.config_set("sumavlib.event-log-len", "2")
    cmd(r, "suma_message_publish", CHANNEL, "12")
    assert [json.loads(x)["seq"] for x in cmd(r, "suma_events", CHANNEL, "0")] == [f + 4, f + 5]


def test_catch_up_after_disconnect(r, server, subscribe):
    ev = subscribe(server)
    cmd(r, "suma_message_publish", CHANNEL, '"a"')
    last = ev.wait_count(1)[-1]["seq"]
    ev.close()
    # While the host is away.
    cmd(r, "suma_message_publish", CHANNEL, '"b"')
    cmd(r, "suma_diamond_publish", CHANNEL, "k", "v")
    missed = [json.loads(x) for x in cmd(r, "suma_events", CHANNEL, str(last))]
    assert [(e["seq"], e["type"]) for e in missed] == [(last + 1, "message"), (last + 2, "diamond")]
    assert missed[0]["data"] == "b"
    assert missed[1]["key"] == "k" and missed[1]["value"] == "v"
    assert missed[1]["version"] == cmd(r, "suma_diamond_get", CHANNEL, "k")[1]
