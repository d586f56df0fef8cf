#include "core/numbers.h"

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

}  // namespace
}  // namespace suma
