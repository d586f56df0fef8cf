"""Debian's prometheus scrapes suma-console; the series arrive through its query API.

The operator's story: hosts join, one is drained, a config is published, and
each step shows up in Prometheus (/api/v1/query). Skips, saying why, when the
prometheus binary is missing (scripts/setup.sh installs it).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

from console_support import CMD, Console, Http, RedisServer, free_port, wait_until
from suma_testing import stop_process

G = "agent.zy_test"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


class Prometheus:
    def __init__(self, target_port):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="suma-prom-")
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: suma-console\n"
                "    scrape_interval: 1s\n"
                "    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % target_port)
        self.log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=self.log)
        self.started = time.time()
        wait_until(self.ready, timeout=30, interval=0.1, what="prometheus ready")
        self.ready_after = time.time() - self.started

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("prometheus exited: " + open(self.log.name).read())
        try:
            return urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port, timeout=2).status == 200
        except OSError:
            return False

    def query(self, q):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (self.port, urllib.parse.urlencode({"query": q}))
        body = json.loads(urllib.request.urlopen(url, timeout=5).read())
        assert body["status"] == "success", body
        return {json.dumps(r["metric"], sort_keys=True): float(r["value"][1]) for r in body["data"]["result"]}

    def value(self, q):
        """The single value q evaluates to now, or None."""
        res = self.query(q)
        return next(iter(res.values())) if len(res) == 1 else None

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def stack():
    if not os.path.exists(PROMETHEUS):
        pytest.skip("prometheus is not installed (scripts/setup.sh installs Debian's prometheus)")
    srv = RedisServer()
    console = Console(srv.port)
    prom = Prometheus(console.port)
    yield srv.client(), console, prom
    prom.stop()
    console.stop()
    srv.cleanup()


def test_series_arrive_in_prometheus(stack):
    r, console, prom = stack
    t0 = time.time()
    print("prometheus ready after %.2f s" % prom.ready_after)
    # The scrape itself works and is healthy.
    wait_until(lambda: prom.value('up{job="suma-console"}') == 1, timeout=30, what="target up")
    print("first successful scrape after %.2f s" % (time.time() - t0))

    # Hosts join.
    r.execute_command(CMD + "suma_try_leader", G + "_master", "10.0.0.7:9001", 60000)
    r.execute_command(CMD + "suma_keep_alive", G + "_master", "10.0.0.8:9001")
    wait_until(lambda: prom.value('suma_group_live_hosts{group="%s"}' % G) == 2, timeout=30,
               what="live hosts in prometheus")
    info = r.execute_command(CMD + "suma_leader_info", G)
    epoch = info[info.index("epoch") + 1]
    assert prom.value('suma_group_leader_epoch{group="%s"}' % G) == epoch  # every digit kept

    # One is drained through the console.
    h = Http(console.url)
    h.login()
    assert h.post("/api/drain", {"g": G, "vip": "10.0.0.8:9001"}).status == 200
    wait_until(lambda: prom.value('suma_group_drained_hosts{group="%s"}' % G) == 1, timeout=30,
               what="drained host in prometheus")
    assert prom.value('suma_group_routable_hosts{group="%s"}' % G) == 1

    # A config is published and a task queued.
    assert h.post("/api/publish", {"g": G, "key": "db.url", "value": "mysql://a"}).status == 200
    r.execute_command(CMD + "suma_ci_task", G, "PUSH", "{}")
    wait_until(lambda: prom.value('suma_command_calls_total{command="suma_diamond_publish"}') == 1,
               timeout=30, what="publish counted in prometheus")
    wait_until(lambda: prom.value('suma_group_tasks_queued{group="%s"}' % G) == 1, timeout=30,
               what="queue depth in prometheus")
    seqs = [json.loads(e)["seq"] for e in r.execute_command(CMD + "suma_events", G, 0)]
    assert len(seqs) >= 5 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    wait_until(lambda: prom.value('suma_group_last_event_seq{group="%s"}' % G) == seqs[-1], timeout=30,
               what="the group's event seq in prometheus")
    assert prom.value('suma_group_events_observed_total{group="%s",type="kill"}' % G) == 1
    assert prom.value('suma_group_evictions_total{group="%s"}' % G) == 0
    assert prom.value("suma_module_heartbeats_total") >= 2
    assert prom.value('suma_command_usec_per_call{command="suma_vip_kill"}') > 0
    print("whole story visible in prometheus after %.2f s" % (time.time() - t0))
