#include "core/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace suma {
namespace {

TEST(GlobMatch, LiteralsStarsAndQuestionMarks) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "10.0.0.1:9001"));
  EXPECT_TRUE(GlobMatch("10.0.*", "10.0.0.1:9001"));
  EXPECT_FALSE(GlobMatch("10.1.*", "10.0.0.1:9001"));
  EXPECT_TRUE(GlobMatch("*:9001", "10.0.0.1:9001"));
  EXPECT_FALSE(GlobMatch("*:9002", "10.0.0.1:9001"));
  EXPECT_TRUE(GlobMatch("10.0.0.?:9001", "10.0.0.1:9001"));
  EXPECT_FALSE(GlobMatch("10.0.0.?:9001", "10.0.0.10:9001"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("", ""));
}

TEST(GlobMatch, ClassesRangesNegationAndEscapes) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-c]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-c]llo", "hdllo"));
  EXPECT_TRUE(GlobMatch("h[c-a]llo", "hbllo"));  // reversed range, as Redis
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "aXb"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  // Redis's rules: "[]" is an empty class, "[a-]" a range up to ']'.
  EXPECT_FALSE(GlobMatch("[]", "a"));
  EXPECT_TRUE(GlobMatch("[^]]", "x]"));  // empty negated class, then a literal ]
  EXPECT_TRUE(GlobMatch("[a-]", "_"));
  EXPECT_TRUE(GlobMatch("[fd00::7]:90*", "f:90"));  // a class, not an IPv6 literal
  EXPECT_TRUE(GlobMatch("\\[fd00::7\\]:*", "[fd00::7]:9001"));
}

TEST(GlobMatch, PathologicalPatternsStayLinear) {
  std::string text(10000, 'a');
  std::string pattern;
  for (int i = 0; i < 100; ++i) pattern += "*a";
  pattern += "*b";
  EXPECT_FALSE(GlobMatch(pattern, text));
}

TEST(GlobMatch, MatchesAll) {
  EXPECT_TRUE(GlobMatchesAll("*"));
  EXPECT_TRUE(GlobMatchesAll("***"));
  EXPECT_FALSE(GlobMatchesAll(""));
  EXPECT_FALSE(GlobMatchesAll("*a"));
}

}  // namespace
}  // namespace suma
