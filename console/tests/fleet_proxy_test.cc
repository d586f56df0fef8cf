// Unit tests of the Tenants page's proxy logic (src/fleet_proxy.h): form -> fleet
// call, and fleet reply -> console reply. The routes themselves are tested over
// HTTP in test_fleet_api.py.
#include "fleet_proxy.h"

#include <gtest/gtest.h>

namespace console {
namespace {

TEST(FleetProxy, CreateTypesNumbersAndKeepsStrings) {
  std::string err;
  auto b = CreateBody({{"owner", "agent.zy"}, {"business", "test"}, {"memory_mb", "128"}, {"cpus", "0.5"},
                       {"replicas", "2"}, {"persistence", "always"}},
                      &err);
  ASSERT_TRUE(b) << err;
  EXPECT_EQ(*b, R"({"owner":"agent.zy","business":"test","memory_mb":128,"cpus":0.5,"replicas":2,"persistence":"always"})");
  b = CreateBody({{"owner", "a\"b"}, {"business", "x"}, {"memory_mb", "64"}, {"cpus", "2"}}, &err);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, R"({"owner":"a\"b","business":"x","memory_mb":64,"cpus":2.0})");
}

TEST(FleetProxy, CreateRefusesWhatIsNotANumber) {
  std::string err;
  Form ok = {{"owner", "a"}, {"business", "b"}, {"memory_mb", "128"}, {"cpus", "1"}};
  for (auto [field, value, message] : std::initializer_list<std::tuple<const char*, const char*, const char*>>{
           {"memory_mb", "1e3", "memory_mb must be a whole number"},
           {"memory_mb", " 12", "memory_mb must be a whole number"},
           {"cpus", "nan", "cpus must be a number"},
           {"cpus", "1,5", "cpus must be a number"},
           {"replicas", "0x1", "replicas must be a whole number"},
           {"business", "", "missing business"}}) {
    Form f = ok;
    f[field] = value;
    EXPECT_FALSE(CreateBody(f, &err)) << field << "=" << value;
    EXPECT_EQ(err, message);
  }
}

TEST(FleetProxy, BytesThatAreNotUtf8AreRefused) {
  std::string err;
  EXPECT_FALSE(CreateBody({{"owner", "a\xff"}, {"business", "b"}, {"memory_mb", "64"}, {"cpus", "1"}}, &err));
  EXPECT_EQ(err, "owner is not valid UTF-8");
  ProxiedReply p = TranslateReply({200, "{\"tenants\":[\"\xc3\x28\"]}", ""});
  EXPECT_EQ(p.status, 502);
}

TEST(FleetProxy, ScaleSendsOnlyWhatChanges) {
  std::string err;
  auto b = ScaleBody({{"name", "a_b"}, {"cpus", "1.25"}}, &err);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, R"({"cpus":1.25})");
  EXPECT_FALSE(ScaleBody({{"name", "a_b"}}, &err));
  EXPECT_EQ(err, "nothing to scale: give memory_mb, cpus or replicas");
}

TEST(FleetProxy, CallsPerAction) {
  std::string err;
  auto c = BuildCall("delete", {{"name", "agent.zy_test"}, {"purge", "1"}}, &err);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->method, "DELETE");
  EXPECT_EQ(c->path, "/v1/tenants/agent.zy_test?purge=1");
  EXPECT_EQ(c->what, "delete agent.zy_test (purge)");
  c = BuildCall("delete", {{"name", "agent.zy_test"}, {"purge", "0"}}, &err);
  EXPECT_EQ(c->path, "/v1/tenants/agent.zy_test");
  EXPECT_EQ(BuildCall("delete", {{"name", "agent.zy_test"}, {"purge", "false"}}, &err)->path, "/v1/tenants/agent.zy_test");
  EXPECT_FALSE(BuildCall("delete", {{"name", "agent.zy_test"}, {"purge", "yes please"}}, &err));
  EXPECT_EQ(err, "purge must be 1 or 0");
  c = BuildCall("create", {{"owner", "a\nsuma-console: forged"}, {"business", "b"}, {"memory_mb", "64"}, {"cpus", "1"}},
                &err);
  EXPECT_EQ(c->what, "create a?suma-console: forged_b");
  c = BuildCall("scale", {{"name", "agent.zy_test"}, {"memory_mb", "256"}}, &err);
  EXPECT_EQ(c->path, "/v1/tenants/agent.zy_test/scale");
  EXPECT_EQ(c->body, R"({"memory_mb":256})");
  c = BuildCall("credentials", {{"name", "agent.zy_test"}}, &err);
  EXPECT_EQ(c->method + " " + c->path, "POST /v1/tenants/agent.zy_test/credentials");
  EXPECT_EQ(BuildCall("tenants", {}, &err)->path, "/v1/tenants");
  for (const char* bad : {"", ".", "..", "a/b", "a%2Fb", "a?b", "a b", "a\nb"}) {
    EXPECT_FALSE(BuildCall("tenant", {{"name", bad}}, &err)) << bad;
    EXPECT_EQ(err, "missing or invalid tenant name");
  }
  EXPECT_FALSE(BuildCall("reboot", {{"name", "a_b"}}, &err));
}

TEST(FleetProxy, RepliesKeepStatusAndTranslateErrors) {
  ProxiedReply p = TranslateReply({202, R"({"tenant":{"name":"a_b"},"password":"pw"})", ""});
  EXPECT_EQ(p.status, 202);
  EXPECT_EQ(p.json, R"({"tenant":{"name":"a_b"},"password":"pw"})");
  p = TranslateReply({409, R"({"error":{"code":"BUSY","message":"a_b: a scale is running"}})", ""});
  EXPECT_EQ(p.status, 409);
  EXPECT_EQ(p.json, R"({"ok":false,"error":"a_b: a scale is running","code":"BUSY"})");
  p = TranslateReply({500, R"({"unexpected":1})", ""});
  EXPECT_EQ(p.status, 500);
  EXPECT_EQ(p.json, R"j({"ok":false,"error":"fleet error (HTTP 500)","code":"INTERNAL"})j");
}

TEST(FleetProxy, UnreachableRefusedOrGarbageIs502) {
  EXPECT_EQ(TranslateReply({0, "", "Connection"}).json,
            R"({"ok":false,"error":"fleet unreachable: Connection","code":"FLEET_UNREACHABLE"})");
  for (int status : {401, 403}) {
    ProxiedReply p = TranslateReply({status, R"({"error":{"code":"UNAUTHORIZED","message":"x"}})", ""});
    EXPECT_EQ(p.status, 502);
    EXPECT_NE(p.json.find("FLEET_AUTH"), std::string::npos);
  }
  ProxiedReply p = TranslateReply({200, "<html>proxy login</html>", ""});
  EXPECT_EQ(p.status, 502);
  EXPECT_EQ(p.json, R"({"ok":false,"error":"the fleet answered HTTP 200 without a JSON object","code":"FLEET_UNREACHABLE"})");
  EXPECT_EQ(TranslateReply({200, "[1,2]", ""}).status, 502);
}

}  // namespace
}  // namespace console
