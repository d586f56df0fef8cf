"""The client-side lease rule, precisely, on loopback (no namespaces needed).

Rule: a host leads only until (monotonic time it SENT its last successful
renewal) + lease. For that to be safe the server must never grant the next
epoch before that moment. A takes a short lease once and goes silent; B polls
try_leader in a tight loop; B's first win must come back after A's belief
ended (A.sent + lease), on the shared CLOCK_MONOTONIC. Regression test for the
module's lease ending up to 1 ms early (the server counts whole, rounded-down
milliseconds; src/core/leader.h now counts the lease's last millisecond in).
"""
import time

from suma_testing.reliability import LONG, RedisServer, cmd, report

MK = "agent.rule_test_master"
LEASE_MS = 100


def test_next_leader_never_starts_before_the_old_belief_ends():
    srv = RedisServer()
    rounds = 200 if LONG else 40
    gaps = []
    try:
        a, b = srv.client(), srv.client()
        for i in range(rounds):
            # Start A's lease at a random phase of the server's millisecond.
            time.sleep(0.0001 * (i % 10))
            t_sent = time.monotonic()
            assert cmd(a, "suma_try_leader", MK, "host-a", LEASE_MS) == 1
            belief_end = t_sent + LEASE_MS / 1000
            while True:
                won = cmd(b, "suma_try_leader", MK, "host-b", LEASE_MS)
                t_recv = time.monotonic()
                if won == 1:
                    break
            gaps.append((t_recv - belief_end) * 1000)
            assert cmd(b, "suma_leader_resign", MK, "host-b") == 1
        early = [g for g in gaps if g < 0]
        report("lease_rule_handover", {
            "rounds": rounds, "lease_ms": LEASE_MS,
            "min_gap_ms": round(min(gaps), 3), "max_gap_ms": round(max(gaps), 3),
            "early_handovers": len(early)})
        assert not early, "B led before A's belief ended, by up to %.3f ms" % -min(early)
    finally:
        srv.cleanup()
