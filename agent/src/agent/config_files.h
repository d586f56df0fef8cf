// The group's configs as files (ConfigDir) plus the reload hook: a change is
// reported to the hook only after its file was written or removed.
//
// Contract: Apply/Delete return false (after logging why) when the file could
// not be written or removed; the recorded version is then unchanged, so the
// caller must not count the change as applied.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "agent/config.h"
#include "agent/config_dir.h"
#include "agent/hooks.h"

namespace suma::agent {

class ConfigFiles {
 public:
  ConfigFiles(const Config& cfg, HookQueue& hooks) : cfg_(cfg), dir_(cfg.config_dir), hooks_(hooks) {}

  // Loads .suma-state; false when there is none (first start).
  [[nodiscard]] bool Load();
  // Persists the position and the versions. A failure is logged and not
  // fatal: the next save writes everything again, and a restart from the
  // older position replays events the recorded versions make harmless.
  void Save(int64_t seq, int64_t ts);

  // Writes key's file; quiet: record the version without a reload (the file
  // already held the value).
  [[nodiscard]] bool Apply(const std::string& key, const std::string& value, int64_t version,
                           bool quiet);
  [[nodiscard]] bool Delete(const std::string& key, int64_t version);

  bool Holds(const std::string& key, const std::string& value) const { return dir_.Holds(key, value); }
  bool Exists(const std::string& key) const;
  int64_t version(const std::string& key) const { return dir_.version(key); }
  const std::map<std::string, int64_t>& versions() const { return dir_.versions(); }
  void ForgetVersions() { dir_.ForgetVersions(); }
  int64_t saved_seq() const { return dir_.seq(); }
  int64_t saved_ts() const { return dir_.ts(); }

 private:
  void RunHook(const std::string& key, int64_t version, bool deleted);

  const Config& cfg_;
  ConfigDir dir_;
  HookQueue& hooks_;
};

}  // namespace suma::agent
