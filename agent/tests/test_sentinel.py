"""Failover through Sentinel: primary + replica + 3 sentinels on loopback.
The primary is killed; the agent finds the promoted replica through the
sentinels and keeps heartbeating there."""
import os
import shutil
import subprocess

import redis

from agentlib import GROUP, MODULE_ARGS, RedisServer, free_port, wait_until

SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
MASTER = "suma"


class Sentinel:
    def __init__(self, tmp, primary_port):
        self.port = free_port()
        self.dir = os.path.join(str(tmp), "sentinel-%d" % self.port)
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, "sentinel.conf")
        with open(conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s/sentinel.log\n"
                    "sentinel monitor %s 127.0.0.1 %d 2\n"
                    "sentinel down-after-milliseconds %s 400\n"
                    "sentinel failover-timeout %s 4000\n"
                    % (self.port, self.dir, self.dir, MASTER, primary_port, MASTER, MASTER))
        self.proc = subprocess.Popen([SENTINEL, conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(self.ping, 10, what="sentinel up")

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=5)

    def ping(self):
        try:
            return self.client().ping()
        except redis.exceptions.ConnectionError:
            return False

    def primary_port(self):
        try:
            return int(self.client().execute_command("SENTINEL", "get-master-addr-by-name", MASTER)[1])
        except (redis.exceptions.ConnectionError, TypeError):
            return None

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def last_seen(server, vip):
    info = server.client().execute_command("sumavlib.suma_vip_info", GROUP, vip)
    return info[info.index("last_seen_ms") + 1]


def test_agent_follows_a_sentinel_failover(tmp_path, agents):
    primary = RedisServer(module_args=MODULE_ARGS)
    replica = RedisServer(module_args=MODULE_ARGS,
                          extra=["--replicaof", "127.0.0.1", str(primary.port)])
    sentinels = []
    try:
        wait_until(lambda: primary.client().info("replication")
                   .get("connected_slaves") == 1, 15, what="replica in sync")
        sentinels = [Sentinel(tmp_path, primary.port) for _ in range(3)]
        wait_until(lambda: all(
            int(s.client().execute_command("SENTINEL", "master", MASTER)[
                s.client().execute_command("SENTINEL", "master", MASTER).index("num-other-sentinels") + 1]) == 2
            for s in sentinels), 20, what="sentinels see each other")
        a = agents(None, args=["--sentinels", ",".join("127.0.0.1:%d" % s.port for s in sentinels),
                               "--sentinel-master", MASTER])
        a.wait("on primary", lambda: a.status().get("server") == "127.0.0.1:%d" % primary.port)
        a.wait("leader", lambda: a.status().get("leader"))

        primary.kill9()
        wait_until(lambda: all(s.primary_port() == replica.port for s in sentinels), 30, what="failover")
        a.wait("on new primary", lambda: a.status().get("server") == "127.0.0.1:%d" % replica.port)
        first = a.wait("heartbeat on new primary", lambda: last_seen(replica, a.vip))
        a.wait("heartbeats keep coming", lambda: (last_seen(replica, a.vip) or 0) > first)
        a.wait("leads again", lambda: a.status().get("leader"))
        assert a.health() == (200, "ok\n")
    finally:
        for s in sentinels:
            s.stop()
        primary.cleanup()
        replica.cleanup()
