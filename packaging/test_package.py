"""The Debian package: cpack builds it, `dpkg -i` installs it, and the
installed module serves.

dpkg runs with --root=<temp dir> (its own admin directory and log there) and
--force-not-root, so the test neither needs root nor touches the machine's
package database when it runs as root in CI. The package's dependencies
(redis-server, hiredis, ...) are on the real system, not in the private
root, hence --force-depends for the install only; the recorded Depends are
checked separately.
"""
import os
import shutil
import subprocess
import tempfile

import pytest

from suma_testing import RedisServer, redis_server

BUILD = os.environ.get("SUMA_BUILD_DIR", os.path.join(redis_server.ROOT, "build"))
CPACK = os.environ.get("SUMA_CPACK", "cpack")
VERSION = os.environ.get("SUMA_VERSION", "")
PKG = "suma-apollo-redis"


def run(*argv, **kw):
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=300, **kw)
    assert p.returncode == 0, "%s failed (%d):\n%s\n%s" % (argv, p.returncode, p.stdout, p.stderr)
    return p.stdout


@pytest.fixture(scope="module")
def installed():
    tmp = tempfile.mkdtemp(prefix="suma-deb-")
    out = os.path.join(tmp, "out")
    run(CPACK, "-G", "DEB", "-B", out, "--config", os.path.join(BUILD, "CPackConfig.cmake"))
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    assert len(debs) == 1, debs
    deb = os.path.join(out, debs[0])
    root = os.path.join(tmp, "root")
    admin = os.path.join(root, "var", "lib", "dpkg")
    for d in ("info", "updates", "triggers"):
        os.makedirs(os.path.join(admin, d))
    open(os.path.join(admin, "status"), "w").close()
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    dpkg = ["dpkg", "--root=" + root, "--admindir=" + admin, "--log=" + os.path.join(tmp, "dpkg.log"),
            "--force-not-root"]
    run(*dpkg, "--force-depends", "-i", deb, env=env)
    yield {"deb": deb, "root": root, "dpkg": dpkg, "env": env}
    shutil.rmtree(tmp, ignore_errors=True)


def test_dpkg_records_the_package_and_its_files(installed):
    status = run(*installed["dpkg"], "-s", PKG, env=installed["env"])
    assert "Status: install ok installed" in status
    assert "Version: " + VERSION in status
    depends = [l for l in status.splitlines() if l.startswith("Depends:")][0]
    for dep in ("redis-server", "libhiredis", "libevent"):
        assert dep in depends, depends
    files = run(*installed["dpkg"], "-L", PKG, env=installed["env"]).split()
    for f in ("/usr/lib/redis/modules/sumavlib.so", "/usr/bin/suma-agent", "/usr/bin/suma-console",
              "/usr/bin/suma-fleet",
              "/usr/share/doc/suma-apollo-redis/README.md",
              "/usr/share/doc/suma-apollo-redis/docs/commands.md"):
        assert f in files, f
        assert os.path.isfile(installed["root"] + f), f


def test_installed_programs_report_the_project_version(installed):
    for prog in ("suma-agent", "suma-console"):
        out = run(os.path.join(installed["root"], "usr", "bin", prog), "--version")
        assert out.strip() == "%s %s" % (prog, VERSION)


def test_redis_server_serves_from_the_installed_module(installed):
    module = os.path.join(installed["root"], "usr", "lib", "redis", "modules", "sumavlib.so")
    saved = redis_server.MODULE
    redis_server.MODULE = module
    try:
        s = RedisServer()
    finally:
        redis_server.MODULE = saved
    try:
        r = s.client()
        mods = {m["name"]: m for m in r.module_list()}
        assert mods["sumavlib"]["path"] == module
        major, minor, patch = (int(x) for x in VERSION.split("."))
        assert mods["sumavlib"]["ver"] == major * 10000 + minor * 100 + patch
        g = "agent.zy_test_master"
        assert r.execute_command("sumavlib.suma_try_leader", g, "10.0.0.7:9001") == 1
        assert r.execute_command("sumavlib.suma_keep_alive", g, "10.0.0.8:9001") == "10.0.0.7:9001"
        assert r.execute_command("sumavlib.suma_leader_info", g)[1] == "10.0.0.7:9001"
    finally:
        s.cleanup()
