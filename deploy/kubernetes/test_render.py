"""Renders one tenant's manifests (render.py) and checks them with kubectl.

Two kubectl checks, neither needing a cluster:
- `kubectl apply --dry-run=client -o json -f DIR`: kubectl parses every
  document, maps its kind through discovery and builds the objects it would
  send. Discovery comes from a stub API server on a loopback port that answers
  only the discovery paths (and 404 for every object, so apply takes each as
  new); the kubeconfig is a throwaway one pointing at it. The stub fails the
  test if it sees anything but GET, so nothing would ever be written.
- `kubectl set resources --local -o json`: decodes each StatefulSet into the
  typed apps/v1 object and back. A misspelled or misplaced field vanishes in
  that round trip, so every rendered field must survive it.

A last test starts Debian's redis-server with the rendered arguments and a
Sentinel from the config the rendered init script writes.

The assertions are on the values kubectl produced: limits, maxmemory, appendfsync,
the tenant lock, the Secret wiring, replicas and Sentinel. KUBECTL picks the
binary (default: kubectl on PATH, Debian's kubernetes-client); without one the
tests skip, saying why.
"""
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
import render  # noqa: E402  (pytest puts this file's folder on sys.path)

KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(not KUBECTL, reason="kubectl not installed (Debian: kubernetes-client, "
                                                       "scripts/deps-test.txt)")

RESOURCES = {
    "/api/v1": ("v1", [("services", "Service"), ("secrets", "Secret"), ("configmaps", "ConfigMap"),
                       ("pods", "Pod"), ("persistentvolumeclaims", "PersistentVolumeClaim")]),
    "/apis/apps/v1": ("apps/v1", [("statefulsets", "StatefulSet")]),
}


class DiscoveryStub:
    """Just enough of an API server for kubectl's discovery; records every request."""

    def __init__(self):
        self.requests = []
        stub = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                stub.requests.append(("GET", self.path))
                path = self.path.split("?")[0]
                if path == "/api":
                    return self._send(200, {"kind": "APIVersions", "versions": ["v1"],
                                            "serverAddressByClientCIDRs": []})
                if path == "/apis":
                    return self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                        {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                         "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}]})
                if path in RESOURCES:
                    gv, res = RESOURCES[path]
                    return self._send(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                            "resources": [{"name": n, "singularName": "", "namespaced": True,
                                                           "kind": k, "verbs": ["create", "get", "list", "patch"]}
                                                          for n, k in res]})
                if path == "/version":
                    return self._send(200, {"major": "1", "minor": "20", "gitVersion": "v1.20.0-stub"})
                return self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                        "reason": "NotFound", "code": 404, "message": "stub: " + path})

            def _refuse(self):
                stub.requests.append((self.command, self.path))
                self._send(405, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 405})
            do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def kube(tmp_path_factory):
    """(run, stub): run(args) runs kubectl against the stub with a throwaway kubeconfig and cache."""
    stub = DiscoveryStub()
    d = tmp_path_factory.mktemp("kube")
    cfg = d / "kubeconfig"
    cfg.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "stub",
        "clusters": [{"name": "stub", "cluster": {"server": stub.url}}],
        "contexts": [{"name": "stub", "context": {"cluster": "stub", "user": "stub", "namespace": "default"}}],
        "users": [{"name": "stub", "user": {"token": "offline-dry-run"}}]}))
    env = dict(os.environ, KUBECONFIG=str(cfg), HOME=str(d))

    def run(args):
        p = subprocess.run([KUBECTL, "--cache-dir", str(d / "cache")] + args, env=env, capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, "kubectl %s failed:\n%s%s" % (" ".join(args), p.stdout, p.stderr)
        return json.loads(p.stdout)
    yield run, stub
    stub.stop()
    writes = [r for r in stub.requests if r[0] != "GET"]
    assert writes == [], "a dry run sent writes: %r" % writes


def render_dir(tmp_path, spec, *extra):
    out = tmp_path / "m"
    p = subprocess.run([sys.executable, os.path.join(HERE, "render.py"), "-", "--out", str(out)] + list(extra),
                       input=json.dumps(spec), capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return out


def dry_run(kube, out):
    run, _ = kube
    got = run(["apply", "--dry-run=client", "--validate=false", "-o", "json", "-f", str(out)])
    items = got["items"] if got.get("kind") == "List" else [got]
    return {(o["kind"], o["metadata"]["name"]): o for o in items}


def leaves(obj, prefix=()):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from leaves(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, prefix + (i,))
    else:
        yield prefix, obj


def lookup(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def assert_typed_round_trip(kube, out, sts):
    """Every field of the StatefulSet survives decoding into apps/v1 types."""
    run, _ = kube
    c = sts["spec"]["template"]["spec"]["containers"][0]
    f = out / (sts["metadata"]["name"] + ".json")
    f.write_text(json.dumps(sts))
    # set resources prints only what it changed: change one value, ignore it below.
    typed = run(["set", "resources", "--local", "-o", "json", "-f", str(f), "-c", c["name"],
                 "--limits=cpu=12345m"])
    assert container(typed, c["name"])["resources"]["limits"]["cpu"] == "12345m"
    for path, value in leaves(sts):
        if path == ("spec", "template", "spec", "containers", 0, "resources", "limits", "cpu"):
            continue
        try:
            assert lookup(typed, path) == value, path
        except (KeyError, IndexError):
            pytest.fail("field %s does not exist in apps/v1 StatefulSet" % ".".join(map(str, path)))


def container(sts, name):
    return next(c for c in sts["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def env_of(c):
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in c["env"]}


SPEC = {"name": "agent.zy_test", "memory_mb": 128, "cpus": 0.5, "replicas": 1, "persistence": "everysec"}


@needs_kubectl
def test_one_replica_maps_spec_onto_statefulsets_service_secret_and_sentinel(kube, tmp_path):
    out = render_dir(tmp_path, SPEC, "--namespace", "tenants")
    objs = dry_run(kube, out)
    base = render.k8s_base("agent.zy_test")
    assert set(objs) == {("Secret", base + "-auth"), ("Service", base + "-hl"), ("Service", base),
                         ("StatefulSet", base), ("StatefulSet", base + "-replica"),
                         ("ConfigMap", base + "-sentinel"), ("Service", base + "-sentinel"),
                         ("StatefulSet", base + "-sentinel")}
    assert all(o["metadata"]["namespace"] == "tenants" for o in objs.values())

    primary = objs[("StatefulSet", base)]
    assert primary["spec"]["replicas"] == 1 and primary["spec"]["serviceName"] == base + "-hl"
    # The fleet's container labels, on the pods too (kubectl get pods -l suma.tenant=agent.zy_test).
    for sts, role in ((primary, "primary"), (objs[("StatefulSet", base + "-replica")], "replica"),
                      (objs[("StatefulSet", base + "-sentinel")], "sentinel")):
        for labels in (sts["metadata"]["labels"], sts["spec"]["template"]["metadata"]["labels"]):
            assert labels["suma.tenant"] == "agent.zy_test" and labels["suma.role"] == role
    c = container(primary, "redis")
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "128Mi"}
    assert c["resources"]["requests"] == c["resources"]["limits"]  # Guaranteed QoS
    assert c["args"] == ["--maxmemory", "96mb", "--maxmemory-policy", "noeviction", "--appendfsync", "everysec"]
    env = env_of(c)
    assert env["APOLLO_OWNER_ID"] == "agent.zy" and env["APOLLO_BUINESS_ID"] == "test"
    assert env["CONTAINER_TYPE"] == "master" and "SUMA_PRIMARY" not in env
    assert env["SUMA_PASSWORD_FILE"] == "/run/secrets/suma/password"
    assert env["LOCAL_IP"] == "$(POD_NAME).%s-hl.tenants.svc.cluster.local" % base
    assert not any("PASSWORD" in e["name"] and "value" in e and e["name"] != "SUMA_PASSWORD_FILE"
                   for e in c["env"])  # the password itself is never in the pod spec
    vols = {v["name"]: v for v in primary["spec"]["template"]["spec"]["volumes"]}
    assert vols["auth"]["secret"] == {"secretName": base + "-auth", "defaultMode": 0o400}
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/data", "/run/secrets/suma"}
    claim = primary["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "data" and claim["spec"]["resources"]["requests"]["storage"] == "1Gi"

    secret = objs[("Secret", base + "-auth")]
    assert len(secret["stringData"]["password"]) >= 32

    replica = objs[("StatefulSet", base + "-replica")]
    assert replica["spec"]["replicas"] == 1
    renv = env_of(container(replica, "redis"))
    assert renv["CONTAINER_TYPE"] == "replica"
    assert renv["SUMA_PRIMARY"] == "%s-0.%s-hl.tenants.svc.cluster.local:8090" % (base, base)
    assert container(replica, "redis")["resources"]["limits"] == {"cpu": "500m", "memory": "128Mi"}

    svc = objs[("Service", base)]
    assert svc["spec"]["selector"] == {"app.kubernetes.io/instance": base, "app.kubernetes.io/component": "primary"}
    assert {p["port"] for p in svc["spec"]["ports"]} == {8090, 10082}
    hl = objs[("Service", base + "-hl")]
    assert hl["spec"]["clusterIP"] == "None" and hl["spec"]["publishNotReadyAddresses"] is True

    sentinel = objs[("StatefulSet", base + "-sentinel")]
    assert sentinel["spec"]["replicas"] == 3
    sc = container(sentinel, "sentinel")
    assert sc["command"] == ["/redis-server"] and sc["args"] == ["/sentinel/sentinel.conf", "--sentinel"]
    conf = objs[("ConfigMap", base + "-sentinel")]["data"]["sentinel.conf"]
    assert "sentinel monitor agent.zy_test %s-0.%s-hl.tenants.svc.cluster.local 8090 2\n" % (base, base) in conf
    assert "sentinel resolve-hostnames yes" in conf
    assert secret["stringData"]["password"] not in json.dumps(objs[("ConfigMap", base + "-sentinel")])
    init = sentinel["spec"]["template"]["spec"]["initContainers"][0]
    assert "sentinel auth-pass agent.zy_test" in init["command"][2]

    for sts in (primary, replica, sentinel):
        assert_typed_round_trip(kube, tmp_path, sts)


@needs_kubectl
def test_zero_replicas_renders_no_replica_set_and_no_sentinel(kube, tmp_path):
    out = render_dir(tmp_path, dict(SPEC, replicas=0))
    objs = dry_run(kube, out)
    kinds = sorted(k for k, _ in objs)
    assert kinds == ["Secret", "Service", "Service", "StatefulSet"]
    # Re-rendering a tenant that had replicas into the same directory drops their files.
    render_dir(tmp_path, dict(SPEC, replicas=2))
    assert len(dry_run(kube, out)) == 8
    render_dir(tmp_path, dict(SPEC, replicas=0))
    assert sorted(os.listdir(out)) == ["00-secret.yaml", "10-services.yaml", "20-primary.yaml"]


@needs_kubectl
def test_three_replicas_always_and_big_memory(kube, tmp_path):
    spec = {"owner": "agent.zy", "business": "orders_eu", "memory_mb": 2048, "cpus": 2,
            "replicas": 3, "persistence": "always"}
    out = render_dir(tmp_path, spec, "--existing-secret", "orders-pw", "--storage-class", "fast-ssd")
    objs = dry_run(kube, out)
    base = render.k8s_base("agent.zy_orders_eu")
    assert ("Secret", base + "-auth") not in objs
    replica = objs[("StatefulSet", base + "-replica")]
    assert replica["spec"]["replicas"] == 3
    for sts in (objs[("StatefulSet", base)], replica):
        c = container(sts, "redis")
        assert c["resources"]["limits"] == {"cpu": "2", "memory": "2Gi"}
        assert c["args"] == ["--maxmemory", "1536mb", "--maxmemory-policy", "noeviction", "--appendfsync", "always"]
        assert env_of(c)["APOLLO_BUINESS_ID"] == "orders_eu"
        assert sts["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"] == "orders-pw"
        claim = sts["spec"]["volumeClaimTemplates"][0]["spec"]
        assert claim["storageClassName"] == "fast-ssd" and claim["resources"]["requests"]["storage"] == "8Gi"
        assert_typed_round_trip(kube, tmp_path, sts)
    assert objs[("StatefulSet", base + "-sentinel")]["spec"]["template"]["spec"]["volumes"][2]["secret"][
        "secretName"] == "orders-pw"


@needs_kubectl
def test_smallest_tenant_and_names_that_differ_only_in_separators(kube, tmp_path):
    out = render_dir(tmp_path, {"name": "agent.zy_a-b", "memory_mb": 32, "cpus": 0.1})
    objs = dry_run(kube, out)
    c = container(objs[("StatefulSet", render.k8s_base("agent.zy_a-b"))], "redis")
    assert c["resources"]["limits"] == {"cpu": "100m", "memory": "32Mi"}
    assert c["args"][:2] == ["--maxmemory", "16mb"]
    assert render.maxmemory_mb(64) == 48 and render.maxmemory_mb(1024) == 768  # as the fleet sets it
    assert render.k8s_base("agent.zy_a-b") != render.k8s_base("agent.zy_a.b")
    long = "o" * 60 + "_" + "b" * 60
    assert len(render.k8s_base(long)) <= 40 and len(render.k8s_base(long) + "-sentinel-2") <= 52
    # A name too long for a label value keeps the instance label and the annotation only.
    objs = dry_run(kube, render_dir(tmp_path, {"name": long, "memory_mb": 64, "cpus": 1}))
    sts = objs[("StatefulSet", render.k8s_base(long))]
    assert "suma.tenant" not in sts["metadata"]["labels"]
    assert sts["metadata"]["annotations"]["suma.apollo/tenant"] == long


@pytest.mark.parametrize("spec, message", [
    (dict(SPEC, replicas=4), "replicas must be 0..3"),
    (dict(SPEC, replicas=-1), "replicas must be 0..3"),
    (dict(SPEC, memory_mb=31), "memory_mb 31 is below the minimum of 32"),
    (dict(SPEC, memory_mb="128"), "memory_mb must be a whole number"),
    (dict(SPEC, cpus=0), "cpus must be a number above 0"),
    (dict(SPEC, persistence="no"), "persistence must be everysec or always"),
    (dict(SPEC, name="agent zy_test"), "owner must be letters, digits and . _ -"),
    (dict(SPEC, name="noseparator"), "name must be <owner>_<business>"),
    (dict(SPEC, shards=2), "unknown spec field(s): shards"),
])
def test_bad_spec_is_refused_and_writes_nothing(tmp_path, spec, message):
    out = tmp_path / "m"
    p = subprocess.run([sys.executable, os.path.join(HERE, "render.py"), "-", "--out", str(out)],
                       input=json.dumps(spec), capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and message in p.stderr, p.stderr
    assert not out.exists()


def test_password_file_must_be_plain(tmp_path):
    bad = tmp_path / "pw"
    bad.write_text('has "quotes" and spaces in it\n')
    p = subprocess.run([sys.executable, os.path.join(HERE, "render.py"), "--name", "a_b", "--memory-mb", "64",
                        "--cpus", "1", "--password-file", str(bad)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "without space, quote or backslash" in p.stderr
    good = tmp_path / "pw2"
    good.write_text("Zq7-very-long-password-1\n")
    p = subprocess.run([sys.executable, os.path.join(HERE, "render.py"), "--name", "a_b", "--memory-mb", "64",
                        "--cpus", "1", "--password-file", str(good)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and 'password: "Zq7-very-long-password-1"' in p.stdout


@needs_kubectl
@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed (scripts/deps.txt)")
def test_rendered_redis_args_and_sentinel_config_run_on_real_redis(kube, tmp_path):
    """The rendered arguments start Debian's redis-server with the mapped settings, and
    the Sentinel config the init container writes starts a Sentinel that monitors the
    primary (with its password) and finds the replica by its announced host name. Only
    the DNS names are swapped for localhost and free ports; the scripts run as rendered."""
    from suma_testing import RedisServer, free_port, wait_until as poll
    import redis

    pw = "Zq7-sentinel-test-password"
    (tmp_path / "pw").write_text(pw + "\n")
    objs = dry_run(kube, render_dir(tmp_path, SPEC, "--password-file", str(tmp_path / "pw")))
    base = render.k8s_base("agent.zy_test")
    args = container(objs[("StatefulSet", base)], "redis")["args"]
    primary = RedisServer(module=False, aof=True, extra=args)
    replica = RedisServer(module=False, aof=True, extra=args + [
        "--replicaof", "127.0.0.1", str(primary.port), "--replica-announce-ip", "localhost"])
    sentinel = None
    try:
        c = primary.client()
        assert c.config_get("maxmemory")["maxmemory"] == str(96 * 1024 * 1024)
        assert c.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert c.config_get("appendfsync")["appendfsync"] == "everysec"
        replica.client().config_set("masterauth", pw)
        replica.client().config_set("requirepass", pw)
        c.config_set("requirepass", pw)
        auth = primary.client(password=pw)
        poll(lambda: auth.info("replication")["connected_slaves"] == 1, timeout=15, what="replica attached")

        # The init container's script, as rendered, with its three paths moved under tmp_path.
        sts = objs[("StatefulSet", base + "-sentinel")]
        script = sts["spec"]["template"]["spec"]["initContainers"][0]["command"][2]
        for d in ("config", "sentinel", "secrets"):
            (tmp_path / d).mkdir()
        (tmp_path / "config" / "sentinel.conf").write_text(objs[("ConfigMap", base + "-sentinel")]["data"]["sentinel.conf"])
        (tmp_path / "secrets" / "password").write_text(pw)
        script = (script.replace("/config/", str(tmp_path / "config") + "/")
                  .replace("/sentinel/", str(tmp_path / "sentinel") + "/")
                  .replace("/run/secrets/suma/", str(tmp_path / "secrets") + "/"))
        subprocess.run(["sh", "-ec", script], env=dict(os.environ, POD_NAME=base + "-sentinel-0"), check=True,
                       timeout=10)
        conf_path = tmp_path / "sentinel" / "sentinel.conf"
        assert oct(conf_path.stat().st_mode & 0o777) == "0o600"
        sport = free_port()
        conf = (conf_path.read_text()
                .replace("port 26379", "port %d\nbind 127.0.0.1" % sport)
                .replace("dir /sentinel", "dir " + str(tmp_path / "sentinel"))
                .replace("%s-0.%s-hl.default.svc.cluster.local 8090" % (base, base), "localhost %d" % primary.port))
        conf_path.write_text(conf)
        log = open(tmp_path / "sentinel.log", "w")
        sentinel = subprocess.Popen(["redis-server", str(conf_path), "--sentinel"], stdout=log, stderr=log)
        s = redis.Redis(host="127.0.0.1", port=sport, password=pw, decode_responses=True, socket_timeout=5)

        def master_ok():
            try:
                m = s.execute_command("SENTINEL", "MASTER", "agent.zy_test")
            except redis.exceptions.ConnectionError:
                return None
            m = dict(zip(m[::2], m[1::2]))
            return m if m["flags"] == "master" and m["num-slaves"] == "1" else None
        m = poll(master_ok, timeout=20, what="sentinel sees the primary and its replica",
                 on_fail=lambda: open(tmp_path / "sentinel.log").read())
        assert m["ip"] == "localhost" and m["port"] == str(primary.port) and m["quorum"] == "2"

        def replica_ok():
            reps = s.execute_command("SENTINEL", "REPLICAS", "agent.zy_test")
            rep = dict(zip(reps[0][::2], reps[0][1::2]))
            return rep if rep["flags"] == "slave" else None
        rep = poll(replica_ok, timeout=20, what="sentinel connected to the replica")
        assert rep["ip"] == "localhost" and rep["port"] == str(replica.port)
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=sport, socket_timeout=5).execute_command("SENTINEL", "MASTERS")
    finally:
        if sentinel:
            sentinel.terminate()
            sentinel.wait(timeout=10)
        replica.cleanup()
        primary.cleanup()
