#!/usr/bin/env python3
"""ctest entry of the image test: runs image/test_image.py under pytest.

The image is tested under a real engine (podman with runc, see
docs/operations.md). Without podman or runc on a developer's machine the
test is skipped (exit 77, the reason printed). In CI (CI=true) nothing may
skip: a missing engine, or any test that skipped, is a failure.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def main():
    missing = [tool for tool in ("podman", "runc") if not shutil.which(tool)]
    if missing:
        msg = "%s not installed (scripts/deps-test.txt; scripts/setup.sh --tests installs it)" % " and ".join(missing)
        if CI:
            print("IMAGE TEST FAILED: the container engine cannot run in CI: " + msg, flush=True)
            return 1
        print("IMAGE TEST SKIPPED: " + msg, flush=True)
        return 77
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-s", "-p", "no:cacheprovider",
                        os.path.join(HERE, "test_image.py")] + sys.argv[1:],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(p.stdout)
    if p.returncode == 0 and CI and " skipped" in (p.stdout.strip().splitlines() or [""])[-1]:
        print("IMAGE TEST FAILED: a test skipped in CI, where everything must run", flush=True)
        return 1
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
