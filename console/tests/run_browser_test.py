#!/usr/bin/env python3
"""Runs browser_test.cjs: npm ci of playwright-core into the build tree, a real
redis-server with sumavlib, hosts heartbeating, suma-console, then headless
Debian chromium. Screenshots land in build/console-browser/screenshots, or with
SUMA_UPDATE_SCREENSHOTS=1 in docs/img/console-*.png.

When chromium or node/npm is missing it exits 77 (ctest: skipped) with the
reason, or fails under CI (suma_testing.ctest); scripts/setup.sh installs them.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import threading

from console_support import CMD, ROOT, Console, RedisServer, shot_dir
from suma_testing.ctest import skip_script

HERE = os.path.dirname(os.path.abspath(__file__))
GROUP = "agent.zy_test"


def need(path_or_cmd):
    return os.path.exists(path_or_cmd) or shutil.which(path_or_cmd)


def npm_ci(work):
    """Installs the locked playwright-core into work/node_modules (skipped when the lock is unchanged)."""
    os.makedirs(work, exist_ok=True)
    for f in ("package.json", "package-lock.json", "browser_launch.cjs", "browser_test.cjs"):
        shutil.copy(os.path.join(HERE, f), work)
    lock = open(os.path.join(HERE, "package-lock.json"), "rb").read()
    stamp = os.path.join(work, "node_modules", ".suma-lock-sha256")
    digest = hashlib.sha256(lock).hexdigest()
    if os.path.exists(stamp) and open(stamp).read() == digest:
        return
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1", npm_config_audit="false",
               npm_config_fund="false", npm_config_update_notifier="false")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=work, env=env, check=True, timeout=180)
    with open(stamp, "w") as f:
        f.write(digest)


def heartbeat(r, vips, stop):
    while not stop.wait(1.0):
        for v in vips:
            r.execute_command(CMD + "suma_keep_alive", GROUP + "_master", v)


def main():
    for tool in ("/usr/bin/chromium", "node", "npm"):
        if not need(tool):
            return skip_script("%s is not installed (scripts/setup.sh installs chromium, nodejs, npm)"
                               % tool)
    work = os.path.join(os.environ.get("SUMA_BUILD_DIR", os.path.join(ROOT, "build")), "console-browser")
    npm_ci(work)
    shots = shot_dir(work)

    srv = RedisServer()
    r = srv.client()
    vips = ["10.0.0.7:9001", "10.0.0.8:9001", "10.0.0.9:9001"]
    r.execute_command(CMD + "suma_try_leader", GROUP + "_master", vips[0], 600000)
    for v in vips:
        r.execute_command(CMD + "suma_keep_alive", GROUP + "_master", v)
    r.execute_command(CMD + "suma_diamond_publish", GROUP + "_channel", "db.url", "mysql://db-1:3306/app")
    r.execute_command(CMD + "suma_diamond_publish", GROUP + "_channel", "feature.flags", '{"beta":false}')
    r.execute_command(CMD + "suma_ci_task", GROUP + "_channel", "PUSH", '{"job":"rebuild-index"}')
    r.execute_command(CMD + "suma_keep_alive", "{agent.zy_other}_master", "10.0.1.1:9001")
    stop = threading.Event()
    hb = threading.Thread(target=heartbeat, args=(srv.client(), vips, stop), daemon=True)
    hb.start()
    console = Console(srv.port, user="operator", password="browser-pw")
    try:
        env = dict(os.environ, CONSOLE_URL=console.url, REDIS_PORT=str(srv.port), GROUP=GROUP,
                   SHOT_DIR=shots, CONSOLE_USER="operator", CONSOLE_PASSWORD="browser-pw",
                   PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        p = subprocess.run(["node", os.path.join(work, "browser_test.cjs")], env=env, timeout=150)
        if p.returncode != 0:
            print("console log:\n" + console.log())
        return p.returncode
    finally:
        stop.set()
        hb.join(timeout=5)
        console.stop()
        srv.cleanup()


if __name__ == "__main__":
    sys.exit(main())
