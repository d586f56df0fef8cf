#include "core/numbers.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace suma {
namespace {

TEST(ParseInt, AcceptsStrictDecimalInRange) {
  auto v = ParseInt("lease_ms", "1500", 100, 86400000);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 1500);
  EXPECT_EQ(*ParseInt("n", "-5", -10, 10), -5);
  EXPECT_EQ(*ParseInt("n", "9223372036854775807", 0, INT64_MAX), INT64_MAX);
}

TEST(ParseInt, RejectsEverythingElseWithANamedError) {
  for (const char* bad : {"", "+1", " 1", "1 ", "1.5", "0x10", "abc", "1e3", "--1"}) {
    auto v = ParseInt("lease_ms", bad, 0, 100);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().reply(), "ERR invalid lease_ms: not an integer") << bad;
  }
  EXPECT_EQ(ParseInt("lease_ms", "99", 100, 200).status().reply(),
            "ERR invalid lease_ms: must be between 100 and 200");
  EXPECT_EQ(ParseInt("n", "99999999999999999999", 0, 10).status().reply(),
            "ERR invalid n: must be between 0 and 10");
}

TEST(ScoreToInt, SaturatesWhatZaddCanHoldAndNoCastCould) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ScoreToInt(1796667069105.0), 1796667069105);
  EXPECT_EQ(ScoreToInt(-1.5), -1);
  EXPECT_EQ(ScoreToInt(inf), INT64_MAX);
  EXPECT_EQ(ScoreToInt(1e308), INT64_MAX);
  EXPECT_EQ(ScoreToInt(9223372036854775808.0), INT64_MAX);
  EXPECT_EQ(ScoreToInt(-inf), INT64_MIN);
  EXPECT_EQ(ScoreToInt(-1e308), INT64_MIN);
  EXPECT_EQ(ScoreToInt(std::nan("")), INT64_MIN);
  int64_t n = 0;
  EXPECT_TRUE(ScoreIsInt(1796667069105.0, &n));
  EXPECT_EQ(n, 1796667069105);
  EXPECT_TRUE(ScoreIsInt(-9223372036854775808.0, &n));
  EXPECT_EQ(n, INT64_MIN);
  for (double bad : {0.5, 1e-300, 9223372036854775808.0, 1e308, inf, -inf, std::nan("")})
    EXPECT_FALSE(ScoreIsInt(bad, &n)) << bad;
}

}  // namespace
}  // namespace suma
