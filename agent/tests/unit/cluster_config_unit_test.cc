// suma-agent's cluster options (SUMA_CLUSTER).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "agent/config.h"

namespace suma::agent {
namespace {

LoadResult Load(std::vector<std::string> args, std::map<std::string, std::string> env) {
  static std::string dir = [] {
    char tmpl[] = "/tmp/suma-agent-cluster-unit-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  args.insert(args.end(), {"--config-dir", dir, "--health-listen", "off"});
  std::vector<char*> argv{const_cast<char*>("suma-agent")};
  for (auto& a : args) argv.push_back(a.data());
  return LoadConfig(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(ClusterConfig, SeedsParsedAndKeyIsTheMasterKey) {
  auto r = Load({"--vip", "v:1"}, {{"SUMA_CLUSTER", "a:1, b:2,[::1]:3"},
                                   {"APOLLO_OWNER_ID", "agent.zy"}, {"APOLLO_BUINESS_ID", "t"}});
  ASSERT_EQ(r.kind, LoadResult::Kind::Run) << r.error;
  EXPECT_EQ(r.config.group, "{agent.zy_t}");  // seed variables get the hash tag
  ASSERT_EQ(r.config.client.cluster.size(), 3u);
  EXPECT_EQ(r.config.client.cluster[2].host, "::1");
  EXPECT_EQ(r.config.client.cluster_key, "{agent.zy_t}_master");
  EXPECT_EQ(r.config.client.channel, "{agent.zy_t}_channel");
  EXPECT_FALSE(r.config.client.server);
}

TEST(ClusterConfig, UnbracedGroupRefused) {
  auto r = Load({"--vip", "v:1", "--group", "g", "--cluster", "a:1"}, {});
  ASSERT_EQ(r.kind, LoadResult::Kind::Invalid);
  EXPECT_EQ(r.error, "group 'g' must be in hash-tag form on Redis Cluster, e.g. {g}");
}

TEST(ClusterConfig, OneServerModeOnly) {
  auto r = Load({"--vip", "v:1", "--group", "{g}", "--cluster", "a:1", "--redis", "b:2"}, {});
  ASSERT_EQ(r.kind, LoadResult::Kind::Invalid);
  EXPECT_EQ(r.error, "set one of redis, sentinels or cluster, not several");
  r = Load({"--vip", "v:1", "--group", "{g}", "--cluster", "a:1,nope"}, {});
  ASSERT_EQ(r.kind, LoadResult::Kind::Invalid);
  EXPECT_EQ(r.error, "cluster entry 'nope' is not host:port");
}

}  // namespace
}  // namespace suma::agent
