// Regressions found by the hostile-input suite (fuzz/, tests/reliability/hostile):
// each case is an input a fuzzer or the random command run turned up.
#include <gtest/gtest.h>

#include <string>

#include "core/config.h"
#include "core/errors.h"
#include "core/numbers.h"

namespace suma {
namespace {

TEST(HostileRegressions, OverlongDigitsWithTrailingBytesAreNotAnInteger) {
  auto r = ParseInt("n", "77777777777777777777+1", 0, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reply(), "ERR invalid n: not an integer");
  r = ParseInt("n", "99999999999999999999", 0, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reply(), "ERR invalid n: must be between 0 and 10");
}

TEST(HostileRegressions, TenantMustBeExactlyTheGroup) {
  Config cfg;
  cfg.tenant = "agent.zy_test";
  // ParseGroup would shorten these to another group (x_master, x) or brace them.
  for (const char* v : {"x mastermaster", "x master", "agent.zy test_channel", "{agent.zy test}"}) {
    EXPECT_FALSE(SetTenant(v, &cfg).ok()) << v;
    EXPECT_EQ(cfg.tenant, "agent.zy_test") << v;
  }
  EXPECT_TRUE(SetTenant("agent.zy prod", &cfg).ok());
  EXPECT_EQ(cfg.tenant, "agent.zy_prod");
}

TEST(HostileRegressions, QuotedClientBytesStayOnePrintableLine) {
  std::string opt("a\0b\r\n\xff", 6);
  EXPECT_EQ(err::UnknownOption(opt).reply(), "ERR unknown option 'a\\x00b\\x0d\\x0a\\xff'");
  std::string longer(100, 'x');
  EXPECT_EQ(err::UnknownSubcommand("suma_ci_task", longer).reply(),
            "ERR unknown subcommand '" + std::string(64, 'x') + "...' for 'suma_ci_task'");
}

}  // namespace
}  // namespace suma
