// The client library's cluster layer: key slots (expected values are
// redis-cli CLUSTER KEYSLOT answers from redis-server 7.0.15), redirection
// parsing and the slot map.
#include <gtest/gtest.h>

#include "suma/cluster.h"

namespace suma {
namespace {

TEST(KeySlot, MatchesClusterKeyslot) {
  const std::pair<const char*, int> cases[] = {
      {"", 0}, {"a", 15495}, {"{", 4092}, {"}", 12090}, {"{}", 15257}, {"{}x", 10595},
      {"x{}y", 16116}, {"{a}", 15495}, {"x{a}y", 15495}, {"{a}{b}", 15495}, {"{{a}}", 10276},
      {"a{b", 13340}, {"a}b{c}", 7365}, {"123456789", 12739},
      {"{agent.zy_test}_master", 8163}, {"{agent.zy_test}:hosts", 8163},
      {"agent.zy_test_channel", 5560}, {"foo{bar}{zap}", 5061}, {"{user1000}.following", 3443}};
  for (const auto& [key, slot] : cases) EXPECT_EQ(KeySlot(key), slot) << key;
}

TEST(Crc16, XmodemCheckValue) { EXPECT_EQ(Crc16("123456789"), 0x31C3); }

Reply Err(const char* s) { return Reply::Error(s); }

TEST(ParseRedirect, MovedAskAndRetryable) {
  Redirect m = ParseRedirect(Err("MOVED 3999 127.0.0.1:6381"));
  EXPECT_EQ(m.kind, Redirect::Kind::Moved);
  EXPECT_EQ(m.slot, 3999);
  EXPECT_EQ(m.host, "127.0.0.1");
  EXPECT_EQ(m.port, 6381);
  Redirect a = ParseRedirect(Err("ASK 0 [::1]:7000"));
  EXPECT_EQ(a.kind, Redirect::Kind::Ask);
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 7000);
  EXPECT_EQ(ParseRedirect(Err("TRYAGAIN Multiple keys request during rehashing of slot")).kind,
            Redirect::Kind::TryAgain);
  EXPECT_EQ(ParseRedirect(Err("CLUSTERDOWN The cluster is down")).kind,
            Redirect::Kind::ClusterDown);
}

TEST(ParseRedirect, OtherRepliesAreNotRedirects) {
  EXPECT_EQ(ParseRedirect(Err("ERR unknown command")).kind, Redirect::Kind::None);
  EXPECT_EQ(ParseRedirect(Err("MOVED x 127.0.0.1:1")).kind, Redirect::Kind::None);
  EXPECT_EQ(ParseRedirect(Err("MOVED 16384 127.0.0.1:1")).kind, Redirect::Kind::None);
  EXPECT_EQ(ParseRedirect(Err("MOVED 1 127.0.0.1")).kind, Redirect::Kind::None);
  EXPECT_EQ(ParseRedirect(Err("ASK 1 h:0")).kind, Redirect::Kind::None);
  Reply ok;
  ok.type = Reply::Type::Status;
  ok.str = "MOVED 1 h:1";
  EXPECT_EQ(ParseRedirect(ok).kind, Redirect::Kind::None);
}

Reply Int(long long v) {
  Reply r;
  r.type = Reply::Type::Integer;
  r.integer = v;
  return r;
}
Reply Str(const std::string& s) {
  Reply r;
  r.type = Reply::Type::String;
  r.str = s;
  return r;
}
Reply Arr(std::vector<Reply> e) {
  Reply r;
  r.type = Reply::Type::Array;
  r.elements = std::move(e);
  return r;
}
Reply Range(int a, int b, const std::string& host, int port) {
  return Arr({Int(a), Int(b), Arr({Str(host), Int(port), Str("id")}),
              Arr({Str(host), Int(port + 1), Str("replica")})});
}

TEST(SlotMap, LoadsClusterSlotsAndFindsOwners) {
  SlotMap m;
  ASSERT_TRUE(m.Load(Arr({Range(5461, 10922, "10.0.0.2", 7000), Range(0, 5460, "", 7000),
                          Range(10923, 16383, "10.0.0.3", 7000)}),
                     "10.0.0.1"));
  EXPECT_EQ(m.Owner(0)->first, "10.0.0.1");  // empty host: the node asked
  EXPECT_EQ(m.Owner(5461)->first, "10.0.0.2");
  EXPECT_EQ(m.Owner(16383)->first, "10.0.0.3");
  EXPECT_EQ(m.Primaries().size(), 3u);
  m.Move(5461, "10.0.0.3", 7000);
  EXPECT_EQ(m.Owner(5461)->first, "10.0.0.3");
  EXPECT_EQ(m.Owner(5460)->first, "10.0.0.1");
  EXPECT_EQ(m.Owner(5462)->first, "10.0.0.2");
}

TEST(SlotMap, RefusesMalformedAndKeepsTheOldMap) {
  SlotMap m;
  ASSERT_TRUE(m.Load(Arr({Range(0, 16383, "h", 1)}), "x"));
  EXPECT_FALSE(m.Load(Err("ERR This instance has cluster support disabled"), "x"));
  EXPECT_FALSE(m.Load(Arr({Range(0, 100, "h", 1), Range(50, 200, "g", 1)}), "x"));  // overlap
  EXPECT_FALSE(m.Load(Arr({Range(0, 16384, "h", 1)}), "x"));
  EXPECT_FALSE(m.Load(Arr({Arr({Int(0), Int(1)})}), "x"));
  EXPECT_FALSE(m.Load(Arr({}), "x"));
  EXPECT_EQ(m.Owner(9000)->first, "h");
}

TEST(SlotMap, UncoveredSlotHasNoOwner) {
  SlotMap m;
  ASSERT_TRUE(m.Load(Arr({Range(10, 20, "h", 1)}), "x"));
  EXPECT_FALSE(m.Owner(9));
  EXPECT_FALSE(m.Owner(21));
  EXPECT_TRUE(m.Owner(15));
}

}  // namespace
}  // namespace suma
