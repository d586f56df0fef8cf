"""A small stand-in for suma-fleet's HTTP API (docs/fleet.md), for the console's tests.

FakeFleet(token=..., delay=...) serves the contract on a free loopback port in a
thread: create/scale/delete run as operations that finish after `delay` seconds
(creating/changing/deleting -> running or gone), a second change while one runs
is 409 BUSY, a different spec for an existing tenant is 409 CONFLICT, the quotas
(max_tenants, max_memory_mb) give 422 QUOTA, bad names and memory below 32 MB are
400, an unknown tenant 404. fail_next_create=reason makes the next create end
in "failed"; a tenant's "used_memory" and "clients" may be set to show usage. Every request is recorded in .requests (method, path, headers, body)
so tests can check what the console sent (also as GET /_fake/requests, for a
test in another process). Run it alone for a manual look:
    python3 fake_fleet.py [PORT]
"""
import json
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NAME_PART = re.compile(r"^[A-Za-z0-9.\-]{1,60}$")


def now_ms():
    return int(time.time() * 1000)


class FakeFleet:
    def __init__(self, token="", delay=0.6, max_tenants=6, max_memory_mb=2048, port=0):
        self.token = token
        self.delay = delay
        self.max_tenants = max_tenants
        self.max_memory_mb = max_memory_mb
        self.fail_next_create = ""
        self.unmanaged = []  # containers with a tenant label and no record, as suma-fleet lists them
        self.tenants = {}
        self.requests = []
        self.lock = threading.Lock()
        self.next_port = 16000
        self.op_seq = 0
        fleet = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                fleet._handle(self, "GET")

            def do_POST(self):
                fleet._handle(self, "POST")

            def do_DELETE(self):
                fleet._handle(self, "DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- operations -------------------------------------------------------
    def _start_op(self, t, kind, finish):
        """Marks t busy with `kind`, runs finish(t) under the lock after delay."""
        self.op_seq += 1
        t["operation"] = {"id": "op-%d" % self.op_seq, "kind": kind, "state": "running",
                          "started_ms": now_ms(), "finished_ms": 0, "error": ""}

        def done():
            time.sleep(self.delay)
            with self.lock:
                finish(t)
                t["operation"]["state"] = "failed" if t["state"] == "failed" else "done"
                t["operation"]["finished_ms"] = t["updated_ms"] = now_ms()
        threading.Thread(target=done, daemon=True).start()

    def _busy(self, t):
        return t["operation"] and t["operation"]["state"] == "running"

    def _view(self, t):
        v = {k: t[k] for k in ("name", "owner", "business", "state", "reason", "port", "replica_ports",
                               "connection", "created_ms", "updated_ms")}
        v["spec"] = dict(t["spec"])
        v["operation"] = dict(t["operation"]) if t["operation"] else None
        if t["state"] == "running":
            maxmemory = t["spec"]["memory_mb"] * 1024 * 1024 * 3 // 4
            v["usage"] = {"used_memory": t.get("used_memory") or 1024 * 1024 + 37 * 1024 * len(t["name"]),
                          "maxmemory": maxmemory, "connected_clients": t["clients"]}
        return v

    def _quota(self, extra_mb, skip=None):
        live = [t for t in self.tenants.values() if t is not skip]
        used = sum(t["spec"]["memory_mb"] for t in live)
        if used + extra_mb > self.max_memory_mb:
            return "total memory %d MB would pass the quota of %d MB" % (used + extra_mb, self.max_memory_mb)
        return None

    # --- HTTP -------------------------------------------------------------
    def _handle(self, h, method):
        u = urlparse(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        with self.lock:
            self.requests.append({"method": method, "path": h.path, "headers": dict(h.headers),
                                  "body": raw.decode("utf-8", "replace")})
        if u.path == "/healthz":
            return self._send(h, 200, {"ok": True})
        if u.path == "/_fake/requests":  # for tests in other processes (not part of the contract)
            with self.lock:
                return self._send(h, 200, {"requests": self.requests[:-1]})
        if self.token and h.headers.get("Authorization") != "Bearer " + self.token:
            return self._error(h, 401, "UNAUTHORIZED", "bearer token required")
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return self._error(h, 400, "BAD_REQUEST", "body is not JSON")
        parts = [p for p in u.path.split("/") if p]
        with self.lock:
            if parts == ["v1", "tenants"] and method == "GET":
                return self._send(h, 200, {"tenants": [self._view(t) for t in sorted(
                    self.tenants.values(), key=lambda t: t["name"])], "unmanaged": list(self.unmanaged)})
            if parts == ["v1", "tenants"] and method == "POST":
                return self._create(h, body or {})
            if len(parts) >= 3 and parts[:2] == ["v1", "tenants"]:
                t = self.tenants.get(parts[2])
                if not t:
                    return self._error(h, 404, "NOT_FOUND", "no tenant %s" % parts[2])
                if len(parts) == 3 and method == "GET":
                    return self._send(h, 200, self._view(t))
                if len(parts) == 3 and method == "DELETE":
                    return self._delete(h, t, parse_qs(u.query).get("purge", ["0"])[0] == "1")
                if parts[3:] == ["scale"] and method == "POST":
                    return self._scale(h, t, body or {})
                if parts[3:] == ["credentials"] and method == "POST":
                    return self._credentials(h, t)
        return self._error(h, 404, "NOT_FOUND", "no route %s %s" % (method, u.path))

    def _spec(self, b, base=None):
        spec = dict(base or {"replicas": 0, "persistence": "everysec"})
        for k in ("memory_mb", "cpus", "replicas", "persistence"):
            if k in b:
                spec[k] = b[k]
        if not isinstance(spec.get("memory_mb"), int) or isinstance(spec.get("memory_mb"), bool):
            return None, "memory_mb must be an integer"
        if spec["memory_mb"] < 32:
            return None, "memory_mb %d is below the minimum of 32" % spec["memory_mb"]
        if not isinstance(spec.get("cpus"), (int, float)) or not 0 < spec["cpus"] <= 16:
            return None, "cpus must be a number in (0, 16]"
        if spec["replicas"] not in (0, 1, 2, 3):
            return None, "replicas must be 0..3"
        if spec["persistence"] not in ("everysec", "always"):
            return None, "persistence must be everysec or always"
        return spec, None

    def _create(self, h, b):
        owner, business = b.get("owner", ""), b.get("business", "")
        if not (isinstance(owner, str) and NAME_PART.match(owner) and isinstance(business, str)
                and NAME_PART.match(business)):
            return self._error(h, 400, "BAD_REQUEST", "invalid tenant name %r_%r" % (owner, business))
        spec, err = self._spec(b)
        if err:
            return self._error(h, 400, "BAD_REQUEST", err)
        name = owner + "_" + business
        t = self.tenants.get(name)
        if t:
            if t["spec"] == spec:
                return self._send(h, 200, {"tenant": self._view(t)})
            return self._error(h, 409, "CONFLICT", "%s exists with a different spec" % name)
        if len(self.tenants) >= self.max_tenants:
            return self._error(h, 422, "QUOTA", "at most %d tenants" % self.max_tenants)
        q = self._quota(spec["memory_mb"])
        if q:
            return self._error(h, 422, "QUOTA", q)
        port = self.next_port
        self.next_port += 4
        t = {"name": name, "owner": owner, "business": business, "spec": spec, "state": "creating",
             "reason": "", "port": port, "replica_ports": [], "clients": 1,
             "connection": "redis://default@127.0.0.1:%d" % port, "created_ms": now_ms(),
             "updated_ms": now_ms(), "operation": None}
        self.tenants[name] = t
        fail, self.fail_next_create = self.fail_next_create, ""

        def finish(t):
            if fail:
                t["state"], t["reason"] = "failed", fail
                t["operation"]["error"] = fail
            else:
                t["state"] = "running"
                t["replica_ports"] = [t["port"] + 1 + i for i in range(t["spec"]["replicas"])]
        self._start_op(t, "create", finish)
        return self._send(h, 202, {"tenant": self._view(t), "password": secrets.token_urlsafe(18)})

    def _scale(self, h, t, b):
        if self._busy(t):
            return self._error(h, 409, "BUSY", "%s: a %s is running" % (t["name"], t["operation"]["kind"]))
        if t["state"] != "running":
            return self._error(h, 409, "CONFLICT", "%s is %s" % (t["name"], t["state"]))
        extra = {k: b[k] for k in ("memory_mb", "cpus", "replicas") if k in b}
        if not extra:
            return self._error(h, 400, "BAD_REQUEST", "nothing to scale")
        spec, err = self._spec(extra, t["spec"])
        if err:
            return self._error(h, 400, "BAD_REQUEST", err)
        q = self._quota(spec["memory_mb"], skip=t)
        if q:
            return self._error(h, 422, "QUOTA", q)
        t["state"] = "changing"

        def finish(t):
            t["spec"] = spec
            t["state"] = "running"
            t["replica_ports"] = [t["port"] + 1 + i for i in range(spec["replicas"])]
        self._start_op(t, "scale", finish)
        return self._send(h, 202, {"tenant": self._view(t)})

    def _delete(self, h, t, purge):
        if self._busy(t):
            return self._error(h, 409, "BUSY", "%s: a %s is running" % (t["name"], t["operation"]["kind"]))
        t["state"] = "deleting"
        t["purge"] = purge

        def finish(t):
            t["state"] = "deleted"
            self.tenants.pop(t["name"], None)
        self._start_op(t, "delete", finish)
        return self._send(h, 202, {"tenant": self._view(t)})

    def _credentials(self, h, t):
        if self._busy(t):
            return self._error(h, 409, "BUSY", "%s: a %s is running" % (t["name"], t["operation"]["kind"]))
        return self._send(h, 200, {"password": secrets.token_urlsafe(18), "connection": t["connection"]})

    def _send(self, h, status, obj):
        data = json.dumps(obj).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _error(self, h, status, code, message):
        self._send(h, status, {"error": {"code": code, "message": message}})


if __name__ == "__main__":
    f = FakeFleet(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print("fake fleet on", f.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        f.stop()
