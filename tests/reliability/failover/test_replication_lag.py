"""Epochs across a failover when replication lags.

Replication is asynchronous. An epoch granted by the primary in the moment
before it dies may never reach the replica. So that the promoted replica never
grants that number again (to someone else, which fencing could not tell
apart), a promoted server's first grant per group jumps to its epoch floor,
promotion ms * 1024 (core/leader.h EpochFloor). This test freezes the replica
(SIGSTOP) so the lag is certain (frozen and its link closed), and checks:
- the epoch granted while the replica was frozen got WAIT 0;
- every epoch the new primary grants is above both the confirmed and the
  unconfirmed one.
"""
import signal

from suma_testing.reliability import RedisServer, cmd, leader_info, report, wait_until

MK = "agent.lag_test_master"


def test_only_wait_confirmed_epochs_survive_a_failover():
    primary = RedisServer(aof=True, fsync="always")
    replica = RedisServer(aof=True, fsync="always",
                          extra=["--replicaof", "127.0.0.1", primary.port])
    stopped = False
    try:
        p, rr = primary.client(), replica.client()
        wait_until(lambda: rr.info("replication").get("master_link_status") == "up", 30,
                   what="replica link")
        assert cmd(p, "suma_try_leader", MK, "host-a", 200) == 1
        confirmed = leader_info(p, MK)["epoch"]
        assert p.execute_command("WAIT", 1, 5000) == 1
        wait_until(lambda: leader_info(p, MK)["vip"] is None, 10, what="A's lease to lapse")

        # Cut the replica off: frozen (no reconnect) and its link closed, so
        # nothing written from now on can sit in its socket buffer either.
        replica.proc.send_signal(signal.SIGSTOP)
        stopped = True
        p.execute_command("CLIENT", "KILL", "TYPE", "replica")
        assert cmd(p, "suma_try_leader", MK, "host-b", 60000) == 1
        unconfirmed = leader_info(p, MK)["epoch"]
        assert unconfirmed > confirmed
        assert p.execute_command("WAIT", 1, 300) == 0  # B must not act on it
        primary.kill9()
        replica.proc.send_signal(signal.SIGCONT)
        stopped = False
        rr = replica.client()
        wait_until(lambda: rr.ping(), 10, what="replica to answer")
        rr.execute_command("REPLICAOF", "NO", "ONE")
        wait_until(lambda: rr.info("replication")["role"] == "master", 10, what="promotion")

        info = leader_info(rr, MK)
        assert info["epoch"] >= confirmed
        assert cmd(rr, "suma_try_leader", MK, "host-c", 60000) == 1
        after = leader_info(rr, MK)["epoch"]
        assert after > unconfirmed > confirmed
        report("failover_replication_lag", {
            "confirmed_epoch": confirmed, "unconfirmed_epoch_on_old_primary": unconfirmed,
            "epoch_on_new_primary_at_promotion": info["epoch"],
            "first_epoch_granted_after_promotion": after,
            "unconfirmed_epoch_regranted": after == unconfirmed})
    finally:
        if stopped:
            replica.proc.send_signal(signal.SIGCONT)
        primary.cleanup()
        replica.cleanup()
