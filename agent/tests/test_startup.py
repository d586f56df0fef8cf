"""Configuration: the seed's variables, a config file, and refusal with a
message naming the problem."""
import os
import subprocess

from agentlib import AGENT, GROUP, Agent, free_port, write_hook


def run(args, env=None, tmp=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    e.update(env or {})
    p = subprocess.run([AGENT] + args, env=e, capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def test_help_documents_the_seed_variables():
    rc, out = run(["--help"])
    assert rc == 0
    for word in ("LOCAL_IP", "APOLLO_OWNER_ID", "APOLLO_BUINESS_ID", "APOLLO_PORT", "SUMA_REDIS",
                 "SUMA_PASSWORD", "SUMA_SENTINELS", "SUMA_SENTINEL_MASTER", "--on-task"):
        assert word in out


def test_refuses_invalid_configuration(tmp_path):
    cfg = str(tmp_path / "cfg")
    base = ["--config-dir", cfg, "--health-listen", "off"]
    cases = [
        ([], {}, "group is not set"),
        (["--group", "g"], {}, "vip is not set"),
        (["--group", "bad group", "--vip", "v:1"], {}, "group 'bad group' is invalid"),
        (["--group", "g", "--vip", "v:1"], {}, "no server"),
        (["--group", "g", "--vip", "v:1", "--redis", "nohost"], {}, "redis 'nohost' is not host:port"),
        (["--group", "g", "--vip", "v:1", "--redis", "h:1", "--lease-ms", "200"], {},
         "lease-ms 200 must be longer than the renewal interval"),
        (["--group", "g", "--vip", "v:1", "--redis", "h:1", "--on-leader", "/nonexistent"], {},
         "on-leader '/nonexistent' is not an executable file"),
        (["--group", "g", "--vip", "v:1", "--sentinels", "h:1"], {}, "sentinel-master"),
        (["--bogus", "1"], {}, "unknown flag --bogus"),
        (["--group", "g", "--vip", "v:1", "--redis", "h:1", "--host-ttl-ms", "abc"], {},
         "host-ttl-ms 'abc' must be an integer"),
    ]
    for args, env, message in cases:
        rc, out = run(args + base, env)
        assert rc == 2, (args, out)
        assert message in out, (args, out)
    conf = tmp_path / "agent.conf"
    conf.write_text("group = g\nnot a pair\n")
    rc, out = run(["--config", str(conf)] + base)
    assert rc == 2 and "line 2" in out


def test_seed_variables_and_config_file(server, r, tmp_path):
    conf = tmp_path / "agent.conf"
    conf.write_text("# from a file\nhost-ttl-ms = 900\nlease-ms = 900\nconfig-dir = %s\n"
                    "health-listen = 127.0.0.1:%d\n" % (tmp_path / "cfg", free_port()))
    env = {"LOCAL_IP": "127.0.0.1", "APOLLO_PORT": "9005", "APOLLO_OWNER_ID": "agent.zy",
           "APOLLO_BUINESS_ID": "test", "SUMA_REDIS": "127.0.0.1:%d" % server.port,
           "SUMA_AGENT_CONFIG": str(conf)}
    a = Agent(tmp_path, name="seed", vip="unused")
    port = int(conf.read_text().split("127.0.0.1:")[1].split()[0])
    a.health_port = port
    a.argv = lambda: [AGENT]
    a.env = env
    a.start()
    try:
        a.wait("joined", lambda: a.status().get("leader"))
        st = a.status()
        assert st["group"] == GROUP and st["vip"] == "127.0.0.1:9005"
        assert "127.0.0.1:9005" in r.execute_command("sumavlib.suma_vip_list", GROUP)
    finally:
        assert a.terminate() == 0


def test_authenticates_with_username_and_password(tmp_path, agents):
    from agentlib import MODULE_ARGS, RedisServer
    s = RedisServer(module_args=MODULE_ARGS,
                    extra=["--user", "agent", "on", ">s3cret", "~*", "&*", "+@all"])
    try:
        bad = agents(s, name="bad", vip="127.0.0.1:9010", env={"SUMA_USERNAME": "agent",
                                                               "SUMA_PASSWORD": "wrong"})
        good = agents(s, name="good", vip="127.0.0.1:9011", env={"SUMA_USERNAME": "agent",
                                                                 "SUMA_PASSWORD": "s3cret"})
        good.wait("joined with AUTH", lambda: good.status().get("leader"))
        bad.wait("refusal logged", lambda: "AUTH refused" in bad.log())
        assert not bad.status()["connected"]
        # The password never appears in the log.
        assert "s3cret" not in good.log() and "wrong" not in bad.log()
    finally:
        s.cleanup()
