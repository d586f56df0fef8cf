"""The test-support package every suite shares (found through PYTHONPATH,
which ctest sets, or pytest.ini's pythonpath for a direct pytest run).

- redis_server: RedisServer, free_port / free_port_range (below the ephemeral
  ports), stop_process, wait_until (the one bounded wait)
- fixtures: make_server, server, r
- reliability: helpers of the durability, failover and partition suites
- resp: a raw RESP connection (hostile input, isolation)
- ctest: the pytest plugin that turns a skip into a ctest SKIP, or a CI failure
"""
from .redis_server import (MODULE, ROOT, RedisServer, ephemeral_low, free_port,  # noqa: F401
                           free_port_range, stop_process, wait_until)
