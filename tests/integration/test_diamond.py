"""Diamond (config center): publish, cas, get, history, delete, list."""
import pytest
import redis

from conftest import G, MASTER, CHANNEL, assert_event, cmd, snapshot


def test_publish_bumps_versions_and_announces(r, server, subscribe):
    ev = subscribe(server)
    assert cmd(r, "suma_diamond_get", CHANNEL, "db.url") is None
    assert cmd(r, "suma_diamond_publish", CHANNEL, "db.url", "mysql://a") == 1
    assert cmd(r, "suma_diamond_publish", MASTER, "db.url", "mysql://b") == 1
    value, version, ts = cmd(r, "suma_diamond_get", G, "db.url")
    assert value == "mysql://b" and ts > 1_600_000_000_000
    events = ev.wait_count(2)
    v1 = events[0]["version"]
    assert isinstance(v1, int) and 0 < v1 < version
    assert_event(events[0], "diamond", key="db.url", version=v1, value="mysql://a")
    assert_event(events[1], "diamond", key="db.url", version=version, value="mysql://b")
    assert [h[0] for h in cmd(r, "suma_diamond_history", CHANNEL, "db.url")] == [version, v1]
    # Another key gets its own series, never reusing a version granted before.
    assert cmd(r, "suma_diamond_publish", CHANNEL, "other", "x") == 1
    other = cmd(r, "suma_diamond_get", CHANNEL, "other")
    assert other[0] == "x" and other[1] > version


def test_value_in_event_only_when_small_utf8(make_server, subscribe):
    s = make_server()
    r = s.client()
    rb = redis.Redis(host="127.0.0.1", port=s.port)
    ev = subscribe(s)
    big = "x" * 5000
    assert cmd(r, "suma_diamond_publish", CHANNEL, "big", big) == 1
    assert rb.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "bin", b"\xff\x00\xfe") == 1
    events = ev.wait_count(2)
    assert_event(events[0], "diamond", key="big",
                 version=cmd(r, "suma_diamond_get", CHANNEL, "big")[1])
    assert "value" not in events[0]
    assert_event(events[1], "diamond", key="bin",
                 version=rb.execute_command("sumavlib.suma_diamond_get", CHANNEL, "bin")[1])
    assert "value" not in events[1]
    # The stored value is the exact bytes.
    assert rb.execute_command("sumavlib.suma_diamond_get", CHANNEL, "bin")[0] == b"\xff\x00\xfe"
    assert cmd(r, "suma_diamond_get", CHANNEL, "big")[0] == big
    rb.close()


def test_cas(r, server, raw):
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", "1", "v") == 0  # absent: version 0
    assert cmd(r, "suma_diamond_get", CHANNEL, "k") is None
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", "0", "v1") == 1
    value, v1, _ = cmd(r, "suma_diamond_get", CHANNEL, "k")
    assert value == "v1" and v1 > 0
    before = snapshot(server)
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", "0", "x") == 0
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", str(v1 + 1), "x") == 0
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", str(v1 - 1), "x") == 0
    assert snapshot(server) == before
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", str(v1), "v2") == 1
    value, v2, _ = cmd(r, "suma_diamond_get", CHANNEL, "k")
    assert value == "v2" and v2 > v1
    # After a delete the expected version is 0 again, and versions continue.
    assert cmd(r, "suma_diamond_delete", CHANNEL, "k") == 1
    v3 = cmd(r, "suma_diamond_history", CHANNEL, "k", "1")[0][0]
    assert v3 > v2
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", str(v3), "x") == 0
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", str(v2), "x") == 0
    assert cmd(r, "suma_diamond_cas", CHANNEL, "k", "0", "v4") == 1
    value, v4, _ = cmd(r, "suma_diamond_get", CHANNEL, "k")
    assert value == "v4" and v4 > v3


def test_history_newest_first_with_delete_marker(r, server, subscribe):
    ev = subscribe(server)
    for v in ("a", "b", "c"):
        assert cmd(r, "suma_diamond_publish", CHANNEL, "k", v) == 1
    assert cmd(r, "suma_diamond_delete", CHANNEL, "k") == 1
    assert cmd(r, "suma_diamond_delete", CHANNEL, "k") == 0
    assert cmd(r, "suma_diamond_get", CHANNEL, "k") is None
    assert cmd(r, "suma_diamond_publish", CHANNEL, "k", "e") == 1  # republish continues
    value, v5, _ = cmd(r, "suma_diamond_get", CHANNEL, "k")
    assert value == "e"
    hist = cmd(r, "suma_diamond_history", CHANNEL, "k")
    assert [h[2] for h in hist] == ["e", None, "c", "b", "a"]
    versions = [h[0] for h in hist]
    assert versions[0] == v5 and versions == sorted(set(versions), reverse=True)
    ts = [h[1] for h in hist]
    assert ts == sorted(ts, reverse=True) and ts[-1] > 1_600_000_000_000
    assert [(h[0], h[2]) for h in cmd(r, "suma_diamond_history", CHANNEL, "k", "2")] == \
        [(v5, "e"), (versions[1], None)]
    assert cmd(r, "suma_diamond_history", CHANNEL, "never") == []
    dele = ev.wait(lambda e: e["type"] == "diamond_delete")
    assert_event(dele, "diamond_delete", key="k", version=versions[1])
    assert "value" not in dele
    assert cmd(r, "suma_diamond_delete", CHANNEL, "never") == 0


def test_history_len_bounds_history_but_not_versions(make_server):
    s = make_server(module_args=["history-len", "3"])
    r = s.client()
    for i in range(1, 8):
        assert cmd(r, "suma_diamond_publish", CHANNEL, "k", "v%d" % i) == 1
    hist = cmd(r, "suma_diamond_history", CHANNEL, "k", "100")
    assert [h[2] for h in hist] == ["v7", "v6", "v5"]
    versions = [h[0] for h in hist]
    assert versions == sorted(set(versions), reverse=True)
    assert versions[0] == cmd(r, "suma_diamond_get", CHANNEL, "k")[1]
    assert cmd(r, "suma_diamond_delete", CHANNEL, "k") == 1
    assert cmd(r, "suma_diamond_publish", CHANNEL, "k", "again") == 1
    hist = cmd(r, "suma_diamond_history", CHANNEL, "k", "100")
    assert [h[2] for h in hist] == ["again", None, "v7"]
    assert hist[2][0] == versions[0] and hist[0][0] > hist[1][0] > versions[0]
    assert cmd(r, "suma_diamond_get", CHANNEL, "k")[:2] == ["again", hist[0][0]]


def test_list_flat_pattern_and_group(r):
    for k in ("app.a", "app.b", "db.url"):
        cmd(r, "suma_diamond_publish", CHANNEL, k, "1")
    cmd(r, "suma_diamond_publish", "agent.zy_other_channel", "app.z", "1")
    cmd(r, "suma_diamond_publish", "{agent.zy_test}_channel", "app.t", "1")
    cmd(r, "suma_diamond_publish", CHANNEL, "gone", "1")
    cmd(r, "suma_diamond_delete", CHANNEL, "gone")
    assert sorted(cmd(r, "suma_diamond_list", "*")) == \
        ["app.a", "app.b", "app.t", "app.z", "db.url"]
    assert sorted(cmd(r, "suma_diamond_list", "app.*")) == ["app.a", "app.b", "app.t", "app.z"]
    assert sorted(cmd(r, "suma_diamond_list", "*", "GROUP", G)) == ["app.a", "app.b", "db.url"]
    assert sorted(cmd(r, "suma_diamond_list", "app.*", "group", MASTER)) == ["app.a", "app.b"]
    assert cmd(r, "suma_diamond_list", "*", "GROUP", "{agent.zy_test}_channel") == ["app.t"]
    assert cmd(r, "suma_diamond_list", "nothing*") == []


def test_list_paging_past_100_keys(r):
    keys = {"cfg.%03d" % i for i in range(250)}
    with r.pipeline(transaction=False) as p:
        for k in sorted(keys):
            p.execute_command("sumavlib.suma_diamond_publish", CHANNEL, k, "v")
        p.execute_command("sumavlib.suma_diamond_publish", "agent.zy_other_channel", "cfg.x", "v")
        assert p.execute() == [1] * 251
    # The seed's form returns at most 100.
    flat = cmd(r, "suma_diamond_list", "cfg.*", "GROUP", G)
    assert len(flat) == 100 and set(flat) <= keys
    for count in (None, "7", "1000"):
        cursor, seen, calls = "0", [], 0
        while True:
            args = ["cfg.*", "GROUP", G, "CURSOR", cursor] + (["COUNT", count] if count else [])
            cursor, page = cmd(r, "suma_diamond_list", *args)
            seen += page
            calls += 1
            assert calls < 500
            if cursor == "0":
                break
        assert sorted(set(seen)) == sorted(keys), count
    # Without GROUP every group's keys are paged.
    cursor, seen = "0", []
    while True:
        cursor, page = cmd(r, "suma_diamond_list", "cfg.*", "CURSOR", cursor, "COUNT", "50")
        seen += page
        if cursor == "0":
            break
    assert set(seen) == keys | {"cfg.x"}


def test_value_in_event_up_to_4096_bytes(r, server, subscribe):
    ev = subscribe(server)
    cmd(r, "suma_diamond_publish", CHANNEL, "a", "é" * 2048)  # 4096 bytes of UTF-8
    cmd(r, "suma_diamond_publish", CHANNEL, "b", "x" * 4097)
    a, b = ev.wait_count(2)
    assert a["value"] == "é" * 2048
    assert "value" not in b and b["version"] == cmd(r, "suma_diamond_get", CHANNEL, "b")[1]
    assert a["version"] == cmd(r, "suma_diamond_get", CHANNEL, "a")[1]


def test_config_keys_with_glob_characters(r):
    for k in ("a*b", "a?c", "[x]", "p\\q", "k:with:colons"):
        assert cmd(r, "suma_diamond_publish", CHANNEL, k, "v") == 1
        value, version, _ = cmd(r, "suma_diamond_get", CHANNEL, k)
        assert value == "v" and version > 0
        assert [h[0] for h in cmd(r, "suma_diamond_history", CHANNEL, k)] == [version]
    assert sorted(cmd(r, "suma_diamond_list", "*", "GROUP", G)) == \
        sorted(["a*b", "a?c", "[x]", "p\\q", "k:with:colons"])
    assert cmd(r, "suma_diamond_list", "a\\*b", "GROUP", G) == ["a*b"]
    assert cmd(r, "suma_diamond_list", "k:*", "GROUP", G) == ["k:with:colons"]


def test_listing_respects_acl_key_patterns(server, r):
    cmd(r, "suma_diamond_publish", CHANNEL, "mine", "1")
    cmd(r, "suma_diamond_publish", "agent.other_biz_channel", "theirs", "1")
    cmd(r, "suma_vip_register", MASTER, "10.0.0.1:1")
    cmd(r, "suma_vip_register", "agent.other_biz_master", "10.0.0.2:1")
    r.execute_command("ACL", "SETUSER", "zy", "on", ">pw", "~agent.zy_*", "+@all")
    t = server.client(username="zy", password="pw")
    assert cmd(t, "suma_diamond_list", "*") == ["mine"]
    assert cmd(t, "suma_vip_server_list", "*") == ["10.0.0.1:1"]
    assert cmd(t, "suma_diamond_get", CHANNEL, "mine") == cmd(r, "suma_diamond_get", CHANNEL, "mine")
    assert cmd(t, "suma_diamond_get", CHANNEL, "mine")[0] == "1"
    # The group argument is a declared key: ACL refuses another tenant's group.
    with pytest.raises(redis.exceptions.NoPermissionError):
        cmd(t, "suma_diamond_get", "agent.other_biz_channel", "theirs")
    t.close()


def test_paging_in_a_large_keyspace_finds_every_key(r):
    # Unrelated keys make the listing scan in bounded slices; paging with the
    # cursor must still find every config key exactly.
    with r.pipeline(transaction=False) as p:
        for i in range(0, 30000, 1000):
            p.mset({"unrelated:%d" % j: "x" for j in range(i, i + 1000)})
        for i in range(150):
            p.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "big.%d" % i, "v")
        p.execute()
    want = {"big.%d" % i for i in range(150)}
    for group_args in ([], ["GROUP", G]):
        cursor, seen, calls = "0", [], 0
        while True:
            cursor, page = cmd(r, "suma_diamond_list", "big.*", *group_args, "CURSOR", cursor,
                               "COUNT", "40")
            seen += page
            calls += 1
            assert calls < 5000
            if cursor == "0":
                break
        assert sorted(set(seen)) == sorted(want)
    flat = cmd(r, "suma_diamond_list", "big.*")
    assert len(flat) <= 100 and set(flat) <= want


def test_paged_listing_pages_are_about_count(r):
    # A page ends after the SCAN step that reached COUNT, so it may hold up to
    # about twice COUNT (documented); the union of the pages is exact.
    with r.pipeline(transaction=False) as p:
        for i in range(1000):
            p.execute_command("sumavlib.suma_diamond_publish", CHANNEL, "k%d" % i, "v")
        p.execute()
    cursor, biggest = "0", 0
    while True:
        cursor, page = cmd(r, "suma_diamond_list", "*", "CURSOR", cursor, "COUNT", "100")
        biggest = max(biggest, len(page))
        if cursor == "0":
            break
    assert 0 < biggest <= 250
