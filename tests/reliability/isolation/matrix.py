"""Every sumavlib command, written against a group argument, for the tenant
isolation matrix (docs/security.md). Each entry: (name, argv builder).

Commands that name a group declare it as their key, so ACL key patterns and
the tenant lock both see it; the listings are keyless and take GROUP.
"""
VIP = "10.0.0.7:9001"

KEYED = [
    ("suma_try_leader", lambda g: [g + "_master", VIP]),
    ("suma_leader_info", lambda g: [g + "_master"]),
    ("suma_leader_resign", lambda g: [g + "_master", VIP]),
    ("suma_leader_check", lambda g: [g + "_master", "1"]),
    ("suma_keep_alive", lambda g: [g + "_master", VIP]),
    ("suma_vip_list", lambda g: [g + "_master"]),
    ("suma_vip_info", lambda g: [g + "_master", VIP]),
    ("suma_vip_leave", lambda g: [g + "_master", VIP]),
    ("suma_group_info", lambda g: [g + "_master"]),
    ("suma_vip_kill", lambda g: [g + "_channel", VIP]),
    ("suma_vip_reset", lambda g: [g + "_channel", VIP]),
    ("suma_vip_drained", lambda g: [g + "_channel"]),
    ("suma_message_publish", lambda g: [g + "_channel", '{"x":1}']),
    ("suma_events", lambda g: [g + "_channel", "0"]),
    ("suma_diamond_publish", lambda g: [g + "_channel", "db.url", "v"]),
    ("suma_diamond_cas", lambda g: [g + "_channel", "db.url", "0", "v"]),
    ("suma_diamond_get", lambda g: [g + "_channel", "db.url"]),
    ("suma_diamond_history", lambda g: [g + "_channel", "db.url"]),
    ("suma_diamond_delete", lambda g: [g + "_channel", "db.url"]),
    ("suma_vip_register", lambda g: [g + "_master", VIP, '{"a":1}']),
    ("suma_vip_unregister", lambda g: [g + "_master", VIP]),
    ("suma_vip_server_get", lambda g: [g + "_master", VIP]),
    ("suma_ci_task", lambda g: [g + "_channel", "PUSH", '{"job":1}']),
    ("suma_ci_task", lambda g: [g + "_channel", "CLAIM", VIP]),
    ("suma_ci_task", lambda g: [g + "_channel", "ACK", "1"]),
    ("suma_ci_task", lambda g: [g + "_channel", "EXTEND", "1", VIP]),
    ("suma_ci_task", lambda g: [g + "_channel", "PENDING"]),
    ("suma_ci_task", lambda g: [g + "_channel", "CLAIMED"]),
    ("suma_ci_task", lambda g: [g + "_channel", "STATS"]),
    ("suma_ci_task_info", lambda g: [g + "_channel", "PENDING"]),
    ("suma_ci_task_info", lambda g: [g + "_channel", "CLAIMED"]),
    ("suma_ci_task_info", lambda g: [g + "_channel", "STATS"]),
]

LISTINGS = ["suma_diamond_list", "suma_vip_server_list", "suma_vip_register_list"]

# Every spelling of a group a command accepts (docs/commands.md).
FORMS = [lambda g: g, lambda g: g + "_master", lambda g: g + "_channel", lambda g: g + ".master",
         lambda g: g + ":channel", lambda g: g + "-master"]


def keyed_commands(group):
    """(label, argv) for every keyed command against group, in every spelling."""
    out = []
    for name, build in KEYED:
        argv = build(group)
        for i, form in enumerate(FORMS):
            a = list(argv)
            a[0] = form(group)
            out.append(("%s[%s]" % (name, a[0]), ["sumavlib." + name] + a))
    return out


def all_module_commands(conn):
    """Names of every command the loaded module registered (COMMAND LIST)."""
    from suma_testing.resp import plain
    names = plain(conn.call("COMMAND", "LIST", "FILTERBY", "MODULE", "sumavlib"))
    return sorted(n.decode() for n in names)


def snapshot(c):
    """Every key with its serialized value (c: a suma_testing.resp.Conn), to
    prove that refusals change nothing."""
    from suma_testing.resp import plain
    out, cursor = {}, b"0"
    while True:
        cursor, keys = plain(c.call("SCAN", cursor, "COUNT", "1000"))
        for k in keys:
            out[k] = plain(c.call("DUMP", k))
        if cursor == b"0":
            return out
