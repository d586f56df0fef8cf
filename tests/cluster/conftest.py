import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

import pytest  # noqa: E402

from cluster_support import Cluster  # noqa: E402

TTL_MS = 2000
MODULE_ARGS = ["host-ttl-ms", TTL_MS, "lease-ms", 3000, "event-log-len", 200000,
               "max-tasks", 1000000]


@pytest.fixture(scope="module")
def cluster():
    """3 primaries + 3 replicas, AOF with appendfsync always on every node."""
    c = Cluster(aof=True, module_args=MODULE_ARGS).start()
    yield c
    c.stop()


@pytest.fixture
def healthy(cluster):
    """The module-scoped cluster, stable and uncrashed; a cluster a previous
    test left crashed or unstable is rebuilt first, so each test reports its
    own result. A crash during the test fails it with the node's stack."""
    try:
        cluster.wait_stable(timeout=20)
    except AssertionError:
        cluster.rebuild()
    yield cluster
    cluster.assert_no_crash()
