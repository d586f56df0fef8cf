"""A private container engine and a suma-fleet daemon for the fleet tests and
fleet benchmark.

Engine(dir) starts `podman system service` on a unix socket with a private
image store (--root/--runroot, vfs) and the runc/cgroupfs/ulimits recipe of
docs/fleet.md; build_image() builds our image into that store with
image/build-image.sh. FleetProc starts `suma-fleet serve` against it and a
control server (a redis-server with sumavlib), and can kill -9 it.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
from suma_testing import RedisServer, free_port, wait_until as poll  # noqa: E402
from suma_testing import free_port_range as shared_free_port_range  # noqa: E402
from suma_testing.containers import PodmanStore  # noqa: E402

BUILD = os.environ.get("SUMA_BUILD_DIR", os.path.join(ROOT, "build"))
FLEET_BIN = os.environ.get("SUMA_FLEET_BIN", os.path.join(BUILD, "fleet", "suma-fleet"))
IMAGE = "suma-apollo-redis:fleet-test"



class EngineUnavailable(Exception):
    pass


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Engine:
    def __init__(self):
        if shutil.which("podman") is None:
            raise EngineUnavailable("podman is not installed")
        if os.geteuid() != 0:
            raise EngineUnavailable("the tests run rootful podman and need root")
        store = PodmanStore(prefix="suma-fleet-engine-", parent="/tmp")
        self.dir, self.conf, self.env, self.podman = store.dir, store.conf, store.env, store.cmd
        self.sock = os.path.join(self.dir, "api.sock")
        self.log = open(os.path.join(self.dir, "service.log"), "w")
        self.proc = subprocess.Popen(self.podman + ["system", "service", "--time", "0", "unix://" + self.sock],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            poll(lambda: self.call("GET", "/_ping")[0] == 200, timeout=30, what="podman API service")
        except AssertionError as e:
            self.close()
            raise EngineUnavailable("podman system service did not answer: %s" % e)

    def call(self, method, path, body=None):
        try:
            c = UnixHTTPConnection(self.sock)
            c.request(method, "/v1.41" + path, body=json.dumps(body) if body is not None else None,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            c.close()
            try:
                return r.status, json.loads(data) if data else None
            except ValueError:
                return r.status, data.decode(errors="replace")
        except OSError:
            return 0, None

    def build_image(self):
        r = subprocess.run([os.path.join(ROOT, "image", "build-image.sh"), BUILD, IMAGE],
                           env=dict(self.env, PODMAN=" ".join(self.podman)),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise AssertionError("image build failed:\n" + r.stdout[-3000:])

    def containers(self, label="suma.tenant"):
        st, body = self.call("GET", "/containers/json?all=true&filters=" +
                             urllib.request.quote(json.dumps({"label": [label]})))
        return body if st == 200 else []

    def volumes(self):
        st, body = self.call("GET", "/volumes")
        return [v["Name"] for v in (body or {}).get("Volumes") or []] if st == 200 else []

    def inspect(self, name):
        st, body = self.call("GET", "/containers/%s/json" % name)
        return body if st == 200 else None

    def remove_all(self):
        for c in self.containers("suma.tenant"):
            self.call("DELETE", "/containers/%s?force=1" % c["Id"])
        for v in self.volumes():
            self.call("DELETE", "/volumes/%s?force=1" % v)

    def close(self):
        if self.proc.poll() is None:
            self.remove_all()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        subprocess.run(self.podman + ["system", "reset", "--force"], env=self.env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


def cgroup_memory_limit(cid):
    """The container's memory limit as the kernel enforces it (cgroup v1 or v2), or None."""
    import glob
    for f in glob.glob("/sys/fs/cgroup/memory/**/*%s*/memory.limit_in_bytes" % cid, recursive=True) + \
            glob.glob("/sys/fs/cgroup/**/*%s*/memory.max" % cid, recursive=True):
        return int(open(f).read())
    return None


def free_port_range(n):
    """(first, last) of n free loopback ports in a row, below the ephemeral range."""
    base = shared_free_port_range(n)
    return base, base + n - 1


class FleetProc:
    def __init__(self, engine_sock, control_port, ports, extra=(), token=None):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.argv = [FLEET_BIN, "serve", "--listen", "127.0.0.1:%d" % self.port, "--engine", engine_sock,
                     "--control", "127.0.0.1:%d" % control_port, "--image", IMAGE,
                     "--ports", "%d-%d" % ports, "--reconcile-ms", "500"] + list(extra)
        self.env = dict(os.environ)
        if token:
            self.env["SUMA_FLEET_TOKEN"] = token
        self.logpath = tempfile.mktemp(prefix="suma-fleet-", suffix=".log", dir="/tmp")
        self.proc = None
        self.start()

    def start(self, extra=()):
        self.log = open(self.logpath, "a")
        self.proc = subprocess.Popen(self.argv + list(extra), stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        poll(lambda: self.healthy(), timeout=20, what="suma-fleet /healthz", on_fail=self.log_tail)

    def healthy(self):
        if self.proc.poll() is not None:
            raise AssertionError("suma-fleet exited: " + self.log_tail())
        try:
            return self.request("GET", "/healthz")[0] == 200
        except OSError:
            return False

    def request(self, method, path, body=None, raw=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text

    def tenant(self, name):
        st, body = self.request("GET", "/v1/tenants/" + name)
        return body if st == 200 else None

    def wait_idle(self, name, timeout=60):
        """Waits until the tenant's operation ended; returns the tenant (None if gone)."""
        def idle():
            st, t = self.request("GET", "/v1/tenants/" + name)
            if st == 404:
                return {"gone": True}
            return t if t["operation"]["state"] != "running" else None
        t = poll(idle, timeout=timeout, interval=0.05, what="operation of %s" % name, on_fail=self.log_tail)
        return None if t.get("gone") else t

    def cli(self, *args, check=True):
        r = subprocess.run([FLEET_BIN, "tenant"] + list(args), env=dict(self.env, SUMA_FLEET=self.url),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=180)
        if check and r.returncode != 0:
            raise AssertionError("suma-fleet tenant %s failed (%d): %s%s" % (args, r.returncode, r.stdout, r.stderr))
        return r

    def metrics(self):
        return self.request("GET", "/metrics")[1]

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()
        if not self.log.closed:
            self.log.close()
        try:
            os.unlink(self.logpath)
        except OSError:
            pass

    def log_tail(self, n=40):
        try:
            with open(self.logpath) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

