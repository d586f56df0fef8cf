"""The suma image: build it with podman, run its entrypoint from the exported
root filesystem (unshare + chroot, as docs/operations.md and the shared
container note describe), and check it the way an operator uses it.

- every sumavlib command answers through the RESP port (compared with
  COMMAND LIST FILTERBY MODULE sumavlib, so a new command cannot be missed);
- the tenant lock, the password rule, the console and /metrics on the console port;
- the seed's defaults (8090/10082 on 0.0.0.0, password from a mounted file) in a
  private network namespace;
- persistence to a mounted /data, and a replica container (CONTAINER_TYPE=replica);
- `podman run` where this machine allows it (skipped with the reason otherwise).
Measured and printed, not asserted: image size, build time, start -> first command.
If `podman build` itself cannot work here the module is skipped and says
"IMAGE BUILD SKIPPED" (ctest reports it as skipped).
"""
import gzip
import json
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
import redis

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("SUMA_BUILD_DIR", os.path.join(ROOT, "build-console"))
TAG = "localhost/suma-apollo-redis:test"
GROUP = "agent.zy_test"
PW = "image-pw-1"
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
REPORT = {}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def podman_cmd(store):
    return ["podman", "--storage-driver", "vfs", "--root", os.path.join(store, "root"),
            "--runroot", os.path.join(store, "run")]


@pytest.fixture(scope="module")
def image():
    if not shutil.which("podman"):
        print("IMAGE BUILD SKIPPED: podman is not installed (scripts/setup.sh installs it)")
        pytest.skip("podman is not installed")
    # A private image store, so the test neither needs nor disturbs the machine's.
    store = tempfile.mkdtemp(prefix="suma-podman-")
    podman = podman_cmd(store)
    t0 = time.time()
    p = subprocess.run([os.path.join(HERE, "build-image.sh"), BUILD, TAG], capture_output=True, text=True,
                       env=dict(os.environ, PODMAN=" ".join(podman)), timeout=180)
    REPORT["build_s"] = time.time() - t0
    if p.returncode == 3:
        shutil.rmtree(store, ignore_errors=True)
        print("IMAGE BUILD SKIPPED: `podman build` cannot work on this machine:\n" + p.stderr[-2000:])
        pytest.skip("podman build cannot work here: " + p.stderr.strip().splitlines()[-1])
    assert p.returncode == 0, p.stdout + p.stderr
    size = int(subprocess.check_output(podman + ["image", "inspect", "--format", "{{.Size}}", TAG], text=True))
    archive = os.path.join(store, "image.tar")
    subprocess.run(podman + ["save", "--quiet", "-o", archive, TAG], check=True, timeout=60)
    with open(archive, "rb") as f:
        REPORT["gzip_bytes"] = len(gzip.compress(f.read(), 6))
    os.unlink(archive)
    REPORT["size_bytes"] = size
    rootfs = os.path.join(store, "rootfs")
    os.makedirs(rootfs)
    subprocess.run(podman + ["create", "--name", "suma-export", TAG], check=True, capture_output=True)
    exp = subprocess.Popen(podman + ["export", "suma-export"], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", rootfs], stdin=exp.stdout, check=True)
    exp.wait()
    subprocess.run(podman + ["rm", "suma-export"], check=True, capture_output=True)
    yield {"podman": podman, "rootfs": rootfs, "store": store}
    print("\nimage report (measured, not asserted): " + json.dumps(REPORT, sort_keys=True))
    subprocess.run(podman + ["rm", "-af"], capture_output=True)
    subprocess.run(podman + ["rmi", "-af"], capture_output=True)
    shutil.rmtree(store, ignore_errors=True)


class RootfsContainer:
    """The image's rootfs run as a container: fresh mount + PID namespace,
    /dev and optional mounts inside it, chroot, /entrypoint as PID 1."""

    def __init__(self, rootfs, env, mounts=(), net_ns=False):
        self.rootfs = rootfs
        script = []
        if net_ns:
            script.append("ip link set lo up")
        script.append("mount --rbind /dev %s/dev" % rootfs)
        for host, inside in mounts:
            script.append("mount --bind %s %s%s" % (host, rootfs, inside))
        script.append("exec %s %s /entrypoint" % (CHROOT, rootfs))
        argv = [UNSHARE, "--mount", "--pid", "--fork", "--kill-child",
                "--mount-proc=%s/proc" % rootfs] + (["--net"] if net_ns else []) + \
            ["/bin/sh", "-c", " && ".join(script)]
        self.log = tempfile.NamedTemporaryFile(prefix="suma-image-", suffix=".log", delete=False)
        self.started = time.time()
        self.proc = subprocess.Popen(argv, env=dict(env, PATH="/usr/sbin:/usr/bin:/sbin:/bin"),
                                     stdout=self.log, stderr=self.log)

    def output(self):
        with open(self.log.name) as f:
            return f.read()

    def init_pid(self):
        """Host pid of /entrypoint (the unshare process's child)."""
        def child():
            try:
                with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                    return f.read().split()
            except OSError:
                return None
        return int(wait_for(child, 10, "entrypoint pid")[0])

    def stop(self, timeout=20):
        """SIGTERM to /entrypoint (as `docker stop` does); waits until it has exited."""
        if self.proc.poll() is None:
            pid = self.init_pid()
            os.kill(pid, 15)
            # /entrypoint is PID 1 of the namespace: when it exits, the kernel ends
            # the namespace and unshare returns with its status.
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(pid, 9)
                self.proc.wait()
        out = self.output()
        os.unlink(self.log.name)
        return out


def wait_for(fn, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            v = fn()
            if v:
                return v
        except (OSError, redis.exceptions.RedisError):
            pass
        time.sleep(0.002)
    raise AssertionError("timed out waiting for " + what)


def base_env(resp, console, **extra):
    env = {"SUMA_BIND": "127.0.0.1", "SUMA_RESP_PORT": str(resp), "SUMA_CONSOLE_PORT": str(console),
           "SUMA_PASSWORD": PW, "LOCAL_IP": "127.0.0.1", "CONTAINER_TYPE": "master",
           "APOLLO_OWNER_ID": "agent.zy", "APOLLO_BUINESS_ID": "test", "APOLLO_PORT": str(resp)}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def first_answer(port, password=PW):
    """Seconds until a sumavlib command is answered on port (from now)."""
    def ask():
        c = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=1,
                        socket_connect_timeout=0.2, decode_responses=True)
        try:
            return c.execute_command("sumavlib.suma_vip_list", GROUP) == []
        finally:
            c.close()
    wait_for(ask, 10, "first command on port %d" % port)


@pytest.fixture
def container(image):
    resp, cons = free_port(), free_port()
    c = RootfsContainer(image["rootfs"], base_env(resp, cons))
    t0 = c.started
    first_answer(resp)
    REPORT.setdefault("start_to_first_command_ms", []).append(round((time.time() - t0) * 1000, 1))
    wait_for(lambda: urllib.request.urlopen("http://127.0.0.1:%d/healthz" % cons, timeout=1).status == 200,
             10, "console")
    REPORT.setdefault("start_to_console_ms", []).append(round((time.time() - t0) * 1000, 1))
    c.resp, c.console = resp, cons
    yield c
    out = c.stop()
    assert "redis-server exited with 0" in out, out


def test_image_contents(image):
    files = sorted(os.path.relpath(os.path.join(d, f), image["rootfs"])
                   for d, _, fs in os.walk(image["rootfs"]) for f in fs)
    print("\nimage files: " + " ".join(files))
    for f in ("entrypoint", "redis-server", "sumavlib.so", "suma-console",
              "lib/x86_64-linux-gnu/libsystemd.so.0", "lib64/ld-linux-x86-64.so.2"):
        assert f in files
    assert not any(f.startswith(("bin/", "usr/")) for f in files), "no shell or distribution files"
    assert not [f for f in files if "gcrypt" in f or "lzma" in f], "real libsystemd's deps stay out"


def test_every_command_through_the_resp_port(container):
    r = redis.Redis(host="127.0.0.1", port=container.resp, password=PW, decode_responses=True)
    m, ch = GROUP + "_master", GROUP + "_channel"
    X = r.execute_command
    used = set()

    def x(cmd, *args):
        used.add(cmd)
        return X("sumavlib." + cmd, *args)

    assert x("suma_try_leader", m, "10.0.0.7:9001") == 1
    info = x("suma_leader_info", m)
    assert info[1] == "10.0.0.7:9001" and info[3] == 1
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
    assert x("suma_diamond_cas", ch, "db.url", 1, "mysql://b") == 1
    assert x("suma_diamond_get", ch, "db.url")[:2] == ["mysql://b", 2]
    assert [h[0] for h in x("suma_diamond_history", ch, "db.url")] == [2, 1]
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
    events = x("suma_events", ch, 0)
    assert json.loads(events[0])["type"] == "online"
    assert x("suma_leader_resign", m, "10.0.0.7:9001") == 1
    assert x("suma_vip_leave", m, "10.0.0.8:9001") == 1
    # Every command the module registers was used above.
    raw = redis.Redis(host="127.0.0.1", port=container.resp, password=PW, decode_responses=True)
    raw.response_callbacks.pop("COMMAND", None)  # redis-py would parse it as COMMAND INFO
    module_cmds = {c.split(".", 1)[1] for c in raw.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "sumavlib")}
    summary = x("suma_group_info", m)
    assert dict(zip(summary[::2], summary[1::2]))["epoch"] == 1
    assert module_cmds == used, module_cmds ^ used
    # Locked to the tenant: the braced form of its own group works, others do not.
    assert x("suma_keep_alive", "{agent.zy_test}_master", "10.0.0.9:9001") is None
    with pytest.raises(redis.exceptions.ResponseError, match="does not belong to this server.s tenant"):
        x("suma_keep_alive", "agent.other_test_master", "10.0.0.9:9001")
    with pytest.raises(redis.exceptions.ResponseError, match="WRONGPASS"):
        redis.Redis(host="127.0.0.1", port=container.resp, password="wrong").ping()


def test_console_and_metrics_on_the_console_port(container):
    r = redis.Redis(host="127.0.0.1", port=container.resp, password=PW)
    r.execute_command("sumavlib.suma_keep_alive", GROUP + "_master", "10.0.0.8:9001")
    base = "http://127.0.0.1:%d" % container.console
    page = urllib.request.urlopen(base + "/", timeout=5).read()
    assert b"Suma Apollo" in page
    # The console login is the container's password; Redis's stays inside.
    req = urllib.request.Request(base + "/login", data=b"user=admin&password=" + PW.encode(), method="POST")
    resp = urllib.request.urlopen(req, timeout=5)
    cookie = resp.headers["Set-Cookie"].split(";")[0]
    groups = urllib.request.urlopen(urllib.request.Request(base + "/api/groups", headers={"Cookie": cookie}),
                                    timeout=5).read()
    assert json.loads(groups) == {"groups": [GROUP]}
    metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    assert 'suma_group_live_hosts{group="agent.zy_test"} 1' in metrics
    assert "suma_up 1" in metrics


def test_refuses_to_start_without_password_or_tenant(image):
    env = base_env(free_port(), free_port(), SUMA_BIND="0.0.0.0")
    del env["SUMA_PASSWORD"]
    c = RootfsContainer(image["rootfs"], env)
    c.proc.wait(timeout=10)
    out = c.stop()
    assert c.proc.returncode == 2 and "a password is required" in out, out
    env = base_env(free_port(), free_port())
    del env["APOLLO_OWNER_ID"]
    c = RootfsContainer(image["rootfs"], env)
    c.proc.wait(timeout=10)
    out = c.stop()
    assert c.proc.returncode == 2 and "APOLLO_OWNER_ID" in out, out


def test_seed_defaults_in_a_private_network(image):
    """Ports 8090/10082 on 0.0.0.0 with a mounted password file, as `docker run` would."""
    rootfs = image["rootfs"]
    secret_dir = tempfile.mkdtemp(prefix="suma-secret-")
    with open(os.path.join(secret_dir, "password"), "w") as f:
        f.write(PW + "\n")
    os.makedirs(rootfs + "/run/secrets", exist_ok=True)
    env = {"LOCAL_IP": "10.1.2.3", "CONTAINER_TYPE": "master", "APOLLO_OWNER_ID": "agent.zy",
           "APOLLO_BUINESS_ID": "test", "APOLLO_PORT": "18090",
           "SUMA_PASSWORD_FILE": "/run/secrets/password"}
    c = RootfsContainer(rootfs, env, mounts=[(secret_dir, "/run/secrets")], net_ns=True)
    try:
        pid = str(c.init_pid())
        cli = ["nsenter", "-t", pid, "-n", "redis-cli", "-p", "8090", "--no-auth-warning", "-a", PW]
        wait_for(lambda: subprocess.run(cli + ["PING"], capture_output=True, text=True).stdout.strip() == "PONG",
                 10, "PING on 8090 in the namespace")
        out = subprocess.run(cli + ["sumavlib.suma_try_leader", GROUP + "_master", "10.0.0.1:1"],
                             capture_output=True, text=True).stdout.strip()
        assert out == "1"
        announced = subprocess.run(cli + ["CONFIG", "GET", "replica-announce-ip"], capture_output=True,
                                   text=True).stdout.split()
        assert announced[-1] == "10.1.2.3"
        probe = ("import urllib.request;print(urllib.request.urlopen("
                 "'http://127.0.0.1:10082/healthz?deep=1',timeout=2).read().decode())")
        health = wait_for(lambda: subprocess.run(["nsenter", "-t", pid, "-n", "/usr/bin/python3", "-c", probe],
                                                 capture_output=True, text=True).stdout, 10, "console on 10082")
        assert json.loads(health)["redis"] == "up"
        # Nothing of it is reachable from the host's network.
        with pytest.raises(OSError):
            _connect_expect_not_ours(8090)
    finally:
        out = c.stop()
        shutil.rmtree(secret_dir, ignore_errors=True)
        shutil.rmtree(rootfs + "/run", ignore_errors=True)
    assert "redis-server exited with 0" in out, out


def _connect_expect_not_ours(port):
    """Raises OSError unless something on the host answers PING with our password."""
    r = redis.Redis(host="127.0.0.1", port=port, password=PW, socket_connect_timeout=0.5)
    try:
        r.ping()
    except redis.exceptions.RedisError as e:
        raise OSError(str(e))


def test_persists_to_mounted_data(image):
    rootfs = image["rootfs"]
    data = tempfile.mkdtemp(prefix="suma-data-")
    os.makedirs(rootfs + "/data", exist_ok=True)
    try:
        for round_ in (1, 2):
            resp, cons = free_port(), free_port()
            c = RootfsContainer(rootfs, base_env(resp, cons), mounts=[(data, "/data")])
            try:
                first_answer(resp)
                r = redis.Redis(host="127.0.0.1", port=resp, password=PW, decode_responses=True)
                if round_ == 1:
                    r.execute_command("sumavlib.suma_diamond_publish", GROUP, "db.url", "persisted")
                else:
                    assert r.execute_command("sumavlib.suma_diamond_get", GROUP, "db.url")[:2] == ["persisted", 1]
            finally:
                out = c.stop()
            assert "data in /data" in out, out
        assert any(n.startswith("appendonly") for n in os.listdir(data))
    finally:
        shutil.rmtree(rootfs + "/data", ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def test_replica_container_follows_its_primary(image, container):
    resp, cons = free_port(), free_port()
    env = base_env(resp, cons, CONTAINER_TYPE="replica", SUMA_PRIMARY="127.0.0.1:%d" % container.resp)
    rep = RootfsContainer(image["rootfs"], env)
    try:
        p = redis.Redis(host="127.0.0.1", port=container.resp, password=PW, decode_responses=True)
        p.execute_command("sumavlib.suma_diamond_publish", GROUP, "k", "v1")
        r = redis.Redis(host="127.0.0.1", port=resp, password=PW, decode_responses=True)
        wait_for(lambda: (r.execute_command("sumavlib.suma_diamond_get", GROUP, "k") or [None])[0] == "v1",
                 15, "replicated config")
        with pytest.raises(redis.exceptions.ReadOnlyError):
            r.execute_command("sumavlib.suma_diamond_publish", GROUP, "k", "v2")
    finally:
        rep.stop()


def test_podman_run_where_it_works(image):
    podman = image["podman"]
    resp, cons = free_port(), free_port()
    env_args = []
    for k, v in base_env(resp, cons).items():
        env_args += ["-e", "%s=%s" % (k, v)]
    t0 = time.time()
    # Host network on loopback ports: nothing else of the machine's network is touched.
    # podman's default rlimits (nofile 1048576) exceed what sandboxed machines
    # allow, so ask for what this process may have; what still fails (crun on a
    # cgroup v1/hybrid host) is outside the image and reported as a skip.
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limits = ["--ulimit", "nofile=%d:%d" % (nofile, nofile), "--ulimit", "nproc=4096:4096"]
    p = subprocess.run(podman + ["run", "-d", "--name", "suma-run", "--network", "host"] + limits + env_args + [TAG],
                       capture_output=True, text=True, timeout=60)
    try:
        if p.returncode != 0:
            print("\npodman run cannot work on this machine: " + p.stderr.strip()[-600:])
            pytest.skip("podman run cannot work here: " + (p.stderr.strip().splitlines() or ["?"])[-1])
        try:
            first_answer(resp)
        except AssertionError:
            logs = subprocess.run(podman + ["logs", "suma-run"], capture_output=True, text=True).stdout
            pytest.skip("podman run started but the container did not answer: " + logs[-600:])
        REPORT["podman_run_to_first_command_ms"] = round((time.time() - t0) * 1000, 1)
        r = redis.Redis(host="127.0.0.1", port=resp, password=PW)
        assert r.execute_command("sumavlib.suma_try_leader", GROUP, "10.0.0.1:1") == 1
    finally:
        subprocess.run(podman + ["rm", "-f", "-t", "5", "suma-run"], capture_output=True, timeout=60)
