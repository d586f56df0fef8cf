"""The command tables (src/module/*_family.cc) are what Redis knows of our
commands: COMMAND DOCS / COMMAND INFO describe every command, Redis enforces
arity before our code runs, and docs/commands.md documents each command with
exactly the signature its table row declares."""
import os
import re

import pytest
import redis

from conftest import G, MASTER, cmd

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "docs", "commands.md")


def pairs(flat):
    """A RESP2 flat [k, v, k, v] list as a dict (RESP3 gives dicts already)."""
    if isinstance(flat, dict):
        return flat
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def signature(name, doc):
    parts = [name.split(".", 1)[1]]
    for raw in doc.get("arguments", []):
        a = pairs(raw)
        flags = a.get("flags", [])
        text = "<%s>" % a["name"]
        if a.get("token"):
            text = "%s %s" % (a["token"], a["name"])
        if "multiple" in flags:
            text = "%s..." % a["name"]
        if "optional" in flags:
            text = "[%s]" % text.strip("<>") if not a.get("token") and "multiple" not in flags \
                else "[%s]" % text
        parts.append(text)
    return " ".join(parts)


def module_commands(r):
    # redis-py parses COMMAND replies into its own shape: take them raw.
    r.set_response_callback("COMMAND", lambda reply, **_: reply)
    return sorted(r.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "sumavlib"))


def test_every_command_has_docs_and_info(r):
    names = module_commands(r)
    assert len(names) == 27
    for name in names:
        docs = pairs(r.execute_command("COMMAND", "DOCS", name))
        doc = pairs(docs[name])
        assert doc["summary"], name
        assert doc["complexity"], name
        assert doc["since"] == "0.1.0", name
        assert doc.get("arguments"), name
        info = r.execute_command("COMMAND", "INFO", name)[0]
        assert info[0] == name


def test_docs_md_shows_each_table_signature(r):
    text = open(DOCS, encoding="utf-8").read()
    headings = [h for h in text.splitlines() if h.startswith("### ")]
    missing = []
    for name in module_commands(r):
        docs = pairs(r.execute_command("COMMAND", "DOCS", name))
        sig = signature(name, pairs(docs[name]))
        if not any("`%s`" % sig in h for h in headings):
            missing.append(sig)
    assert not missing, "docs/commands.md lacks these headings: %s" % missing


def test_keyed_commands_name_their_group_as_the_key(r):
    module_commands(r)
    keys = r.execute_command("COMMAND", "GETKEYS", "sumavlib.suma_keep_alive", MASTER, "10.0.0.7:1")
    assert keys == [MASTER]
    with pytest.raises(redis.ResponseError, match="no key arguments|Invalid arguments"):
        r.execute_command("COMMAND", "GETKEYS", "sumavlib.suma_diamond_list", "*")


@pytest.mark.parametrize("args", [
    ("suma_leader_info",),
    ("suma_leader_info", MASTER, "extra"),
    ("suma_keep_alive", MASTER),
    ("suma_vip_kill", G + "_channel"),
    ("suma_ci_task", G + "_channel"),
])
def test_wrong_arity_is_refused_by_redis_before_our_code(r, args):
    with pytest.raises(redis.ResponseError,
                       match=re.escape("wrong number of arguments for 'sumavlib.%s' command" % args[0])):
        cmd(r, *args)
    assert r.keys("*") == []
    # Redis counts a call it refused for arity as rejected; our handler never ran.
    stats = r.execute_command("INFO", "commandstats")
    key = "cmdstat_sumavlib.%s" % args[0]
    assert key not in stats or int(stats[key].get("calls", 0)) == 0, stats.get(key)
