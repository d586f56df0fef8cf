#include "core/leader.h"

#include <gtest/gtest.h>

namespace suma {
namespace {

// The decision functions take `now` explicitly: this is the injected clock.
struct FakeClock {
  int64_t now = 1'000'000;
  void Advance(int64_t ms) { now += ms; }
};

LeaderDecision Try(const LeaderState& s, std::string_view vip, int64_t now, int64_t lease) {
  auto d = TryLeader(s, vip, now, lease);
  EXPECT_TRUE(d.ok()) << d.status().reply();
  return d.ok() ? *d : LeaderDecision{};
}

TEST(TryLeader, FirstCandidateGetsTheTimeFloor) {
  FakeClock clock;
  LeaderDecision d = Try(LeaderState{}, "a", clock.now, 1000);
  EXPECT_TRUE(d.leader);
  EXPECT_TRUE(d.new_term);
  EXPECT_EQ(d.next.vip, "a");
  EXPECT_EQ(d.next.epoch, clock.now * 1024);
  EXPECT_EQ(d.next.lease_until, clock.now + 1000);
}

TEST(TryLeader, OthersAreRefusedWhileTheLeaseRuns) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(999);
  LeaderDecision d = Try(s, "b", clock.now, 1000);
  EXPECT_FALSE(d.leader);
  EXPECT_FALSE(d.new_term);
}

TEST(TryLeader, RenewalKeepsTheEpoch) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(500);
  LeaderDecision d = Try(s, "a", clock.now, 2000);
  EXPECT_TRUE(d.leader);
  EXPECT_FALSE(d.new_term);
  EXPECT_EQ(d.next.epoch, s.epoch);
  EXPECT_EQ(d.next.lease_until, clock.now + 2000);
}

TEST(TryLeader, ExpiredLeaseGoesToTheNextCandidateWithAHigherEpoch) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(1000);  // lease_until == now: the lease's last millisecond
  EXPECT_EQ(s.Current(clock.now), "a");
  EXPECT_FALSE(Try(s, "b", clock.now, 1000).leader);
  clock.Advance(1);  // past it: expired
  EXPECT_EQ(s.Current(clock.now), "");
  LeaderDecision d = Try(s, "b", clock.now, 1000);
  EXPECT_TRUE(d.leader);
  EXPECT_TRUE(d.new_term);
  EXPECT_EQ(d.next.epoch, clock.now * 1024);
  EXPECT_GT(d.next.epoch, s.epoch);
}

TEST(TryLeader, TheSameHostReturningAfterExpiryGetsANewEpoch) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(5000);
  LeaderDecision d = Try(s, "a", clock.now, 1000);
  EXPECT_TRUE(d.new_term);
  EXPECT_GT(d.next.epoch, s.epoch);
}

TEST(RenewIfLeader, OnlyTheCurrentHolderRenews) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(400);
  LeaderState next;
  EXPECT_FALSE(RenewIfLeader(s, "b", clock.now, &next));
  ASSERT_TRUE(RenewIfLeader(s, "a", clock.now, &next));
  EXPECT_EQ(next.lease_until, clock.now + 1000);
  EXPECT_EQ(next.epoch, s.epoch);
  clock.Advance(5000);
  EXPECT_FALSE(RenewIfLeader(next, "a", clock.now, &next));
}

TEST(Fencing, OnlyTheCurrentEpochPasses) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  int64_t first = s.epoch;
  EXPECT_TRUE(EpochIsCurrent(s, first, clock.now));
  clock.Advance(1500);
  EXPECT_FALSE(EpochIsCurrent(s, first, clock.now));  // lapsed
  s = Try(s, "b", clock.now, 1000).next;
  EXPECT_FALSE(EpochIsCurrent(s, first, clock.now));
  EXPECT_TRUE(EpochIsCurrent(s, s.epoch, clock.now));
  EXPECT_EQ(LeaseLeft(s, clock.now), 1000);
}

TEST(Fencing, ResignedStateKeepsTheLastEpoch) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  s.vip.clear();
  s.lease_until = 0;
  EXPECT_EQ(LeaseLeft(s, clock.now), 0);
  EXPECT_EQ(Try(s, "a", clock.now, 1000).next.epoch, s.epoch + 1);  // same ms: last + 1
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
  for (const char* bad : {"vip", "vip 1", " 1 2", "vip x 2", "vip 1 2 3", "vip 1 2x", "vip 1 -1",
                          "vip 1 86400001", "vip 1 9223372036854775807", "vip -1 2",
                          "vip 9007199254740993 2"})
    EXPECT_FALSE(DecodeLease(bad, &back)) << bad;
}

}  // namespace
}  // namespace suma

namespace suma {
namespace {

TEST(TryLeader, FirstTenureAfterPromotionJumpsAboveAnythingTheOldPrimaryGranted) {
  // The old primary granted epochs up to 1024*t1 + k; the promoted replica saw
  // only some of them. Its first grant, at t2 > t1, is above all of them.
  int64_t t1 = 1'700'000'000'000, t2 = t1 + 5000;
  LeaderState replica_copy;
  replica_copy.epoch = t1 * 1024 + 10;
  int64_t granted_by_old_primary = t1 * 1024 + 1023;  // a burst in one ms
  LeaderDecision d = Try(replica_copy, "b", t2, 1000);
  EXPECT_GT(d.next.epoch, granted_by_old_primary);
}

TEST(TryLeader, ADeletedMetaKeyCannotMakeAnEpochRepeat) {
  FakeClock clock;
  LeaderState s = Try(LeaderState{}, "a", clock.now, 1000).next;
  clock.Advance(1);
  LeaderDecision again = Try(LeaderState{}, "b", clock.now, 1000);  // G:meta was lost
  EXPECT_GT(again.next.epoch, s.epoch);
}

TEST(TryLeader, AHandWrittenMaximalEpochIsAnErrorNotAWrap) {
  LeaderState s;
  s.epoch = INT64_MAX;
  EXPECT_FALSE(TryLeader(s, "a", 1000, 1000).ok());
}

}  // namespace
}  // namespace suma
