"""Helpers for the console tests: a suma-console process and a small HTTP client.

Console(redis_port, ...) starts build's suma-console (SUMA_CONSOLE_BIN) on a free
loopback port and waits until /healthz answers; stop() ends it. Http keeps the
session cookie like a browser does. Every wait is bounded.
"""
import http.cookiejar
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
from suma_testing import RedisServer, free_port, stop_process, wait_until  # noqa: F401

CONSOLE_BIN = os.environ.get("SUMA_CONSOLE_BIN",
                             os.path.join(ROOT, "build", "console", "suma-console"))
CMD = "sumavlib."


class Console:
    def __init__(self, redis_port, password="s3cret", user="admin", extra=(), env=None,
                 redis_password=None):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.logfile = tempfile.NamedTemporaryFile(prefix="suma-console-", suffix=".log", delete=False)
        argv = [CONSOLE_BIN, "--listen", "127.0.0.1:%d" % self.port,
                "--redis", "127.0.0.1:%d" % redis_port, "--user", user] + list(extra)
        e = dict(os.environ)
        if password:
            e["SUMA_CONSOLE_PASSWORD"] = password
        if redis_password:
            e["SUMA_REDIS_PASSWORD"] = redis_password
        e.update(env or {})
        self.proc = subprocess.Popen(argv, stdout=self.logfile, stderr=self.logfile, env=e)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("suma-console exited: " + self.log())
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("suma-console did not answer: " + self.log())

    def log(self):
        with open(self.logfile.name) as f:
            return f.read()

    def stop(self):
        """Stops with SIGTERM; returns the seconds it took to exit."""
        t0 = time.time()
        stop_process(self.proc)
        os.unlink(self.logfile.name)
        return time.time() - t0


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")


class Http:
    """A cookie-keeping client; post() sends a form like the page does."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method, path, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers=dict(headers or {}))
        if data is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(req, timeout=10) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, csrf=True):
        return self.request("POST", path, form=form,
                            headers={"X-Suma-Console": "1"} if csrf else {})

    def login(self, user="admin", password="s3cret"):
        r = self.post("/login", {"user": user, "password": password}, csrf=False)
        assert r.status == 200, r.body
        return r


def shot_dir(work):
    """Where the browser tests save screenshots: beside their build work
    directory, so a test run leaves the source tree as it was; with
    SUMA_UPDATE_SCREENSHOTS=1, docs/img (the pictures the docs show)."""
    if os.environ.get("SUMA_UPDATE_SCREENSHOTS") == "1":
        d = os.path.join(ROOT, "docs", "img")
    else:
        d = os.path.join(work, "screenshots")
    os.makedirs(d, exist_ok=True)
    return d


def parse_metrics(text):
    """Exposition text -> {(name, frozenset(labels.items())): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        labels = {}
        if "{" in series:
            name, rest = series.split("{", 1)
            for part in rest.rstrip("}").split('",'):
                if part:
                    k, v = part.split("=", 1)
                    labels[k] = v.strip('"')
        else:
            name = series
        out[(name, frozenset(labels.items()))] = float(value)
    return out


def metric(m, name, **labels):
    return m.get((name, frozenset(labels.items())))
