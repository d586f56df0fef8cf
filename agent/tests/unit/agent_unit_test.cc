// Unit tests of the agent's pure parts: configuration, file names, endpoints,
// the /status document.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/config_dir.h"
#include "agent/health.h"
#include "suma/client.h"

namespace suma::agent {
namespace {

// A temp directory removed at the end of the test.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/suma-agent-unit-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
  operator std::string() const { return path; }
  std::string path;
};

LoadResult Load(std::vector<std::string> args, std::map<std::string, std::string> env) {
  std::vector<char*> argv{const_cast<char*>("suma-agent")};
  for (auto& a : args) argv.push_back(a.data());
  return LoadConfig(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(Endpoint, ParsesHostPortAndBracketedV6) {
  EXPECT_EQ(ParseEndpoint("127.0.0.1:6379")->port, 6379);
  EXPECT_EQ(ParseEndpoint("[::1]:7000")->host, "::1");
  EXPECT_FALSE(ParseEndpoint("::1:7000"));
  EXPECT_FALSE(ParseEndpoint("host"));
  EXPECT_FALSE(ParseEndpoint("host:0"));
  EXPECT_FALSE(ParseEndpoint("host:70000"));
  EXPECT_FALSE(ParseEndpoint("host:12a"));
}

TEST(FileName, KeepsSafeKeysAndEncodesTheRest) {
  EXPECT_EQ(FileNameOf("app.conf"), "app.conf");
  EXPECT_EQ(FileNameOf("../x"), "%2E.%2Fx");
  EXPECT_EQ(FileNameOf(".hidden"), "%2Ehidden");
  EXPECT_EQ(FileNameOf("a b/c"), "a%20b%2Fc");
  std::string long_key(400, 'k');
  std::string name = FileNameOf(long_key);
  EXPECT_LE(name.size(), 200u);
  EXPECT_NE(name, FileNameOf(long_key + "x"));
}

TEST(ConfigDir, SavesAndLoadsPositionAndVersions) {
  TempDir dir;
  ConfigDir d(dir);
  std::string err;
  EXPECT_FALSE(d.Load(&err));
  ASSERT_TRUE(d.Write("a.b", "v", 3, &err)) << err;
  ASSERT_TRUE(d.Save(42, 1700000000000, &err)) << err;
  ConfigDir e(dir);
  ASSERT_TRUE(e.Load(&err));
  EXPECT_EQ(e.seq(), 42);
  EXPECT_EQ(e.ts(), 1700000000000);
  EXPECT_EQ(e.version("a.b"), 3);
  EXPECT_TRUE(e.Holds("a.b", "v"));
  ASSERT_TRUE(e.Remove("a.b", 4, &err));
  EXPECT_FALSE(e.Holds("a.b", "v"));
  EXPECT_EQ(e.version("a.b"), 4);
}

TEST(Config, SeedVariablesGiveGroupAndVip) {
  TempDir dir;
  auto r = Load({"--config-dir", dir, "--health-listen", "off"},
                {{"LOCAL_IP", "10.0.0.7"}, {"APOLLO_PORT", "9001"}, {"APOLLO_OWNER_ID", "agent.zy"},
                 {"APOLLO_BUINESS_ID", "test"}, {"SUMA_REDIS", "127.0.0.1:6379"}});
  ASSERT_EQ(r.kind, LoadResult::Kind::Run) << r.error;
  EXPECT_EQ(r.config.group, "agent.zy_test");
  EXPECT_EQ(r.config.vip, "10.0.0.7:9001");
  EXPECT_EQ(r.config.client.channel, "agent.zy_test_channel");
  EXPECT_EQ(r.config.renew_interval_ms(), 3333);
}

TEST(Config, FlagsBeatEnvironmentBeatsFile) {
  TempDir dir;
  std::string file = dir.path + "/agent.conf";
  std::ofstream(file) << "# c\ngroup = from.file\nvip = f:1\nredis = h:1\nlease-ms = 5000\n";
  auto r = Load({"--config", file, "--config-dir", dir, "--health-listen", "off", "--vip", "flag:1"},
                {{"SUMA_GROUP", "from.env"}, {"SUMA_VIP", "env:1"}});
  ASSERT_EQ(r.kind, LoadResult::Kind::Run) << r.error;
  EXPECT_EQ(r.config.group, "from.env");
  EXPECT_EQ(r.config.vip, "flag:1");
  EXPECT_EQ(r.config.lease_ms, 5000);
  EXPECT_EQ(r.config.client.server->str(), "h:1");
}

TEST(Config, SentinelListIsParsed) {
  TempDir dir;
  auto r = Load({"--group", "g", "--vip", "v:1", "--config-dir", dir, "--health-listen", "off",
                 "--sentinels", "a:1, b:2,c:3", "--sentinel-master", "m"},
                {});
  ASSERT_EQ(r.kind, LoadResult::Kind::Run) << r.error;
  ASSERT_EQ(r.config.client.sentinels.size(), 3u);
  EXPECT_EQ(r.config.client.sentinels[1].str(), "b:2");
  EXPECT_FALSE(r.config.client.server);
}

TEST(Config, HelpNamesEveryEnvironmentVariable) {
  std::string h = HelpText();
  for (const char* v : {"SUMA_REDIS", "SUMA_PASSWORD", "SUMA_SENTINELS", "SUMA_SENTINEL_MASTER",
                        "LOCAL_IP", "APOLLO_OWNER_ID", "APOLLO_BUINESS_ID", "APOLLO_PORT"})
    EXPECT_NE(h.find(v), std::string::npos) << v;
  EXPECT_EQ(Load({"--help"}, {}).kind, LoadResult::Kind::Help);
}

TEST(Health, StatusJsonIsValidJsonWhateverTheStrings) {
  HealthSnapshot s;
  s.group = "agent.zy_test";
  s.vip = "10.0.0.7:9001";
  s.server = std::string("a\"b\\c\nd\x01<\xff", 10);
  s.connected = true;
  s.leader = true;
  s.epoch = 7;
  s.applied_seq = 42;
  std::string json = HealthServer::StatusJson(s);
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  ASSERT_FALSE(d.HasParseError()) << json;
  EXPECT_EQ(std::string(d["server"].GetString()), "a\"b\\c\nd\x01<\xEF\xBF\xBD");
  EXPECT_TRUE(d["drained"].IsNull());
  EXPECT_EQ(d["epoch"].GetInt64(), 7);
  EXPECT_EQ(d["applied_seq"].GetInt64(), 42);
  s.drained = false;
  json = HealthServer::StatusJson(s);
  d.Parse(json.data(), json.size());
  EXPECT_TRUE(d["drained"].IsFalse());
}

}  // namespace
}  // namespace suma::agent
