"""The harness itself: the cluster it builds, and the key-slot hash the
suite (and the C++ client library) uses, checked against CLUSTER KEYSLOT."""
import random

from cluster_support import group_in_slot, key_slot


def test_three_primaries_three_replicas_all_slots_covered(healthy):
    assert len(healthy.primaries()) == 3
    assert len(healthy.replicas()) == 3
    assert "[OK] All 16384 slots covered." in healthy.check().stdout
    for p in healthy.primaries():
        assert healthy.replica_of(p).alive()


def test_key_slot_matches_cluster_keyslot(healthy):
    c = healthy.primaries()[0].client()
    rnd = random.Random(12)
    keys = ["", "a", "{", "}", "{}", "{}x", "x{}y", "{a}", "x{a}y", "{a}{b}", "{{a}}", "a{b",
            "a}b{c}", "{agent.zy_test}_master", "{agent.zy_test}:hosts", "agent.zy_test_channel",
            "123456789", "\u00e9t\u00e9"]
    keys += ["".join(rnd.choice("ab{}xyz0") for _ in range(rnd.randint(0, 12)))
             for _ in range(300)]
    for k in keys:
        assert key_slot(k) == c.execute_command("CLUSTER", "KEYSLOT", k), k


def test_group_in_slot_finds_a_name_of_that_slot(healthy):
    c = healthy.primaries()[0].client()
    for slot in (0, 5461, 10923, 16383):
        g = group_in_slot(slot)
        assert c.execute_command("CLUSTER", "KEYSLOT", g + "_master") == slot
