#include "agent/config_files.h"

#include <unistd.h>

#include "agent/log.h"

namespace suma::agent {

bool ConfigFiles::Load() {
  std::string err;
  return dir_.Load(&err);
}

void ConfigFiles::Save(int64_t seq, int64_t ts) {
  std::string err;
  if (!dir_.Save(seq, ts, &err)) Log(Level::Error, "state.save_failed").Kv("error", err);
}

bool ConfigFiles::Exists(const std::string& key) const {
  return access(dir_.PathOf(key).c_str(), F_OK) == 0;
}

bool ConfigFiles::Apply(const std::string& key, const std::string& value, int64_t version,
                        bool quiet) {
  std::string err;
  if (!dir_.Write(key, value, version, &err)) {
    Log(Level::Error, "config.write_failed").Kv("key", key).Kv("error", err);
    return false;
  }
  if (quiet) return true;
  Log(Level::Info, "config.updated").Kv("key", key).Kv("version", static_cast<long long>(version));
  RunHook(key, version, false);
  return true;
}

bool ConfigFiles::Delete(const std::string& key, int64_t version) {
  std::string err;
  if (!dir_.Remove(key, version, &err)) {
    Log(Level::Error, "config.delete_failed").Kv("key", key).Kv("error", err);
    return false;
  }
  Log(Level::Info, "config.deleted").Kv("key", key).Kv("version", static_cast<long long>(version));
  RunHook(key, version, true);
  return true;
}

void ConfigFiles::RunHook(const std::string& key, int64_t version, bool deleted) {
  if (cfg_.on_config.empty()) return;
  auto env = HookEnv(cfg_, "config");
  env["SUMA_KEY"] = key;
  env["SUMA_VERSION"] = std::to_string(version);
  env["SUMA_FILE"] = dir_.PathOf(key);
  env["SUMA_DELETED"] = std::to_string(deleted ? 1 : 0);
  hooks_.Run({cfg_.on_config, env, "", nullptr});
}

}  // namespace suma::agent
