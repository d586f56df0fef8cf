// Unit tests of the console's and the entrypoint's pure pieces: cookies, INFO
// parsing (JSON, group names and events: tests/unit/shared_rules_test.cc), and the container
// settings -> redis.conf translation (passwords cannot inject directives).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "auth.h"
#include "metrics.h"
#include "model.h"
#include "options.h"
#include "settings.h"

using namespace console;

TEST(Auth, CookieValueAndConstantTimeEquals) {
  EXPECT_EQ(CookieValue("a=1; suma_session=tok; b=2", "suma_session"), "tok");
  EXPECT_EQ(CookieValue("xsuma_session=no", "suma_session"), "");
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

TEST(Auth, SessionsLifecycle) {
  Sessions s("admin", "pw", 60, false);
  EXPECT_EQ(s.Login("admin", "wrong"), "");
  EXPECT_EQ(s.Login("root", "pw"), "");
  std::string t = s.Login("admin", "pw");
  ASSERT_EQ(t.size(), 64u);
  EXPECT_TRUE(s.Valid(t));
  EXPECT_FALSE(s.Valid(t + "0"));
  EXPECT_NE(s.Cookie(t).find("HttpOnly; SameSite=Strict"), std::string::npos);
  s.Logout(t);
  EXPECT_FALSE(s.Valid(t));
  Sessions open("admin", "", 60, false);
  EXPECT_TRUE(open.Valid(""));
  EXPECT_EQ(open.Login("admin", ""), "");  // no password: no sessions to hand out
}

TEST(Auth, FailedLoginsAreThrottled) {
  Sessions s("admin", "pw", 60, false);
  for (size_t i = 0; i < Sessions::kMaxFailures; ++i) EXPECT_EQ(s.Login("admin", "guess"), "");
  EXPECT_TRUE(s.Throttled());
  EXPECT_EQ(s.Login("admin", "pw"), "");  // even the right password, for a minute
}

// argv for ParseOptions, built from string literals.
bool Parse(std::vector<std::string> args, Options* o, std::string* err) {
  args.insert(args.begin(), "suma-console");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseOptions(static_cast<int>(args.size()), argv.data(), o, err);
}

TEST(Options, ThreadsFlagEnvironmentAndBounds) {
  unsetenv("SUMA_CONSOLE_THREADS");
  Options o;
  std::string err;
  ASSERT_TRUE(Parse({}, &o, &err)) << err;
  EXPECT_EQ(o.threads, 16);
  ASSERT_TRUE(Parse({"--threads", "4"}, &o, &err)) << err;
  EXPECT_EQ(o.threads, 4);
  setenv("SUMA_CONSOLE_THREADS", "32", 1);
  Options from_env;
  ASSERT_TRUE(Parse({}, &from_env, &err)) << err;
  EXPECT_EQ(from_env.threads, 32);
  unsetenv("SUMA_CONSOLE_THREADS");
  for (const char* bad : {"1", "257", "x", "-4", ""}) {
    Options b;
    EXPECT_FALSE(Parse({"--threads", bad}, &b, &err)) << bad;
    EXPECT_NE(err.find("--threads"), std::string::npos) << err;
  }
}

TEST(Metrics, ParseInfo) {
  auto m = ParseInfo("# sumavlib\r\nsumavlib_heartbeats:12\r\ncmdstat_sumavlib.suma_vip_kill:calls=1,usec=5\r\n");
  EXPECT_EQ(m["sumavlib_heartbeats"], "12");
  EXPECT_EQ(m["cmdstat_sumavlib.suma_vip_kill"], "calls=1,usec=5");
  EXPECT_EQ(m.size(), 2u);
}

namespace {
entry::Env Base() {
  return {{"SUMA_PASSWORD", "pw"}, {"APOLLO_OWNER_ID", "agent.zy"}, {"APOLLO_BUINESS_ID", "test"}};
}
}  // namespace

TEST(Entrypoint, DefaultsAndTenant) {
  entry::Settings s;
  std::string err;
  ASSERT_TRUE(entry::LoadSettings(Base(), {}, &s, &err)) << err;
  EXPECT_EQ(s.resp_port, 8090);
  EXPECT_EQ(s.console_port, 10082);
  std::string conf = entry::RedisConfig(s);
  EXPECT_NE(conf.find("loadmodule /sumavlib.so tenant agent.zy test\n"), std::string::npos);
  EXPECT_NE(conf.find("bind 0.0.0.0\n"), std::string::npos);
  EXPECT_NE(conf.find("requirepass \"pw\"\n"), std::string::npos);
}

TEST(Entrypoint, PasswordRequiredUnlessLoopback) {
  entry::Settings s;
  std::string err;
  auto env = Base();
  env.erase("SUMA_PASSWORD");
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  EXPECT_NE(err.find("password is required"), std::string::npos);
  env["SUMA_BIND"] = "127.0.0.1";
  EXPECT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  EXPECT_EQ(entry::RedisConfig(s).find("requirepass"), std::string::npos);
}

TEST(Entrypoint, PasswordCannotInjectDirectives) {
  entry::Settings s;
  std::string err;
  auto env = Base();
  env["SUMA_PASSWORD"] = "a\"b\\c\nloadmodule /evil.so";
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err));
  std::string conf = entry::RedisConfig(s);
  EXPECT_NE(conf.find("requirepass \"a\\\"b\\\\c\\x0aloadmodule /evil.so\"\n"), std::string::npos) << conf;
  EXPECT_EQ(conf.find("\nloadmodule /evil.so"), std::string::npos);
}

TEST(Entrypoint, TenantAndReplicaRules) {
  entry::Settings s;
  std::string err;
  auto env = Base();
  env.erase("APOLLO_BUINESS_ID");
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  env["APOLLO_BUSINESS_ID"] = "test";  // the spelled-out name works too
  EXPECT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  env["APOLLO_OWNER_ID"] = "bad owner";
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  env = Base();
  env["CONTAINER_TYPE"] = "replica";
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  env["SUMA_PRIMARY"] = "10.0.0.7:6380";
  env["LOCAL_IP"] = "10.0.0.8";
  env["APOLLO_PORT"] = "6381";
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  std::string conf = entry::RedisConfig(s);
  EXPECT_NE(conf.find("replicaof 10.0.0.7 6380\n"), std::string::npos);
  EXPECT_NE(conf.find("masterauth \"pw\"\n"), std::string::npos);
  EXPECT_NE(conf.find("replica-announce-ip 10.0.0.8\nreplica-announce-port 6381\n"), std::string::npos);
}

TEST(Entrypoint, SpecificBindAddsLoopbackForTheConsole) {
  entry::Settings s;
  std::string err;
  auto env = Base();
  env["SUMA_BIND"] = "10.0.0.5";
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err));
  EXPECT_NE(entry::RedisConfig(s).find("bind 10.0.0.5 127.0.0.1\n"), std::string::npos);
}

TEST(Entrypoint, ConsoleEnvironment) {
  entry::Settings s;
  std::string err;
  auto env = Base();
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err));
  auto e = entry::ConsoleEnv(s);
  auto has = [&](const std::string& v) { return std::find(e.begin(), e.end(), v) != e.end(); };
  EXPECT_TRUE(has("SUMA_REDIS=127.0.0.1:8090"));
  EXPECT_TRUE(has("SUMA_CONSOLE_LISTEN=0.0.0.0:10082"));
  EXPECT_TRUE(has("SUMA_CONSOLE_PASSWORD=pw"));
  env["SUMA_CONSOLE_PASSWORD"] = "other";
  env["SUMA_METRICS_TOKEN"] = "tok";
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err));
  e = entry::ConsoleEnv(s);
  EXPECT_TRUE(has("SUMA_CONSOLE_PASSWORD=other"));
  EXPECT_TRUE(has("SUMA_METRICS_TOKEN=tok"));
  EXPECT_TRUE(has("SUMA_REDIS_PASSWORD=pw"));
}
