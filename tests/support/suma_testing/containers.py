"""A private podman store per test or benchmark, with the recipe that makes
real containers work on these machines (shared/notes/container-testing.md):
runc instead of crun (no cgroups in hybrid mode), cgroupfs, and ulimits
within the machine's hard limits, in a containers.conf of its own."""
import os
import tempfile

CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""


class PodmanStore:
    """dir: a fresh directory holding the store and the config; cmd: the
    podman command line on that store; env: the environment that points
    podman at the config. driver: vfs (the default: works everywhere, copies
    the image into every container) or overlay (what Docker and podman use on
    a production host; needs a kernel that mounts overlayfs)."""

    def __init__(self, prefix="suma-podman-", parent=None, driver="vfs"):
        self.dir = tempfile.mkdtemp(prefix=prefix, dir=parent)
        self.conf = os.path.join(self.dir, "containers.conf")
        with open(self.conf, "w") as f:
            f.write(CONTAINERS_CONF)
        self.env = dict(os.environ, CONTAINERS_CONF=self.conf)
        self.cmd = ["podman", "--root", os.path.join(self.dir, "root"), "--runroot",
                    os.path.join(self.dir, "run"), "--storage-driver", driver]
