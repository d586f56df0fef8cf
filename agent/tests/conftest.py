import pytest

from agentlib import MODULE_ARGS, Agent, RedisServer  # noqa: F401
from suma_testing.fixtures import make_server, r  # noqa: F401


@pytest.fixture
def server(make_server):
    return make_server(module_args=MODULE_ARGS)


@pytest.fixture
def agents(tmp_path):
    """Factory: agents(name, vip, args, server=...) -> started Agent; all are stopped after."""
    made = []

    def make(server, name="a", vip="127.0.0.1:9001", args=(), env=None, start=True):
        a = Agent(tmp_path, name=name, vip=vip, args=args, env=env, server=server)
        made.append(a)
        return a.start() if start else a

    yield make
    for a in made:
        a.kill()
