"""Helpers for the suma-agent integration tests: a real suma-agent process
with its own config dir, health port and log, plus hook scripts that record
each call into a file.

SUMA_AGENT names the binary (ctest sets it; default build/agent/suma-agent).
Waits poll with a generous deadline and fail with the agent's log; no test
asserts how long anything took.
"""
import json
import os
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
from suma_testing import RedisServer, free_port, wait_until  # noqa: F401

AGENT = os.environ.get("SUMA_AGENT", os.path.join(ROOT, "build", "agent", "suma-agent"))
GROUP = "agent.zy_test"
CHANNEL = GROUP + "_channel"
# Short TTLs keep the suite fast: heartbeats every 300 ms.
MODULE_ARGS = ["host-ttl-ms", 900, "lease-ms", 900, "task-lease-ms", 900]
TIMING = ["--host-ttl-ms", "900", "--lease-ms", "900", "--task-lease-ms", "900",
          "--task-poll-ms", "100", "--reconnect-min-ms", "50", "--reconnect-max-ms", "400",
          "--command-timeout-ms", "2000"]


def write_hook(path, body):
    """An executable /bin/sh hook; $OUT is the file it appends to."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def recorder(tmp, name, fields):
    """A hook appending one line of the given env vars per call to <name>.log."""
    out = os.path.join(tmp, name + ".log")
    line = " ".join("%s=${%s}" % (f, f) for f in fields)
    return write_hook(os.path.join(tmp, name + ".sh"), 'echo "%s" >> %s' % (line, out)), out


def lines(path):
    try:
        with open(path) as f:
            return [l.rstrip("\n") for l in f if l.strip()]
    except FileNotFoundError:
        return []


class Agent:
    def __init__(self, tmp, name="a", vip="127.0.0.1:9001", args=(), env=None, server=None):
        self.dir = os.path.join(str(tmp), "agent-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.config_dir = os.path.join(self.dir, "config")
        self.log_path = os.path.join(self.dir, "agent.log")
        self.health_port = free_port()
        self.vip = vip
        self.args = list(args)
        self.env = dict(env or {})
        self.server = server
        self.proc = None

    def argv(self):
        a = [AGENT, "--group", GROUP, "--vip", self.vip, "--config-dir", self.config_dir,
             "--health-listen", "127.0.0.1:%d" % self.health_port] + TIMING
        if self.server is not None:
            a += ["--redis", "127.0.0.1:%d" % self.server.port]
        return a + self.args

    def start(self):
        env = dict(os.environ)
        env.update(self.env)
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        wait_until(lambda: self.health() is not None, 10, what="agent health endpoint",
                   on_fail=self.log)
        return self

    def http(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.health_port, path),
                                        timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except (urllib.error.URLError, ConnectionError, OSError):
            if self.proc and self.proc.poll() is not None:
                raise AssertionError("agent exited with %s\n%s" % (self.proc.returncode, self.log()))
            return None

    def health(self):
        return self.http("/health")

    def status(self):
        r = self.http("/status")
        return json.loads(r[1]) if r and r[0] == 200 else {}

    def log(self):
        try:
            with open(self.log_path) as f:
                return "--- agent log %s ---\n%s" % (self.dir, f.read()[-6000:])
        except OSError:
            return "(no agent log)"

    def wait(self, what, fn, timeout=30.0):
        return wait_until(fn, timeout, what=what, on_fail=self.log)

    def terminate(self, timeout=15):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("agent ignored SIGTERM\n" + self.log())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
