#include "core/leader.h"

#include <gtest/gtest.h>

namespace suma {
namespace {

// The decision functions take `now` explicitly: this is the injected clock.
struct FakeClock {
  int64_t now = 1'000'000;
  void Advance(int64_t ms) { now += ms; }
};

TEST(TryLeader, FirstCandidateGetsEpochOne) {
  FakeClock clock;
  LeaderDecision d = TryLeader(LeaderState{}, "a", clock.now, 1000);
  EXPECT_TRUE(d.leader);
  EXPECT_TRUE(d.new_term);
  EXPECT_EQ(d.next.vip, "a");
  EXPECT_EQ(d.next.epoch, 1);
  EXPECT_EQ(d.next.lease_until, clock.now + 1000);
}

TEST(TryLeader, OthersAreRefusedWhileTheLeaseRuns) {
  FakeClock clock;
  LeaderState s = TryLeader(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(999);
  LeaderDecision d = TryLeader(s, "b", clock.now, 1000);
  EXPECT_FALSE(d.leader);
  EXPECT_FALSE(d.new_term);
}

TEST(TryLeader, RenewalKeepsTheEpoch) {
  FakeClock clock;
  LeaderState s = TryLeader(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(500);
  LeaderDecision d = TryLeader(s, "a", clock.now, 2000);
  EXPECT_TRUE(d.leader);
  EXPECT_FALSE(d.new_term);
  EXPECT_EQ(d.next.epoch, 1);
  EXPECT_EQ(d.next.lease_until, clock.now + 2000);
}

TEST(TryLeader, ExpiredLeaseGoesToTheNextCandidateWithAHigherEpoch) {
  FakeClock clock;
  LeaderState s = TryLeader(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(1000);  // lease_until == now: the lease's last millisecond
  EXPECT_EQ(s.Current(clock.now), "a");
  EXPECT_FALSE(TryLeader(s, "b", clock.now, 1000).leader);
  clock.Advance(1);  // past it: expired
  EXPECT_EQ(s.Current(clock.now), "");
  LeaderDecision d = TryLeader(s, "b", clock.now, 1000);
  EXPECT_TRUE(d.leader);
  EXPECT_TRUE(d.new_term);
  EXPECT_EQ(d.next.epoch, 2);
}

TEST(TryLeader, TheSameHostReturningAfterExpiryGetsANewEpoch) {
  FakeClock clock;
  LeaderState s = TryLeader(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(5000);
  LeaderDecision d = TryLeader(s, "a", clock.now, 1000);
  EXPECT_TRUE(d.new_term);
  EXPECT_EQ(d.next.epoch, 2);
}

TEST(RenewIfLeader, OnlyTheCurrentHolderRenews) {
  FakeClock clock;
  LeaderState s = TryLeader(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(400);
  LeaderState next;
  EXPECT_FALSE(RenewIfLeader(s, "b", clock.now, &next));
  ASSERT_TRUE(RenewIfLeader(s, "a", clock.now, &next));
  EXPECT_EQ(next.lease_until, clock.now + 1000);
  EXPECT_EQ(next.epoch, 1);
  clock.Advance(5000);
  EXPECT_FALSE(RenewIfLeader(next, "a", clock.now, &next));
}

TEST(Fencing, OnlyTheCurrentEpochPasses) {
  FakeClock clock;
  LeaderState s = TryLeader(LeaderState{}, "a", clock.now, 1000).next;
  EXPECT_TRUE(EpochIsCurrent(s, 1, clock.now));
  clock.Advance(1500);
  EXPECT_FALSE(EpochIsCurrent(s, 1, clock.now));  // lapsed
  s = TryLeader(s, "b", clock.now, 1000).next;
  EXPECT_FALSE(EpochIsCurrent(s, 1, clock.now));
  EXPECT_TRUE(EpochIsCurrent(s, 2, clock.now));
  EXPECT_EQ(LeaseLeft(s, clock.now), 1000);
}

TEST(Fencing, ResignedStateKeepsTheLastEpoch) {
  FakeClock clock;
  LeaderState s = TryLeader(LeaderState{}, "a", clock.now, 1000).next;
  s.vip.clear();
  s.lease_until = 0;
  EXPECT_EQ(LeaseLeft(s, clock.now), 0);
  EXPECT_EQ(TryLeader(s, "a", clock.now, 1000).next.epoch, 2);
}

}  // namespace
}  // namespace suma

namespace suma {
namespace {

TEST(LeaseEncoding, RoundTripsAndRejectsGarbage) {
  LeaderState s;
  s.vip = "10.0.0.7:9001";
  s.lease_until = 1795614005085;
  s.lease_ms = 10000;
  EXPECT_EQ(EncodeLease(s), "10.0.0.7:9001 1795614005085 10000");
  LeaderState back;
  ASSERT_TRUE(DecodeLease(EncodeLease(s), &back));
  EXPECT_EQ(back.vip, s.vip);
  EXPECT_EQ(back.lease_until, s.lease_until);
  EXPECT_EQ(back.lease_ms, s.lease_ms);
  ASSERT_TRUE(DecodeLease("", &back));
  EXPECT_TRUE(back.vip.empty());
  EXPECT_EQ(EncodeLease(back), "");
  for (const char* bad : {"vip", "vip 1", " 1 2", "vip x 2", "vip 1 2 3", "vip 1 2x"})
    EXPECT_FALSE(DecodeLease(bad, &back)) << bad;
}

}  // namespace
}  // namespace suma

namespace suma {
namespace {

TEST(EpochFloor, FirstTenureAfterPromotionJumpsAboveAnythingTheOldPrimaryGranted) {
  // The old primary was promoted at t1 and granted epochs 1024*t1 + k; the
  // replica saw only some of them. Promoted at t2 > t1, it starts above all.
  int64_t t1 = 1'700'000'000'000, t2 = t1 + 5000;
  LeaderState replica_copy;
  replica_copy.epoch = EpochFloor(t1) + 10;
  int64_t granted_by_old_primary = EpochFloor(t1) + 4999;  // one grant per ms since t1
  LeaderDecision d = TryLeader(replica_copy, "b", t2, 1000, EpochFloor(t2));
  EXPECT_GT(d.next.epoch, granted_by_old_primary);
  // Later tenures count on from there.
  d.next.lease_until = 0;
  EXPECT_EQ(TryLeader(d.next, "c", t2 + 1, 1000, EpochFloor(t2)).next.epoch, d.next.epoch + 1);
  // Without a promotion the floor is 0 and epochs count 1, 2, 3.
  EXPECT_EQ(TryLeader(LeaderState{}, "a", t2, 1000).next.epoch, 1);
}

}  // namespace
}  // namespace suma
