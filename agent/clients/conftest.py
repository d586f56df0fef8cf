import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from agentlib import RedisServer  # noqa: E402


@pytest.fixture
def server():
    s = RedisServer()
    yield s
    s.cleanup()


@pytest.fixture
def r(server):
    return server.client()
