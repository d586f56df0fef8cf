"""pytest fixtures shared by the suites: import them into a conftest.py or a
test module (`from suma_testing.fixtures import make_server, server, r`).

make_server(**kw) starts a RedisServer (see redis_server.py) and stops it and
removes its directory when the test ends; server is one with defaults; r is a
client of it with decoded replies."""
import pytest

from .redis_server import RedisServer


@pytest.fixture
def make_server():
    started = []

    def make(**kw):
        s = RedisServer(**kw)
        started.append(s)
        return s

    yield make
    for s in reversed(started):
        s.cleanup()


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def r(server):
    return server.client()
