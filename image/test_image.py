"""The suma image under a real container engine (podman + runc).

Builds the image into a private image store, runs it with `podman run` the way
an operator does (the seed's LOCAL_IP, APOLLO_OWNER_ID, APOLLO_BUINESS_ID,
APOLLO_PORT; `-p 127.0.0.1:HOST:8090` for Redis and `-p 127.0.0.1:HOST:10082`
for the console; a read-only root filesystem) and checks through the mapped
ports: every module command, the console and /metrics, --memory -> maxmemory,
data on a volume across podman stop + start, a clean SIGTERM exit with the AOF
flushed, signals forwarded, refusal of missing and invalid variables, the
health check, the users, the log directory, and the saved archive loaded into
an empty store. podman is configured as docs/operations.md says (runc,
cgroupfs, ulimits in a containers.conf). Run it through image/run_image_test.py
(ctest -R '^image$'), which decides about podman being absent.
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest
import redis

from suma_testing import free_port
from suma_testing.containers import PodmanStore

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("SUMA_BUILD_DIR", os.path.join(ROOT, "build"))
TAG = "localhost/suma-apollo-redis:test"
GROUP = "agent.zy_test"
PW = "image-pw-1"
BUDGET = 15_000_000


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except (OSError, redis.exceptions.RedisError) as e:
            last = e
        time.sleep(0.01)
    raise AssertionError("timed out waiting for %s (last error: %s)" % (what, last))


class Engine:
    """podman with a private image store (vfs) and the containers.conf recipe."""

    def __init__(self):
        store = PodmanStore()
        self.dir, self.env, self.cmd = store.dir, store.env, store.cmd

    def __call__(self, *args, check=True, timeout=120, **kw):
        p = subprocess.run(self.cmd + list(args), capture_output=True, text=True, env=self.env,
                           timeout=timeout, **kw)
        if check:
            assert p.returncode == 0, "podman %s failed (%d):\n%s%s" % (" ".join(args), p.returncode,
                                                                       p.stdout, p.stderr)
        return p

    def close(self):
        self("rm", "-af", "-v", "-t", "2", check=False)
        self("volume", "prune", "-f", check=False)
        self("rmi", "-af", check=False)
        # vfs layers are plain directories; the store may hold read-only bits.
        subprocess.run(["rm", "-rf", self.dir], check=False)


def seed_env(**extra):
    """The seed's variables (APOLLO_PORT: run() puts the mapped port) and a password."""
    env = {"LOCAL_IP": "127.0.0.1", "APOLLO_OWNER_ID": "agent.zy", "APOLLO_BUINESS_ID": "test",
           "CONTAINER_TYPE": "master", "SUMA_PASSWORD": PW}
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Container:
    def __init__(self, engine, name, resp, console):
        self.engine, self.name, self.resp, self.console = engine, name, resp, console

    def redis(self, **kw):
        return redis.Redis(host="127.0.0.1", port=self.resp, password=PW, decode_responses=True,
                           socket_timeout=5, **kw)

    def logs(self):
        p = self.engine("logs", self.name, check=False)
        return p.stdout + p.stderr

    def inspect(self, fmt):
        return self.engine("inspect", "--format", fmt, self.name).stdout.strip()

    def wait_ready(self, timeout=20):
        def ask():
            c = redis.Redis(host="127.0.0.1", port=self.resp, password=PW, socket_timeout=1,
                            socket_connect_timeout=0.5, decode_responses=True)
            try:
                return c.execute_command("sumavlib.suma_vip_list", GROUP) == []
            finally:
                c.close()
        try:
            wait_for(ask, timeout, "the first command through 127.0.0.1:%d" % self.resp)
        except AssertionError:
            raise AssertionError("container %s did not answer; its log:\n%s" % (self.name, self.logs()))
        return self


def run(engine, env, *podman_args, image=TAG, redis_args=(), detach=True, resp=None, console=None,
        extra_ports=(), publish=True):
    """`podman run` with the seed's ports mapped on loopback and a read-only root."""
    resp, console = resp or free_port(), console or free_port()
    name = "suma-t-" + uuid.uuid4().hex[:8]
    args = ["run", "--name", name, "--read-only"]
    if publish:
        args += ["-p", "127.0.0.1:%d:8090" % resp, "-p", "127.0.0.1:%d:10082" % console]
    for host, inside in extra_ports:
        args += ["-p", "127.0.0.1:%d:%d" % (host, inside)]
    if detach:
        args.append("-d")
    env = dict(env)
    env.setdefault("APOLLO_PORT", str(resp))
    for k, v in env.items():
        args += ["-e", "%s=%s" % (k, v)]
    p = engine(*(args + list(podman_args) + [image] + list(redis_args)), check=False, timeout=60)
    if detach:
        assert p.returncode == 0, "podman run failed (%d): %s" % (p.returncode, p.stderr)
    c = Container(engine, name, resp, console)
    c.run_result = p
    return c


@pytest.fixture(scope="module")
def engine():
    e = Engine()
    yield e
    e.close()


@pytest.fixture(scope="module")
def image(engine):
    t0 = time.time()
    p = subprocess.run([os.path.join(HERE, "build-image.sh"), "build", BUILD, TAG], capture_output=True,
                       text=True, env=dict(engine.env, PODMAN=" ".join(engine.cmd)), timeout=300)
    print("\n" + p.stdout + p.stderr + "image build: %.1f s" % (time.time() - t0))
    assert p.returncode == 0, "image/build-image.sh failed"
    return {"size": int(engine("image", "inspect", "--format", "{{.Size}}", TAG).stdout)}


@pytest.fixture(scope="module")
def server(engine, image):
    resp = free_port()
    c = run(engine, seed_env(), resp=resp).wait_ready()
    wait_for(lambda: urllib.request.urlopen("http://127.0.0.1:%d/healthz" % c.console, timeout=1).status == 200,
             20, "the console through its mapped port")
    yield c
    engine("rm", "-f", "-v", "-t", "5", c.name, check=False)


def test_size_labels_healthcheck_and_contents(engine, image):
    assert image["size"] <= BUDGET, "image is %d bytes, over the %d budget" % (image["size"], BUDGET)
    cfg = json.loads(engine("image", "inspect", TAG).stdout)[0]
    labels = cfg["Config"]["Labels"] if "Config" in cfg else cfg["Labels"]
    for k in ("version", "source", "licenses", "revision"):
        assert labels.get("org.opencontainers.image." + k), k
    assert cfg["Config"]["Volumes"] == {"/data": {}}
    health = json.loads(engine("image", "inspect", "--format", "{{json .HealthCheck}}", TAG).stdout)
    assert health["Test"] == ["CMD", "/entrypoint", "health"], health
    engine("create", "--name", "suma-export", TAG)
    listing = subprocess.run(engine.cmd + ["export", "suma-export"], capture_output=True, env=engine.env,
                             timeout=60).stdout
    engine("rm", "suma-export")
    files = subprocess.run(["tar", "-t"], input=listing, capture_output=True).stdout.decode().split()
    for f in ("entrypoint", "redis-server", "sumavlib.so", "suma-console",
              "lib/x86_64-linux-gnu/libsystemd.so.0", "lib64/ld-linux-x86-64.so.2"):
        assert f in files, f
    assert not [f for f in files if f.startswith(("bin/", "usr/"))], "no shell or distribution files"
    assert not [f for f in files if "brotli" in f or "libz." in f or "httplib" in f or "gcrypt" in f]


def test_every_command_through_the_mapped_port(server):
    r = server.redis()
    m, ch = GROUP + "_master", GROUP + "_channel"
    used = set()

    def x(cmd, *args):
        used.add(cmd)
        return r.execute_command("sumavlib." + cmd, *args)

    assert x("suma_try_leader", m, "10.0.0.7:9001") == 1
    info = x("suma_leader_info", m)
    assert info[1] == "10.0.0.7:9001" and info[3] >= 1
    assert x("suma_leader_check", m, info[3]) == 1
    assert x("suma_keep_alive", m, "10.0.0.8:9001") == "10.0.0.7:9001"
    assert sorted(x("suma_keep_alive", m, "10.0.0.7:9001")) == ["10.0.0.7:9001", "10.0.0.8:9001"]
    assert set(x("suma_vip_list", m)) == {"10.0.0.7:9001", "10.0.0.8:9001"}
    assert x("suma_vip_info", m, "10.0.0.8:9001")[1] == "live"
    assert x("suma_vip_kill", ch, "10.0.0.8:9001") == 1
    assert x("suma_vip_drained", ch)[0] == "10.0.0.8:9001"
    assert x("suma_vip_reset", ch, "10.0.0.8:9001") == 1
    assert x("suma_message_publish", ch, '{"hello":1}') == 1
    assert x("suma_diamond_publish", ch, "db.url", "mysql://a") == 1
    v1 = x("suma_diamond_get", ch, "db.url")[1]
    assert x("suma_diamond_cas", ch, "db.url", v1, "mysql://b") == 1
    value, v2 = x("suma_diamond_get", ch, "db.url")[:2]
    assert value == "mysql://b" and v2 > v1  # versions are fencing values (docs/commands.md)
    assert [h[0] for h in x("suma_diamond_history", ch, "db.url")] == [v2, v1]
    assert x("suma_diamond_list", "*") == ["db.url"]
    assert x("suma_diamond_delete", ch, "db.url") == 1
    assert x("suma_vip_register", m, "10.0.0.7:9001", '{"zone":"a"}') == 1
    assert x("suma_vip_server_get", m, "10.0.0.7:9001")[0] == '{"zone":"a"}'
    assert x("suma_vip_server_list", "*") == ["10.0.0.7:9001"]
    assert x("suma_vip_register_list", "*") == ["10.0.0.7:9001"]
    assert x("suma_vip_unregister", m, "10.0.0.7:9001") == 1
    tid = x("suma_ci_task", ch, "PUSH", '{"job":1}')
    assert x("suma_ci_task", ch, "PENDING") == [[tid, '{"job":1}']]
    assert x("suma_ci_task", ch, "CLAIM", "10.0.0.8:9001")[0] == tid
    assert x("suma_ci_task", ch, "CLAIMED")[0][:2] == [tid, "10.0.0.8:9001"]
    assert x("suma_ci_task", ch, "EXTEND", tid, "10.0.0.8:9001") == 1
    assert x("suma_ci_task", ch, "ACK", tid, "10.0.0.8:9001") == 1
    assert x("suma_ci_task", ch, "STATS") == ["queued", 0, "claimed", 0]
    assert x("suma_ci_task_info", ch, "STATS") == ["queued", 0, "claimed", 0]
    assert json.loads(x("suma_events", ch, 0)[0])["type"] == "online"
    summary = x("suma_group_info", m)
    assert dict(zip(summary[::2], summary[1::2]))["epoch"] == info[3]
    assert x("suma_leader_resign", m, "10.0.0.7:9001") == 1
    assert x("suma_vip_leave", m, "10.0.0.8:9001") == 1

    raw = server.redis()
    raw.response_callbacks.pop("COMMAND", None)  # redis-py would parse it as COMMAND INFO
    module_cmds = {c.split(".", 1)[1] for c in raw.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "sumavlib")}
    assert used <= module_cmds, used - module_cmds
    # A command the module gained after this test was written still has to be
    # served by the module in the image: no arguments gives its own error.
    for cmd in sorted(module_cmds - used):
        with pytest.raises(redis.exceptions.ResponseError) as e:
            r.execute_command("sumavlib." + cmd)
        assert "unknown command" not in str(e.value), cmd
        print("\nnot exercised in depth (new since this test): sumavlib.%s -> %s" % (cmd, e.value))
    # Locked to the tenant, and the password holds.
    with pytest.raises(redis.exceptions.ResponseError, match="does not belong to this server.s tenant"):
        x("suma_keep_alive", "agent.other_test_master", "10.0.0.9:9001")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGPASS"):
        redis.Redis(host="127.0.0.1", port=server.resp, password="wrong").ping()
    assert r.config_get("replica-announce-ip")["replica-announce-ip"] == "127.0.0.1"
    assert r.config_get("replica-announce-port")["replica-announce-port"] == str(server.resp)


def test_console_and_metrics_through_the_mapped_port(server):
    r = server.redis()
    r.execute_command("sumavlib.suma_keep_alive", GROUP + "_master", "10.0.0.8:9001")
    live = len(r.execute_command("sumavlib.suma_vip_list", GROUP))
    base = "http://127.0.0.1:%d" % server.console
    assert b"Suma Apollo" in urllib.request.urlopen(base + "/", timeout=5).read()
    req = urllib.request.Request(base + "/login", data=b"user=admin&password=" + PW.encode(), method="POST")
    cookie = urllib.request.urlopen(req, timeout=5).headers["Set-Cookie"].split(";")[0]
    groups = urllib.request.urlopen(urllib.request.Request(base + "/api/groups", headers={"Cookie": cookie}),
                                    timeout=5).read()
    assert json.loads(groups) == {"groups": [GROUP]}
    metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    assert 'suma_group_live_hosts{group="agent.zy_test"} %d\n' % live in metrics, metrics
    assert "suma_up 1" in metrics
    deep = json.loads(urllib.request.urlopen(base + "/healthz?deep=1", timeout=5).read())
    assert deep["redis"] == "up"


def test_health_check_users_and_read_only_root(engine, server):
    p = engine("healthcheck", "run", server.name, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert server.inspect("{{.HostConfig.ReadonlyRootfs}}") == "true"
    top = engine("top", server.name, "user", "args").stdout.splitlines()[1:]
    users = {line.split()[1]: line.split()[0] for line in top}
    assert users.get("/redis-server") == "admin" and users.get("/suma-console") == "admin", top
    assert users.get("/entrypoint") == "admin", top  # root was dropped, not kept in PID 1
    # The health check says no while the server is down.
    engine("exec", server.name, "/entrypoint", "health")
    out = engine("exec", "-e", "SUMA_RESP_PORT=1", server.name, "/entrypoint", "health", check=False)
    assert out.returncode == 1 and "unhealthy" in out.stdout, out.stdout + out.stderr


def test_health_check_wants_the_module_not_just_redis(engine, image):
    # The same image's redis-server without the module: answering PING is not enough.
    c = run(engine, seed_env(), "--entrypoint", "/redis-server",
            redis_args=["--port", "8090", "--requirepass", PW, "--save", "", "--appendonly", "no",
                        "--enable-module-command", "yes"])
    try:
        r = redis.Redis(host="127.0.0.1", port=c.resp, password=PW, socket_timeout=2)
        wait_for(lambda: r.ping(), 20, "the plain redis-server")
        out = engine("exec", c.name, "/entrypoint", "health", check=False)
        assert out.returncode == 1 and "sumavlib is not loaded" in out.stdout, out.stdout + out.stderr
        r.execute_command("MODULE", "LOAD", "/sumavlib.so", "tenant", "agent.zy", "test")
        out = engine("exec", c.name, "/entrypoint", "health", check=False)
        assert out.returncode == 0 and "healthy: sumavlib loaded" in out.stdout, out.stdout + out.stderr
    finally:
        engine("rm", "-f", "-v", "-t", "2", c.name, check=False)


def test_memory_limit_gives_maxmemory_and_noeviction(engine, image):
    c = run(engine, seed_env(), "--memory", "256m").wait_ready()
    try:
        cfg = c.redis().config_get("maxmemory*")
        assert int(cfg["maxmemory"]) == 256 * 1024 * 1024 * 3 // 4
        assert cfg["maxmemory-policy"] == "noeviction"
        assert c.inspect("{{.HostConfig.Memory}}") == str(256 * 1024 * 1024)
    finally:
        engine("rm", "-f", "-v", "-t", "2", c.name)
    c = run(engine, seed_env(SUMA_MAXMEMORY="100mb"), "--memory", "256m").wait_ready()
    try:
        assert int(c.redis().config_get("maxmemory")["maxmemory"]) == 100 * 1024 * 1024
    finally:
        engine("rm", "-f", "-v", "-t", "2", c.name)
    c = run(engine, seed_env()).wait_ready()
    try:
        cfg = c.redis().config_get("maxmemory*")
        assert cfg["maxmemory"] == "0" and cfg["maxmemory-policy"] == "noeviction"
    finally:
        engine("rm", "-f", "-v", "-t", "2", c.name)


def test_volume_survives_stop_start_and_sigterm_flushes_the_aof(engine, image):
    vol = "suma-data-" + uuid.uuid4().hex[:6]
    engine("volume", "create", vol)
    c = run(engine, seed_env(), "-v", vol + ":/data").wait_ready()
    try:
        r = c.redis()
        r.execute_command("sumavlib.suma_diamond_publish", GROUP, "db.url", "persisted-1")
        version = r.execute_command("sumavlib.suma_diamond_get", GROUP, "db.url")[1]
        r.set("written-last", "flushed-by-sigterm")
        # appendfsync everysec: this write is in the AOF only if shutdown fsyncs it.
        t0 = time.time()
        engine("stop", "-t", "10", c.name)
        stop_s = time.time() - t0
        assert c.inspect("{{.State.ExitCode}}") == "0"
        logs = c.logs()
        assert "Received SIGTERM" in logs and "Calling fsync() on the AOF file" in logs, logs
        assert "entrypoint: redis-server exited with 0" in logs, logs
        mount = engine("volume", "inspect", "--format", "{{.Mountpoint}}", vol).stdout.strip()
        aof = b""
        for d, _, files in os.walk(mount):
            for f in files:
                if ".aof" in f:
                    with open(os.path.join(d, f), "rb") as fh:
                        aof += fh.read()
        assert b"flushed-by-sigterm" in aof
        assert os.stat(os.path.join(mount, "appendonlydir")).st_uid == 10001

        engine("start", c.name)
        c.wait_ready()
        r = c.redis()
        assert r.execute_command("sumavlib.suma_diamond_get", GROUP, "db.url")[:2] == ["persisted-1", version]
        assert r.get("written-last") == "flushed-by-sigterm"
        engine("rm", "-f", "-t", "5", c.name)
        # A new container on the same volume has it too.
        c = run(engine, seed_env(), "-v", vol + ":/data").wait_ready()
        assert c.redis().get("written-last") == "flushed-by-sigterm"
        print("\npodman stop took %.2f s" % stop_s)
    finally:
        engine("rm", "-f", "-t", "5", c.name, check=False)
        engine("volume", "rm", "-f", vol, check=False)


def test_signals_are_forwarded_to_redis(engine, image):
    c = run(engine, seed_env()).wait_ready()
    try:
        engine("kill", "--signal", "INT", c.name)
        wait_for(lambda: c.inspect("{{.State.Status}}") == "exited", 20, "exit after SIGINT")
        logs = c.logs()
        assert "Received SIGINT" in logs and "ready to exit" in logs, logs
        assert c.inspect("{{.State.ExitCode}}") == "0"
    finally:
        engine("rm", "-f", "-v", c.name, check=False)


@pytest.mark.parametrize("change, expected", [
    ({"APOLLO_OWNER_ID": None}, "APOLLO_OWNER_ID and APOLLO_BUINESS_ID name the tenant"),
    ({"APOLLO_BUINESS_ID": None}, "APOLLO_OWNER_ID and APOLLO_BUINESS_ID name the tenant"),
    ({"APOLLO_PORT": "80a"}, 'invalid APOLLO_PORT "80a"'),
    ({"APOLLO_PORT": "70000"}, 'invalid APOLLO_PORT "70000"'),
    ({"LOCAL_IP": "10.0.0.300"}, 'invalid LOCAL_IP "10.0.0.300"'),
    ({"SUMA_PASSWORD": None}, "a password is required"),
    ({"CONTAINER_TYPE": "replica"}, "needs SUMA_PRIMARY"),
    ({"SUMA_MAXMEMORY": "lots"}, 'invalid SUMA_MAXMEMORY "lots"'),
])
def test_refuses_a_missing_or_invalid_variable(engine, image, change, expected):
    env = seed_env()
    for k, v in change.items():
        if v is None:
            env.pop(k)
        else:
            env[k] = v
    c = run(engine, env, detach=False)
    try:
        out = c.run_result.stdout + c.run_result.stderr
        assert c.run_result.returncode == 2, out
        assert "entrypoint: refusing to start: " in out and expected in out, out
    finally:
        engine("rm", "-f", "-v", c.name, check=False)


def test_logs_on_stdout_and_in_a_mounted_log_directory_rotated_by_size(engine, image):
    logs = tempfile.mkdtemp(prefix="suma-logs-")  # root's, as `docker run -v` makes it
    c = run(engine, seed_env(SUMA_LOG_MAX_BYTES=4096, SUMA_LOG_FILES=2), "-v", logs + ":/home/admin/logs",
            redis_args=["--enable-debug-command", "yes"]).wait_ready()
    try:
        r = c.redis()
        for i in range(120):
            r.execute_command("DEBUG", "LOG", "log-line-%03d %s" % (i, "x" * 80))
        wait_for(lambda: "log-line-119" in open(os.path.join(logs, "redis.log")).read(), 10, "the last line")
        names = sorted(os.listdir(logs))
        assert names == ["console.log", "redis.log", "redis.log.1", "redis.log.2"], names
        for n in names:
            assert os.path.getsize(os.path.join(logs, n)) <= 4096, n
            assert os.stat(os.path.join(logs, n)).st_uid == 10001
        assert "listening on http://0.0.0.0:10082" in open(os.path.join(logs, "console.log")).read()
        stdout = c.logs()
        assert "log-line-000" in stdout and "log-line-119" in stdout and re.search(r"suma-console [0-9.]+: listening", stdout)
    finally:
        engine("rm", "-f", "-v", "-t", "5", c.name, check=False)
        shutil.rmtree(logs, ignore_errors=True)


def test_runs_as_a_given_user_too_with_the_password_from_a_mounted_file(engine, image):
    secret = tempfile.mkdtemp(prefix="suma-secret-")
    with open(os.path.join(secret, "password"), "w") as f:
        f.write(PW + "\n")
    os.chmod(os.path.join(secret, "password"), 0o644)
    env = seed_env(SUMA_PASSWORD_FILE="/run/secrets/suma_password")
    env.pop("SUMA_PASSWORD")
    c = run(engine, env, "--user", "10001:10001",
            "-v", os.path.join(secret, "password") + ":/run/secrets/suma_password:ro").wait_ready()
    try:
        assert "uid 10001" in c.logs()
        assert c.redis().execute_command("sumavlib.suma_try_leader", GROUP + "_master", "10.0.0.1:1") == 1
    finally:
        engine("rm", "-f", "-v", "-t", "5", c.name, check=False)
        shutil.rmtree(secret, ignore_errors=True)


def test_replica_container_follows_its_primary(engine, image):
    rep_port = free_port()
    primary = run(engine, seed_env(), extra_ports=[(rep_port, 8091)]).wait_ready()
    try:
        # The replica shares the primary's network namespace (its port is
        # mapped there), so it reaches the primary on 127.0.0.1:8090.
        replica = run(engine, seed_env(APOLLO_PORT=rep_port, CONTAINER_TYPE="replica", SUMA_PRIMARY="127.0.0.1:8090",
                                       SUMA_RESP_PORT=8091, SUMA_CONSOLE_PORT=10083),
                      "--network", "container:" + primary.name, publish=False)
        replica.resp = rep_port
        p = primary.redis()
        p.execute_command("sumavlib.suma_diamond_publish", GROUP, "k", "v1")
        r = replica.redis()
        wait_for(lambda: (r.execute_command("sumavlib.suma_diamond_get", GROUP, "k") or [None])[0] == "v1",
                 20, "the config on the replica")
        with pytest.raises(redis.exceptions.ReadOnlyError):
            r.execute_command("sumavlib.suma_diamond_publish", GROUP, "k", "v2")
        engine("rm", "-f", "-v", "-t", "5", replica.name)
    finally:
        engine("rm", "-f", "-v", "-t", "5", primary.name, check=False)


def test_saved_archive_loads_into_an_empty_store_and_runs(engine, image):
    archive = os.path.join(engine.dir, "suma-apollo-redis.tar.gz")
    p = subprocess.run([os.path.join(HERE, "build-image.sh"), "save", BUILD, TAG, archive], capture_output=True,
                       text=True, env=dict(engine.env, PODMAN=" ".join(engine.cmd)), timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    with open(archive, "rb") as f:
        assert f.read(2) == b"\x1f\x8b", "a gzip archive"
    with gzip.open(archive) as f:
        f.read(1)
    fresh = Engine()
    try:
        assert fresh("images", "-q").stdout.strip() == ""
        # podman 4.3 loads a gzip archive from a pipe (docker load, and newer
        # podman, also with -i); both read what `podman save` wrote.
        gunzip = subprocess.Popen(["gunzip", "-c", archive], stdout=subprocess.PIPE)
        out = fresh("load", stdin=gunzip.stdout).stdout
        assert gunzip.wait() == 0
        assert TAG in out or "suma-apollo-redis" in out, out
        size = int(fresh("image", "inspect", "--format", "{{.Size}}", TAG).stdout)
        print("\narchive: %d bytes gzip; loaded image: %d bytes" % (os.path.getsize(archive), size))
        c = run(fresh, seed_env()).wait_ready()
        assert c.redis().execute_command("sumavlib.suma_try_leader", GROUP + "_master", "10.0.0.1:1") == 1
        assert fresh("healthcheck", "run", c.name, check=False).returncode == 0
    finally:
        fresh.close()
