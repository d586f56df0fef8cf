#!/usr/bin/env python3
"""Renders the Kubernetes manifests of one suma-fleet tenant from its spec.

    render.py SPEC.json [--out DIR] [--namespace NS] [--image IMG] ...
    render.py --name agent.zy_test --memory-mb 128 --cpus 0.5 [--replicas 1] [--persistence everysec]

SPEC is the fleet's tenant spec, {"name", "memory_mb", "cpus", "replicas",
"persistence"} (or "owner" and "business" instead of "name"). Output: one
multi-document YAML stream on stdout, or with --out DIR the files
00-secret.yaml, 10-services.yaml, 20-primary.yaml, 30-replicas.yaml and
40-sentinel.yaml (the last two only with replicas >= 1). Apply with
`kubectl apply -f DIR`. The mapping is in docs/fleet.md ("Kubernetes mapping").

Bad input exits with status 2 and a message naming the field, and writes
nothing. Python 3 standard library only (Debian's python3).
"""
import argparse
import hashlib
import json
import os
import re
import secrets
import string
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")

MIN_MEMORY_MB = 32          # suma-fleet's default --min-memory-mb: maxmemory 16 MB
MAX_REPLICAS = 3
PERSISTENCE = ("everysec", "always")
NAME_PART = re.compile(r"^[A-Za-z0-9._-]+$")   # sumavlib group characters
MAX_GROUP_LEN = 128
LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
PLAIN_SECRET = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{16,256}$")  # printable, no space, quote or backslash


class SpecError(Exception):
    pass


def maxmemory_mb(memory_mb):
    """maxmemory below the container limit: a quarter (at least 16 MB) stays for
    the console, client buffers, the AOF rewrite's fork and allocator overhead."""
    return memory_mb - max(16, memory_mb // 4)


def storage_mb(memory_mb):
    """Data volume: AOF plus RDB of a full server, with room for a rewrite."""
    return max(1024, 4 * memory_mb)


def mebibytes(mb):
    """A memory quantity as Kubernetes writes it back (canonical form): 1Gi, not 1024Mi."""
    return "%dGi" % (mb // 1024) if mb % 1024 == 0 else "%dMi" % mb


def millicpus(m):
    return "%d" % (m // 1000) if m % 1000 == 0 else "%dm" % m


def k8s_base(tenant):
    """DNS-1035 label prefix for the tenant's objects: 'suma-' + a readable slug +
    a hash of the exact name, so names differing only in case or . _ stay apart.
    At most 40 characters, leaving room for '-sentinel' and the pod ordinal
    within the 52 a StatefulSet name may have."""
    slug = re.sub(r"[^a-z0-9]+", "-", tenant.lower()).strip("-")[:28].strip("-")
    digest = hashlib.sha256(tenant.encode()).hexdigest()[:6]
    return "suma-%s-%s" % (slug, digest) if slug else "suma-" + digest


def parse_spec(raw):
    """Validated spec dict from the JSON object `raw`; raises SpecError naming the field."""
    if not isinstance(raw, dict):
        raise SpecError("spec must be a JSON object")
    if "owner" in raw or "business" in raw:
        owner, business = raw.get("owner"), raw.get("business")
    else:
        name = raw.get("name")
        if not isinstance(name, str) or "_" not in name:
            raise SpecError("name must be <owner>_<business> (or give owner and business)")
        owner, business = name.split("_", 1)
    for field, v in (("owner", owner), ("business", business)):
        if not isinstance(v, str) or not v or not NAME_PART.match(v):
            raise SpecError("%s must be letters, digits and . _ - (got %r)" % (field, v))
    tenant = owner + "_" + business
    if len(tenant) > MAX_GROUP_LEN:
        raise SpecError("name %s is longer than %d characters" % (tenant, MAX_GROUP_LEN))

    mem = raw.get("memory_mb")
    if not isinstance(mem, int) or isinstance(mem, bool):
        raise SpecError("memory_mb must be a whole number of MB (got %r)" % (mem,))
    if mem < MIN_MEMORY_MB:
        raise SpecError("memory_mb %d is below the minimum of %d" % (mem, MIN_MEMORY_MB))
    cpus = raw.get("cpus")
    if not isinstance(cpus, (int, float)) or isinstance(cpus, bool) or not cpus > 0:
        raise SpecError("cpus must be a number above 0 (got %r)" % (cpus,))
    cpu_milli = round(cpus * 1000)
    if cpu_milli < 1:
        raise SpecError("cpus %r is below 0.001" % cpus)
    replicas = raw.get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or not 0 <= replicas <= MAX_REPLICAS:
        raise SpecError("replicas must be 0..%d (got %r)" % (MAX_REPLICAS, replicas))
    persistence = raw.get("persistence", "everysec")
    if persistence not in PERSISTENCE:
        raise SpecError("persistence must be everysec or always (got %r)" % (persistence,))
    unknown = set(raw) - {"name", "owner", "business", "memory_mb", "cpus", "replicas", "persistence"}
    if unknown:
        raise SpecError("unknown spec field(s): %s" % ", ".join(sorted(unknown)))
    return {"tenant": tenant, "owner": owner, "business": business, "memory_mb": mem, "cpus": cpus,
            "cpu_milli": cpu_milli, "replicas": replicas, "persistence": persistence}


def indent(pairs, spaces):
    return "\n".join("%s%s: %s" % (" " * spaces, k, json.dumps(v)) for k, v in pairs)


def fill(name, values):
    with open(os.path.join(TEMPLATES, name)) as f:
        return string.Template(f.read()).substitute(values)


def render(spec, namespace="default", image="localhost/suma-apollo-redis:latest",
           init_image="docker.io/library/debian:bookworm-slim", cluster_domain="cluster.local",
           password=None, existing_secret=None, storage_class=None):
    """{file name: YAML text} for the tenant. `password` None generates one
    (unless existing_secret names a Secret with a "password" key)."""
    base = k8s_base(spec["tenant"])
    labels = [("app.kubernetes.io/name", "suma-apollo-redis"), ("app.kubernetes.io/instance", base),
              ("app.kubernetes.io/managed-by", "suma-fleet-render")]
    # The fleet's container label, when the name is a valid label value (<= 63, alphanumeric ends).
    if LABEL_VALUE.match(spec["tenant"]):
        labels.append(("suma.tenant", spec["tenant"]))
    annotations = [("suma.apollo/tenant", spec["tenant"]), ("suma.apollo/owner", spec["owner"]),
                   ("suma.apollo/business", spec["business"]),
                   ("suma.apollo/spec", json.dumps({k: spec[k] for k in
                                                    ("memory_mb", "cpus", "replicas", "persistence")},
                                                   sort_keys=True))]
    v = dict(spec, base=base, namespace=namespace, image=image, init_image=init_image,
             cluster_domain=cluster_domain, secret=existing_secret or base + "-auth",
             maxmemory_mb=maxmemory_mb(spec["memory_mb"]), storage=mebibytes(storage_mb(spec["memory_mb"])),
             memory=mebibytes(spec["memory_mb"]), cpu=millicpus(spec["cpu_milli"]),
             labels=indent(labels, 4), annotations=indent(annotations, 4),
             pod_labels=indent(labels, 8), pod_annotations=indent(annotations[:1], 8),
             storage_class="      storageClassName: %s" % json.dumps(storage_class) if storage_class else "")
    out = {}
    if not existing_secret:
        out["00-secret.yaml"] = fill("secret.yaml.in", dict(v, password=password or secrets.token_urlsafe(24)))
    out["10-services.yaml"] = fill("services.yaml.in", v)
    primary = "%s-0.%s-hl.%s.svc.%s:8090" % (base, base, namespace, cluster_domain)
    out["20-primary.yaml"] = fill("redis-statefulset.yaml.in", dict(
        v, suffix="", role_text="the primary", component="primary", count=1, container_type="master",
        primary_env=""))
    if spec["replicas"]:
        out["30-replicas.yaml"] = fill("redis-statefulset.yaml.in", dict(
            v, suffix="-replica", role_text="%d replica(s) following the primary" % spec["replicas"],
            component="replica", count=spec["replicas"], container_type="replica",
            primary_env='        - name: SUMA_PRIMARY\n          value: "%s"' % primary))
        out["40-sentinel.yaml"] = fill("sentinel.yaml.in", v)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spec", nargs="?", help="spec JSON file ('-' for stdin)")
    ap.add_argument("--name", help="tenant <owner>_<business> (instead of a spec file)")
    ap.add_argument("--memory-mb", type=int)
    ap.add_argument("--cpus", type=float)
    ap.add_argument("--replicas", type=int, default=None)
    ap.add_argument("--persistence")
    ap.add_argument("--out", help="write one file per part into DIR (default: stdout)")
    ap.add_argument("--namespace", default="default")
    ap.add_argument("--image", default="localhost/suma-apollo-redis:latest")
    ap.add_argument("--init-image", default="docker.io/library/debian:bookworm-slim",
                    help="image with a POSIX sh for the Sentinel config init container")
    ap.add_argument("--cluster-domain", default="cluster.local")
    ap.add_argument("--storage-class")
    ap.add_argument("--password-file", help="password for the Secret (default: a generated one)")
    ap.add_argument("--existing-secret", help="use this Secret (key 'password'); render none")
    a = ap.parse_args(argv)
    try:
        if a.spec:
            raw = json.load(sys.stdin if a.spec == "-" else open(a.spec))
        else:
            raw = {"name": a.name, "memory_mb": a.memory_mb, "cpus": a.cpus}
        for k, val in (("replicas", a.replicas), ("persistence", a.persistence)):
            if val is not None:
                raw[k] = val
        spec = parse_spec(raw)
        if not re.match(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", a.namespace):
            raise SpecError("namespace %r is not a DNS label" % a.namespace)
        password = None
        if a.password_file:
            with open(a.password_file) as f:
                password = f.read().rstrip("\r\n")
            if not PLAIN_SECRET.match(password):
                raise SpecError("the password must be 16..256 printable characters without space, quote "
                                "or backslash (it goes into redis.conf and sentinel.conf)")
        files = render(spec, namespace=a.namespace, image=a.image, init_image=a.init_image,
                       cluster_domain=a.cluster_domain, password=password,
                       existing_secret=a.existing_secret, storage_class=a.storage_class)
    except (SpecError, OSError, ValueError) as e:
        print("render.py: %s" % e, file=sys.stderr)
        return 2
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        # A re-render with fewer parts (replicas 1 -> 0) must not leave the old ones to apply.
        for stale in ("00-secret.yaml", "30-replicas.yaml", "40-sentinel.yaml"):
            if stale not in files and os.path.exists(os.path.join(a.out, stale)):
                os.unlink(os.path.join(a.out, stale))
        for name, text in files.items():
            path = os.path.join(a.out, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
        print("rendered %s (%s) into %s: %s" % (spec["tenant"], k8s_base(spec["tenant"]), a.out,
                                                " ".join(files)), file=sys.stderr)
    else:
        sys.stdout.write("---\n".join(files.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
