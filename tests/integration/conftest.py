import json
import socket
import time

import pytest
import redis

from suma_testing import RedisServer, wait_until  # noqa: F401
from suma_testing.fixtures import make_server, r, server  # noqa: F401

G = "agent.zy_test"
MASTER = G + "_master"
CHANNEL = G + "_channel"


def cmd(r, name, *args):
    """Runs sumavlib.<name> with args."""
    return r.execute_command("sumavlib." + name, *args)


def info(r):
    """The sumavlib INFO section as a dict of ints."""
    raw = r.execute_command("INFO", "sumavlib")
    if isinstance(raw, dict):
        return {k: int(v) for k, v in raw.items() if k.startswith("sumavlib_")}
    out = {}
    for line in raw.splitlines():
        if line.startswith("sumavlib_") and ":" in line:
            k, v = line.split(":", 1)
            out[k] = int(v)
    return out


def all_keys(r):
    return sorted(r.scan_iter(count=1000))


def snapshot(server):
    """Every key with its DUMP and TTL, from a binary client."""
    b = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10)
    out = {}
    for k in b.scan_iter(count=1000):
        out[k] = (b.dump(k), b.pttl(k) > 0)
    b.close()
    return out


class Events:
    """A subscribed pubsub connection on one channel; collects event JSON."""

    def __init__(self, server, channel):
        self.client = server.client()
        self.ps = self.client.pubsub()
        self.ps.subscribe(channel)
        # Wait for the subscription to be confirmed before any event is made.
        wait_until(lambda: self._confirm(), what="subscription")
        self.events = []

    def _confirm(self):
        m = self.ps.get_message(timeout=0.05)
        return m is not None and m["type"] in ("subscribe", "psubscribe")

    def drain(self):
        while True:
            m = self.ps.get_message(timeout=0.01)
            if m is None:
                return
            if m["type"] == "message":
                self.events.append(json.loads(m["data"]))

    def wait(self, pred, timeout=10.0, what="event"):
        """Waits until some collected event satisfies pred; returns it."""
        def check():
            self.drain()
            for e in self.events:
                if pred(e):
                    return e
            return None
        return wait_until(check, timeout=timeout, what=what)

    def wait_count(self, n, timeout=10.0):
        def check():
            self.drain()
            return len(self.events) >= n
        wait_until(check, timeout=timeout, what="%d events" % n)
        return self.events

    def of_type(self, t):
        self.drain()
        return [e for e in self.events if e["type"] == t]

    def close(self):
        self.ps.close()
        self.client.close()


@pytest.fixture
def subscribe():
    opened = []

    def make(server, channel=CHANNEL):
        e = Events(server, channel)
        opened.append(e)
        return e

    yield make
    for e in opened:
        e.close()


def assert_event(e, type_, group=G, **fields):
    assert e["type"] == type_, e
    assert e["group"] == group, e
    assert isinstance(e["seq"], int) and e["seq"] > 0, e
    assert isinstance(e["ts"], int) and e["ts"] > 1_600_000_000_000, e
    for k, v in fields.items():
        assert e.get(k) == v, (k, e)


class RespError(Exception):
    """A full error reply (code and message) from Raw."""


class Raw:
    """A minimal RESP2 client on its own socket: sends any bytes as arguments
    and returns replies undecoded, errors as RespError instances with their
    full text (redis-py strips some error codes)."""

    def __init__(self, server, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RespError(rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        # RESP3 (after HELLO 3)
        if t == b"_":
            return None
        if t == b"%":
            return {self._key(self.read()): self.read() for _ in range(int(rest))}
        if t == b"#":
            return rest == b"t"
        if t == b",":
            return float(rest)
        if t == b"(":
            return int(rest)
        if t in (b"=", b"!"):
            data = self._exact(int(rest))
            return data[4:] if t == b"=" else RespError(data.decode(errors="replace"))
        raise ValueError("bad reply %r" % line)

    @staticmethod
    def _key(k):
        return tuple(k) if isinstance(k, list) else k

    def error(self, *args):
        """Runs the command, asserts it failed, returns the full error text."""
        rep = self.call(*args)
        assert isinstance(rep, RespError), "expected an error from %r, got %r" % (args, rep)
        return str(rep)


@pytest.fixture
def raw(server):
    c = Raw(server)
    yield c
    c.close()
