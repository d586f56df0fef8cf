"""A live group's slot moved by redis-cli --cluster reshard (default
pipeline and --cluster-pipeline 1) and by --cluster rebalance, while hosts
heartbeat, the leader renews, configs are published, events flow and tasks
are claimed."""
import pytest

from scenario import Scenario, fresh_group


def assert_moved(cluster, slot, src, dst, out):
    cluster.assert_no_crash()
    assert "BUSYKEY" not in out, out[-3000:]
    assert cluster.slot_owner(slot) is dst, "slot %d still on %s:\n%s" % (slot, src.addr,
                                                                         out[-3000:])
    cluster.wait_stable()
    assert cluster.orphans(slot) == {}
    check = cluster.check().stdout
    # redis-cli warns "[WARNING] The following slots are open: ..." for a slot
    # left importing or migrating.
    assert "[OK] All 16384 slots covered." in check and "slots are open" not in check, check


@pytest.mark.parametrize("pipeline", [None, 1], ids=["pipeline-default", "pipeline-1"])
def test_reshard_live_group_under_load(healthy, pipeline):
    src, dst = healthy.primaries()[:2]
    group = fresh_group(healthy, src)
    slot = healthy.lowest_slot(src)
    with Scenario(healthy, group) as s:
        s.before_operation()
        p = healthy.reshard(src, dst, slots=1, pipeline=pipeline)
        s.after_operation()
        assert p.returncode == 0, p.stdout[-3000:]
        assert_moved(healthy, slot, src, dst, p.stdout)
        s.finish()
    # The old owner forgot the group: it keeps nothing of the slot.
    c = src.client()
    assert c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    c.close()


def test_reshard_back_and_forth(healthy):
    a = healthy.primaries()[0]
    group = fresh_group(healthy, a)
    slot = healthy.lowest_slot(a)
    # reshard moves the source's lowest slot: the other side must hold none
    # below the group's (earlier tests moved low slots around).
    b = next(p for p in healthy.primaries() if p is not a and healthy.lowest_slot(p) > slot)
    with Scenario(healthy, group) as s:
        s.before_operation()
        for src, dst in ((a, b), (b, a), (a, b), (b, a)):
            assert healthy.lowest_slot(src) == slot
            p = healthy.reshard(src, dst, slots=1)
            assert p.returncode == 0, p.stdout[-3000:]
            assert_moved(healthy, slot, src, dst, p.stdout)
        s.after_operation()
        s.finish()


def test_rebalance_moves_the_group_back(healthy):
    """reshard 100 slots (the group's among them) to another primary, then
    `--cluster rebalance` hands about 100 back: the lowest-numbered ones,
    the group's slot included."""
    a, b = healthy.primaries()[:2]
    group = fresh_group(healthy, a)
    slot = healthy.lowest_slot(a)
    with Scenario(healthy, group) as s:
        p = healthy.reshard(a, b, slots=100)
        assert p.returncode == 0, p.stdout[-3000:]
        assert_moved(healthy, slot, a, b, p.stdout)
        s.before_operation()
        p = healthy.rebalance("--cluster-threshold", "1")
        s.after_operation()
        assert p.returncode == 0, p.stdout[-3000:]
        assert_moved(healthy, slot, b, a, p.stdout)
        s.finish()


def test_add_node_and_reshard_the_group_to_it(healthy):
    """`redis-cli --cluster add-node` joins an empty primary; the live group's
    slot is then resharded onto it."""
    src = healthy.primaries()[0]
    group = fresh_group(healthy, src)
    slot = healthy.lowest_slot(src)
    new = healthy.add_node()
    assert new.role() == "master"
    with Scenario(healthy, group) as s:
        s.before_operation()
        p = healthy.reshard(src, new, slots=1)
        s.after_operation()
        assert p.returncode == 0, p.stdout[-3000:]
        assert_moved(healthy, slot, src, new, p.stdout)
        s.finish()
