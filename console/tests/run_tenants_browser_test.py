#!/usr/bin/env python3
"""Runs tenants_browser_test.cjs: playwright-core (npm ci, as run_browser_test.py
does), a real redis-server with sumavlib (the Groups tab behind the login), the
fake suma-fleet (fake_fleet.py) with two tenants, suma-console --fleet, then
headless Debian chromium. Screenshots land in build/console-tenants-browser/screenshots,
or with SUMA_UPDATE_SCREENSHOTS=1 in docs/img/console-tenant*.png.

Exit 77 (ctest: skipped) with the reason when chromium or node/npm is missing.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from suma_testing.ctest import skip_script
from console_support import ROOT, Console, RedisServer, shot_dir, wait_until  # noqa: E402
from fake_fleet import FakeFleet  # noqa: E402
from run_browser_test import need, npm_ci  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "browser-fleet-token"


def seed(fleet):
    """Two tenants made through the fleet's own API: one running, one failed."""
    def post(body):
        req = urllib.request.Request(fleet.url + "/v1/tenants", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + TOKEN,
                                              "Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=5).read()
    post({"owner": "agent.zy", "business": "orders", "memory_mb": 256, "cpus": 1, "replicas": 1})
    fleet.fail_next_create = "engine: image localhost/suma-apollo-redis:latest not found"
    post({"owner": "agent.zy", "business": "cache", "memory_mb": 128, "cpus": 0.5})
    wait_until(lambda: all(t["state"] in ("running", "failed") for t in fleet.tenants.values()), timeout=10)
    with fleet.lock:  # a busy tenant, so the usage bar has something to show
        fleet.tenants["agent.zy_orders"].update(used_memory=131 * 1024 * 1024, clients=12)
        fleet.unmanaged.append({"id": "4f2a9c", "name": "suma-agent.zy_old-primary", "tenant": "agent.zy_old",
                                "status": "exited"})


def main():
    for tool in ("/usr/bin/chromium", "node", "npm"):
        if not need(tool):
            return skip_script("%s is not installed (scripts/setup.sh installs chromium, nodejs, npm)"
                               % tool)
    work = os.path.join(os.environ.get("SUMA_BUILD_DIR", os.path.join(ROOT, "build")),
                        "console-tenants-browser")
    npm_ci(work)
    shutil.copy(os.path.join(HERE, "tenants_browser_test.cjs"), work)
    shots = shot_dir(work)

    srv = RedisServer()
    fleet = FakeFleet(token=TOKEN, delay=1.5, max_memory_mb=1024)
    console = None
    try:
        seed(fleet)
        console = Console(srv.port, user="operator", password="browser-pw",
                          extra=["--fleet", fleet.url], env={"SUMA_FLEET_TOKEN": TOKEN})
        env = dict(os.environ, CONSOLE_URL=console.url, FLEET_URL=fleet.url, FLEET_TOKEN=TOKEN,
                   SHOT_DIR=shots, CONSOLE_USER="operator", CONSOLE_PASSWORD="browser-pw",
                   PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        t0 = time.time()
        p = subprocess.run(["node", os.path.join(work, "tenants_browser_test.cjs")], env=env, timeout=180)
        print("browser run took %.1f s" % (time.time() - t0))
        if p.returncode != 0:
            print("console log:\n" + console.log())
        return p.returncode
    finally:
        if console:
            console.stop()
        fleet.stop()
        srv.cleanup()


if __name__ == "__main__":
    sys.exit(main())
