#include "core/config.h"

#include <gtest/gtest.h>

namespace suma {
namespace {

TEST(ApplyModuleArgs, DefaultsMatchTheDocs) {
  Config c;
  EXPECT_EQ(c.host_ttl_ms, 10000);
  EXPECT_EQ(c.lease_ms, 10000);
  for (const auto& spec : NumericSpecs()) EXPECT_EQ(c.*(spec.field), spec.def) << spec.name;
}

TEST(ApplyModuleArgs, SetsNumbersAndTenant) {
  Config c;
  Status s = ApplyModuleArgs({"host-ttl-ms", "5000", "tenant", "agent.zy", "test", "max-hosts",
                              "10"},
                             &c);
  ASSERT_TRUE(s.ok()) << s.reply();
  EXPECT_EQ(c.host_ttl_ms, 5000);
  EXPECT_EQ(c.max_hosts, 10);
  EXPECT_EQ(c.tenant, "agent.zy_test");
}

TEST(ApplyModuleArgs, RefusesUnknownMissingAndInvalidLeavingConfigUnchanged) {
  Config c;
  EXPECT_EQ(ApplyModuleArgs({"host-ttl-ms", "5000", "bogus", "1"}, &c).reply(),
            "ERR unknown option 'bogus'");
  EXPECT_EQ(c.host_ttl_ms, 10000);
  EXPECT_EQ(ApplyModuleArgs({"lease-ms"}, &c).reply(), "ERR syntax error: lease-ms needs a value");
  EXPECT_EQ(ApplyModuleArgs({"lease-ms", "5"}, &c).reply(),
            "ERR invalid lease-ms: must be between 100 and 86400000");
  EXPECT_FALSE(ApplyModuleArgs({"tenant", "only-owner"}, &c).ok());
  EXPECT_FALSE(ApplyModuleArgs({"tenant", "bad owner!", "x"}, &c).ok());
}

TEST(Tenant, LocksToOneGroupInBothSpellings) {
  Config c;
  ASSERT_TRUE(SetTenant("agent.zy test", &c).ok());
  EXPECT_TRUE(c.CheckTenant(*ParseGroup("agent.zy_test_master", false)).ok());
  EXPECT_TRUE(c.CheckTenant(*ParseGroup("{agent.zy_test}_channel", false)).ok());
  Status other = c.CheckTenant(*ParseGroup("agent.zz_test_master", false));
  EXPECT_EQ(other.reply(), "NOPERM group 'agent.zz_test' does not belong to this server's tenant");
  ASSERT_TRUE(SetTenant("", &c).ok());
  EXPECT_TRUE(c.CheckTenant(*ParseGroup("agent.zz_test_master", false)).ok());
}

}  // namespace
}  // namespace suma
