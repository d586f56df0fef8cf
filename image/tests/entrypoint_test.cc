// The entrypoint's logic without a container: memory limit -> maxmemory, log
// rotation, and the variables issue 11 added (the older ones are covered in
// console/tests/unit_test.cc).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "logs.h"
#include "memory.h"
#include "settings.h"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/suma-entry-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

void Put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string Read(const fs::path& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

entry::Env Base() {
  return {{"SUMA_PASSWORD", "pw"}, {"APOLLO_OWNER_ID", "agent.zy"}, {"APOLLO_BUINESS_ID", "test"},
          {"SUMA_LOG_DIR", "/nonexistent-logs"}};
}

}  // namespace

TEST(Memory, CgroupV2AndV1Limits) {
  TempDir v2;
  Put(v2.path / "memory.max", "268435456\n");
  EXPECT_EQ(entry::CgroupMemoryLimit(v2.path.string()), 268435456u);
  Put(v2.path / "memory.max", "max\n");
  EXPECT_EQ(entry::CgroupMemoryLimit(v2.path.string()), std::nullopt);

  TempDir v1;
  Put(v1.path / "memory" / "memory.limit_in_bytes", "134217728\n");
  EXPECT_EQ(entry::CgroupMemoryLimit(v1.path.string()), 134217728u);
  Put(v1.path / "memory" / "memory.limit_in_bytes", "9223372036854771712\n");
  EXPECT_EQ(entry::CgroupMemoryLimit(v1.path.string()), std::nullopt);

  TempDir none;
  EXPECT_EQ(entry::CgroupMemoryLimit(none.path.string()), std::nullopt);
}

TEST(Memory, ThreeQuartersOfTheLimit) {
  EXPECT_EQ(entry::MaxMemoryFor(256u << 20), 192u << 20);
  EXPECT_EQ(entry::MaxMemoryFor(64u << 20), 48u << 20);
}

TEST(Settings, MaxmemoryAndPolicyInTheConfig) {
  entry::Settings s;
  std::string err;
  ASSERT_TRUE(entry::LoadSettings(Base(), {}, &s, &err)) << err;
  std::string conf = entry::RedisConfig(s);
  EXPECT_EQ(conf.find("\nmaxmemory "), std::string::npos);
  EXPECT_NE(conf.find("maxmemory-policy noeviction\n"), std::string::npos);
  auto env = Base();
  env["SUMA_MAXMEMORY"] = "512mb";
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  EXPECT_NE(entry::RedisConfig(s).find("maxmemory 512mb\n"), std::string::npos);
  env["SUMA_MAXMEMORY"] = "lots";
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  EXPECT_NE(err.find("SUMA_MAXMEMORY"), std::string::npos);
}

TEST(Settings, InvalidSeedVariablesAreNamed) {
  entry::Settings s;
  std::string err;
  auto env = Base();
  env["LOCAL_IP"] = "10.0.0.300";
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  EXPECT_NE(err.find("LOCAL_IP"), std::string::npos) << err;
  env["LOCAL_IP"] = "10.0.0.7";
  EXPECT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  env["LOCAL_IP"] = "redis-1.example";
  EXPECT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  env["APOLLO_PORT"] = "70000";
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  EXPECT_NE(err.find("APOLLO_PORT"), std::string::npos) << err;
  env["APOLLO_PORT"] = "8090";
  env["SUMA_LOG_FILES"] = "0";
  EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err));
  EXPECT_NE(err.find("SUMA_LOG_FILES"), std::string::npos) << err;
}

TEST(Settings, UidAndConsoleThreads) {
  entry::Settings s;
  std::string err;
  auto env = Base();
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  EXPECT_EQ(s.uid, 10001u);
  EXPECT_TRUE(s.console_threads.empty());
  env["SUMA_UID"] = "116000";
  env["SUMA_CONSOLE_THREADS"] = "4";
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  EXPECT_EQ(s.uid, 116000u);
  auto console = entry::ConsoleEnv(s);
  EXPECT_NE(std::find(console.begin(), console.end(), "SUMA_CONSOLE_THREADS=4"), console.end());
  for (const char* bad : {"0", "-1", "root", "4294967295"}) {
    env["SUMA_UID"] = bad;
    EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err)) << bad;
    EXPECT_NE(err.find("SUMA_UID"), std::string::npos) << err;
  }
  env["SUMA_UID"] = "10001";
  for (const char* bad : {"1", "257", "x"}) {
    env["SUMA_CONSOLE_THREADS"] = bad;
    EXPECT_FALSE(entry::LoadSettings(env, {}, &s, &err)) << bad;
    EXPECT_NE(err.find("SUMA_CONSOLE_THREADS"), std::string::npos) << err;
  }
}

TEST(Settings, LogDirectoryOnlyWhenItExists) {
  TempDir logs;
  entry::Settings s;
  std::string err;
  auto env = Base();
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  EXPECT_EQ(s.log_dir, "");
  env["SUMA_LOG_DIR"] = logs.path.string();
  env["SUMA_LOG_MAX_BYTES"] = "4096";
  env["SUMA_LOG_FILES"] = "2";
  ASSERT_TRUE(entry::LoadSettings(env, {}, &s, &err)) << err;
  EXPECT_EQ(s.log_dir, logs.path.string());
  EXPECT_EQ(s.log_max_bytes, 4096u);
  EXPECT_EQ(s.log_files, 2);
}

TEST(Logs, RotatesBySizeAndKeepsAtMostN) {
  TempDir d;
  fs::path p = d.path / "redis.log";
  {
    entry::RotatingFile f(p.string(), 100, 2);
    std::string line(40, 'a');
    line.back() = '\n';
    for (int i = 0; i < 10; ++i) f.Write(line.data(), line.size());
    EXPECT_TRUE(f.ok());
  }
  EXPECT_TRUE(fs::exists(p));
  EXPECT_TRUE(fs::exists(d.path / "redis.log.1"));
  EXPECT_TRUE(fs::exists(d.path / "redis.log.2"));
  EXPECT_FALSE(fs::exists(d.path / "redis.log.3"));
  for (auto name : {"redis.log", "redis.log.1", "redis.log.2"}) EXPECT_LE(fs::file_size(d.path / name), 100u);
  // 10 writes of 40 bytes, 2 per file: the newest file holds the last two.
  EXPECT_EQ(fs::file_size(p), 80u);
}

TEST(Logs, AppendsToAnExistingFile) {
  TempDir d;
  fs::path p = d.path / "console.log";
  Put(p, "old\n");
  {
    entry::RotatingFile f(p.string(), 1000, 1);
    f.Write("new\n", 4);
  }
  EXPECT_EQ(Read(p), "old\nnew\n");
}
