#include "core/series.h"

#include <gtest/gtest.h>

#include <set>

#include "core/keyslot.h"

namespace suma {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;  // an injected clock: ms in late 2026

TEST(NextFenced, JumpsToTheTimeFloorAndOnlyGrows) {
  auto a = NextFenced("epoch", 0, kNow, 0);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, kNow * 1024);
  auto b = NextFenced("epoch", *a, kNow, *a);  // same ms: last + 1
  EXPECT_EQ(*b, *a + 1);
  auto c = NextFenced("epoch", *b, kNow + 1, *b);
  EXPECT_EQ(*c, (kNow + 1) * 1024);
}

TEST(NextFenced, ALostOrRewoundCounterNeverRepeatsAValue) {
  std::set<int64_t> granted;
  int64_t last = 0, now = kNow, high = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i % 500 == 499) last = 0;        // the key holding it was deleted
    if (i % 700 == 699) last = last / 2;  // an older DUMP was restored
    if (i % 3 == 0) ++now;                // several grants per ms
    auto v = NextFenced("epoch", last, now, high);
    ASSERT_TRUE(v.ok());
    high = *v;
    ASSERT_TRUE(granted.insert(*v).second) << "granted twice: " << *v;
    last = *v;
  }
}

TEST(NextFenced, RefusesWhenAHandWrittenValueLeavesNoRoom) {
  auto v = NextFenced("epoch", int64_t{1} << 53, kNow, 0);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().reply().find("epoch"), std::string::npos);
  EXPECT_TRUE(NextFenced("epoch", -5, kNow, 0).ok());  // garbage below 0 counts as none
}

TEST(NextFenced, AHandWrittenCounterInOneGroupDoesNotLeakIntoOthers) {
  int64_t poisoned = (int64_t{1} << 53) - 2;  // one group's counter, written by hand
  auto own = NextFenced("epoch", poisoned, kNow, 0);
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(*own, poisoned + 1);
  EXPECT_FALSE(NextFenced("epoch", *own, kNow, *own).ok());  // that group is exhausted
  auto other = NextFenced("epoch", 0, kNow, *own);           // another group is not
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, kNow * 1024);
  EXPECT_EQ(*NextSeq(std::nullopt, kNow, 0, *own), kNow * 1024);
}

TEST(NextSeq, ContiguousWhileTheSeriesLasts) {
  int64_t restart = TimeFloor(kNow - 5000);
  auto first = NextSeq(std::nullopt, kNow, restart, 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, kNow * 1024);
  EXPECT_EQ(*NextSeq(*first, kNow + 10, restart, *first), *first + 1);
}

TEST(NextSeq, TheFirstEventAfterARestartJumpsAboveTheOldIncarnation) {
  int64_t old_last = TimeFloor(kNow - 60'000) + 12345;  // granted before the restart
  int64_t restart = TimeFloor(kNow);
  EXPECT_EQ(*NextSeq(old_last, kNow + 1, restart, 0), restart);
  EXPECT_EQ(*NextSeq(restart, kNow + 2, restart, restart), restart + 1);
}

TEST(NextSeq, ARestartedSeriesStartsAboveAnythingThisProcessGranted) {
  int64_t high = TimeFloor(kNow) + 50'000;  // a burst of events in this ms
  EXPECT_EQ(*NextSeq(std::nullopt, kNow, 0, high), high + 1);
  EXPECT_EQ(*NextSeq(std::nullopt, kNow + 100, 0, high), TimeFloor(kNow + 100));
}

TEST(KeySlot, MatchesRedisCluster) {
  // Values as CLUSTER KEYSLOT answers them.
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));  // empty first tag: whole key
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(KeySlot("{agent.zy_test}:hosts"), KeySlot("{agent.zy_test}_master"));
}

}  // namespace
}  // namespace suma
