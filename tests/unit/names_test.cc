#include "core/names.h"

#include <gtest/gtest.h>

namespace suma {
namespace {

std::string GroupOf(std::string_view arg, bool cluster = false) {
  auto g = ParseGroup(arg, cluster);
  return g.ok() ? g->name : "ERR:" + g.status().reply();
}

TEST(ParseGroup, StripsMasterAndChannelWithOneSeparator) {
  EXPECT_EQ(GroupOf("agent.zy_test_master"), "agent.zy_test");
  EXPECT_EQ(GroupOf("agent.zy_test_channel"), "agent.zy_test");
  EXPECT_EQ(GroupOf("agent.zy_test.master"), "agent.zy_test");
  EXPECT_EQ(GroupOf("agent.zy_test:channel"), "agent.zy_test");
  EXPECT_EQ(GroupOf("agent.zy_test-master"), "agent.zy_test");
  EXPECT_EQ(GroupOf("agent.zy_test"), "agent.zy_test");
  EXPECT_EQ(GroupOf("agent.zy_testmaster"), "agent.zy_test");
  // Only one separator goes.
  EXPECT_EQ(GroupOf("agent.zy_test__master"), "agent.zy_test_");
}

TEST(ParseGroup, BracedGroupIsItsOwnHashTag) {
  auto g = ParseGroup("{agent.zy_test}_master", false);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->name, "{agent.zy_test}");
  EXPECT_TRUE(g->tagged);
  EXPECT_EQ(g->Bare(), "agent.zy_test");
  EXPECT_EQ(g->Key("hosts"), "{agent.zy_test}:hosts");
  EXPECT_EQ(g->Channel(), "{agent.zy_test}_channel");
  EXPECT_EQ(GroupOf("{agent.zy_test}_channel"), "{agent.zy_test}");
  EXPECT_EQ(GroupOf("{agent.zy_test}"), "{agent.zy_test}");
}

TEST(ParseGroup, ChannelIsTheSameWhicheverFormNamedTheGroup) {
  for (auto form : {"agent.zy_test_master", "agent.zy_test_channel", "agent.zy_test"}) {
    auto g = ParseGroup(form, false);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->Channel(), "agent.zy_test_channel");
  }
}

TEST(ParseGroup, RejectsEmptyAndBadNames) {
  EXPECT_EQ(GroupOf("_master"), "ERR:ERR invalid group: empty");
  EXPECT_EQ(GroupOf("master"), "ERR:ERR invalid group: empty");
  EXPECT_EQ(GroupOf(""), "ERR:ERR invalid group: empty");
  EXPECT_EQ(GroupOf("{}_master"), "ERR:ERR invalid group: empty");
  EXPECT_NE(GroupOf("a b_master").find("ERR:ERR invalid group: only"), std::string::npos);
  EXPECT_NE(GroupOf("a:b_master").find("ERR:ERR invalid group"), std::string::npos);
  EXPECT_NE(GroupOf("a{b}_master").find("ERR:ERR invalid group"), std::string::npos);
  EXPECT_NE(GroupOf(std::string(200, 'a')).find("longer than"), std::string::npos);
}

TEST(ParseGroup, ClusterModeNeedsTheTaggedForm) {
  EXPECT_NE(GroupOf("agent.zy_test_master", true).find("hash-tag form"), std::string::npos);
  EXPECT_EQ(GroupOf("{agent.zy_test}_master", true), "{agent.zy_test}");
}

TEST(Validate, Vips) {
  EXPECT_TRUE(ValidateVip("10.0.0.7:9001").ok());
  EXPECT_TRUE(ValidateVip("[fd00::7]:9001").ok());
  EXPECT_FALSE(ValidateVip("").ok());
  EXPECT_FALSE(ValidateVip("a b").ok());
  EXPECT_FALSE(ValidateVip("a\tb").ok());
  EXPECT_FALSE(ValidateVip(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ValidateVip(std::string(300, 'a')).ok());
  EXPECT_EQ(ValidateVip("").reply(), "ERR invalid vip: empty");
}

}  // namespace
}  // namespace suma
