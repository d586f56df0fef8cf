#include "core/json.h"

#include <gtest/gtest.h>

#include <string>

namespace suma {
namespace {

TEST(ValidateJson, AcceptsOneValue) {
  EXPECT_TRUE(ValidateJson("message", R"({"a":[1,2,{"b":null}]})").ok());
  EXPECT_TRUE(ValidateJson("message", " 42 \n").ok());
  EXPECT_TRUE(ValidateJson("message", R"("text")").ok());
}

TEST(ValidateJson, RejectsInvalidTrailingAndBadUtf8) {
  EXPECT_NE(ValidateJson("message", "{").reply().find("ERR invalid message: not valid JSON"),
            std::string::npos);
  EXPECT_NE(ValidateJson("message", "{} {}").reply().find("unexpected data after the value"),
            std::string::npos);
  EXPECT_FALSE(ValidateJson("message", "").ok());
  EXPECT_FALSE(ValidateJson("message", "\"\xff\"").ok());
  EXPECT_FALSE(ValidateJson("message", std::string("{\"a\":1}\0", 8)).ok());
}

TEST(ValidateJson, DeepNestingDoesNotExhaustTheStack) {
  std::string deep(200000, '[');
  EXPECT_FALSE(ValidateJson("message", deep).ok());
  deep += std::string(200000, ']');
  EXPECT_TRUE(ValidateJson("message", deep).ok());
}

TEST(EventBuilder, EncodesCommonFieldsFirstAndEscapes) {
  std::string e = EventBuilder("online", 7, 1700000000000, "agent.zy_test")
                      .Str("vip", "10.0.0.1:9001")
                      .Int("epoch", 3)
                      .Str("note", "quote\" backslash\\ newline\n")
                      .Build();
  EXPECT_EQ(e,
            R"({"type":"online","seq":7,"ts":1700000000000,"group":"agent.zy_test",)"
            R"("vip":"10.0.0.1:9001","epoch":3,"note":"quote\" backslash\\ newline\n"})");
  EXPECT_TRUE(ValidateJson("event", e).ok());
}

TEST(EventBuilder, EmbedsMessagePayloadVerbatim) {
  std::string e = EventBuilder("message", 1, 2, "g").Raw("data", R"({"k":[1,2]})").Build();
  EXPECT_EQ(e, R"({"type":"message","seq":1,"ts":2,"group":"g","data":{"k":[1,2]}})");
}

TEST(IsUtf8, DetectsInvalidSequences) {
  EXPECT_TRUE(IsUtf8("plain"));
  EXPECT_TRUE(IsUtf8("caf\xc3\xa9"));
  EXPECT_FALSE(IsUtf8("\xc3"));
  EXPECT_FALSE(IsUtf8("\xff\xfe"));
}

}  // namespace
}  // namespace suma
