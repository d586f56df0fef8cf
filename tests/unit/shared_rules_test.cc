// The rules the module shares with the agent and the console: group names,
// tokens, loopback addresses, safe JSON strings and event parsing.
#include <gtest/gtest.h>

#include <string>

#include "core/event_view.h"
#include "core/group_name.h"
#include "core/json_text.h"
#include "core/net.h"

namespace suma {
namespace {

TEST(GroupName, CharactersLengthAndBraces) {
  EXPECT_TRUE(IsGroupName("agent.zy_test"));
  EXPECT_TRUE(IsGroupName("{agent.zy_test}"));
  EXPECT_EQ(CheckGroupName("{agent.zy_test"), NameCheck::kBadChars);
  EXPECT_EQ(CheckGroupName("a:b"), NameCheck::kBadChars);
  EXPECT_EQ(CheckGroupName(""), NameCheck::kEmpty);
  EXPECT_EQ(CheckGroupName("{}"), NameCheck::kEmpty);
  EXPECT_EQ(CheckGroupName(std::string(kMaxGroupLen, 'a')), NameCheck::kOk);
  EXPECT_EQ(CheckGroupName("{" + std::string(kMaxGroupLen, 'a') + "}"), NameCheck::kOk);
  EXPECT_EQ(CheckGroupName(std::string(kMaxGroupLen + 1, 'a')), NameCheck::kTooLong);
}

TEST(Token, PrintableAsciiWithoutSpace) {
  EXPECT_TRUE(IsVip("10.0.0.7:9001"));
  EXPECT_TRUE(IsVip("[fd00::7]:9001"));
  EXPECT_EQ(CheckToken("a b", 10), NameCheck::kBadChars);
  EXPECT_EQ(CheckToken("a\x7f", 10), NameCheck::kBadChars);
  EXPECT_EQ(CheckToken("", 10), NameCheck::kEmpty);
  EXPECT_EQ(CheckToken("abc", 2), NameCheck::kTooLong);
  EXPECT_FALSE(IsVip(std::string(kMaxVipLen + 1, 'a')));
}

TEST(Loopback, AddressesNotPrefixes) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"})
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  for (const char* h : {"0.0.0.0", "10.0.0.7", "::", "127.example.com", "1270.0.0.1", "",
                        "::ffff:10.0.0.1", "localhost.example.com"})
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
}

TEST(JsonText, SafeStringReplacesInvalidUtf8AndEscapes) {
  std::string out;
  AppendJsonStringSafe(out, std::string("a\"b\\c\n\x01<\xff\xc3\xa9", 11));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\\u003c\xEF\xBF\xBD\xc3\xa9\"");
  out.clear();
  AppendJsonStringSafe(out, "\xe2\x82");  // a truncated 3-byte sequence: two bad bytes
  EXPECT_EQ(out, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonText, WriterPlacesCommas) {
  JsonWriter j;
  j.BeginObject().Key("a").Int(1).Key("b").BeginArray().Str("x").Null().Bool(true).EndArray();
  j.Key("c").Raw("{\"d\":2}").EndObject();
  EXPECT_EQ(j.str(), "{\"a\":1,\"b\":[\"x\",null,true],\"c\":{\"d\":2}}");
}

TEST(EventView, ReadsFieldsByParsing) {
  auto e = EventView::Parse(
      R"({"type":"message","seq":42,"ts":7,"group":"g","note":"\"seq\":9","data":{"x":[1]}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq(), 42);
  EXPECT_EQ(e->ts(), 7);
  EXPECT_EQ(e->type(), "message");
  EXPECT_EQ(e->Str("note"), "\"seq\":9");
  EXPECT_EQ(e->Raw("data"), R"({"x":[1]})");
  EXPECT_EQ(e->Raw("note"), R"("\"seq\":9")");
  EXPECT_EQ(e->Int("missing"), 0);
  EXPECT_FALSE(e->OptStr("missing"));
  EXPECT_FALSE(e->OptStr("seq"));
}

TEST(EventView, RepeatedNameKeepsItsFirstValue) {
  auto e = EventView::Parse(R"({"seq":1,"type":"a","seq":3,"type":"b"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq(), 1);
  EXPECT_EQ(e->type(), "a");
}

TEST(EventView, RejectsWhatIsNotAnEvent) {
  EXPECT_FALSE(EventView::Parse("hello"));
  EXPECT_FALSE(EventView::Parse("[1]"));
  EXPECT_FALSE(EventView::Parse(R"({"type":"x"})"));
  EXPECT_FALSE(EventView::Parse(R"({"seq":"1"})"));
  EXPECT_FALSE(EventView::Parse(R"({"seq":1} x)"));
}

}  // namespace
}  // namespace suma
