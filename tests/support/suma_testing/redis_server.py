"""Starts real redis-server processes with sumavlib for every suite.

RedisServer(...) picks a free loopback port, writes its data into a temp
directory, waits until PING answers and stops the process on stop().
SUMAVLIB names the module file (ctest sets it; default build/sumavlib.so).
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODULE = os.environ.get("SUMAVLIB", os.path.join(ROOT, "build", "sumavlib.so"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def wait_until(fn, timeout=10.0, interval=0.05, what="condition", on_fail=None):
    """Calls fn until it returns a truthy value and returns that value; fails
    with AssertionError (plus on_fail()'s text, if given) once timeout seconds
    have passed. The deadline only bounds a wait: no test asserts how long
    something took."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    detail = ("\n" + on_fail()) if on_fail else ""
    raise AssertionError("timed out waiting for %s (last value %r)%s" % (what, last, detail))


def stop_process(proc, timeout=15):
    """SIGTERM, then SIGKILL if proc has not exited after timeout seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def ephemeral_low():
    """The lowest port the kernel hands out to outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


_handed_out = set()  # ports this process gave out: two calls before either bind never collide


def free_port_range(n=1):
    """The first of n free loopback ports in a row (checked by binding each,
    and never handed out before by this process), below the kernel's
    ephemeral range; a run of several starts on an even port (the fleet's
    pairs). Why below that range: an outgoing connection of the test itself
    may otherwise take the port between this check and the server's bind
    ("address already in use"), which happened to podman's port forwarding
    and to the fleet's tenants."""
    top = ephemeral_low() - n
    if top <= 20000:
        top = 65535 - n
    step = 2 if n > 1 else 1
    for _ in range(500):
        base = 20000 + step * (int.from_bytes(os.urandom(2), "big") % ((top - 20000) // step))
        ports = range(base, base + n)
        if not _handed_out.intersection(ports) and all(_bindable(p) for p in ports):
            _handed_out.update(ports)
            return base
    raise RuntimeError("no run of %d free ports below %d" % (n, top + n))


def free_port():
    """A free loopback port for a server a test starts (see free_port_range)."""
    return free_port_range(1)


class RedisServer:
    def __init__(self, module_args=(), extra=(), port=None, datadir=None, module=True,
                 aof=False, fsync="always"):
        self.port = port or free_port()
        self.own_dir = datadir is None  # a caller's directory stays the caller's
        self.dir = datadir or tempfile.mkdtemp(prefix="suma-redis-")
        self.module_args = list(module_args)
        self.extra = list(extra)
        self.module = module
        self.aof = aof
        self.fsync = fsync
        self.proc = None
        try:
            self.start()
        except Exception:
            self.stop()
            if self.own_dir:
                shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def argv(self):
        a = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--save", "", "--logfile", os.path.join(self.dir, "redis.log"),
             "--appendonly", "yes" if self.aof else "no", "--appendfsync", self.fsync]
        if self.module:
            a += ["--loadmodule", MODULE] + [str(x) for x in self.module_args]
        return a + [str(x) for x in self.extra]

    def start(self, timeout=10.0):
        # stderr is kept: what a process prints there as it dies (a sanitizer,
        # the allocator, a fatal error before the log is open) is in no log.
        with open(os.path.join(self.dir, "stderr.log"), "ab") as err:
            self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited: " + self.log_tail())
            try:
                if self.client().ping():
                    return
            except redis.exceptions.BusyLoadingError:
                pass
            except redis.exceptions.ConnectionError:
                pass
            time.sleep(0.02)
        raise RuntimeError("redis-server did not answer PING: " + self.log_tail())

    def client(self, **kw):
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                           socket_timeout=10, **kw)

    def log_tail(self, n=30):
        out = []
        for name in ("redis.log", "stderr.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    lines = f.readlines()[-n:]
            except OSError:
                continue
            if lines:
                out.append("%s:\n%s" % (name, "".join(lines)))
        return "\n".join(out) or "(no log)"

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc:
            stop_process(self.proc, timeout=10)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
