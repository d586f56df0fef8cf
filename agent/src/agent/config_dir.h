// The config directory: one file per diamond key of the group, plus
// .suma-state holding the last applied event (seq and ts) and each key's
// version.
//
// Contract: every file is replaced atomically (write a temp file, fsync it,
// rename it over the target, fsync the directory), so a reader sees the old
// or the new value, never a mix. File names are the key with every byte
// outside [A-Za-z0-9._-] (and a leading '.') percent-encoded; keys whose
// encoding is too long for a file name get a truncated name plus a hash.
// Names starting with '.' are the agent's own.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace suma::agent {

class ConfigDir {
 public:
  explicit ConfigDir(std::string dir) : dir_(std::move(dir)) {}

  // Loads .suma-state; false when there is none (first start).
  [[nodiscard]] bool Load(std::string* error);
  // Persists the position (seq and ts of the last applied event) and the key
  // versions, atomically.
  [[nodiscard]] bool Save(int64_t seq, int64_t ts, std::string* error);

  // Writes value as key's file and records its version.
  [[nodiscard]] bool Write(const std::string& key, const std::string& value, int64_t version,
             std::string* error);
  // Removes key's file and records the delete's version.
  [[nodiscard]] bool Remove(const std::string& key, int64_t version, std::string* error);
  // True when key's file holds exactly value.
  bool Holds(const std::string& key, const std::string& value) const;

  int64_t version(const std::string& key) const;
  int64_t seq() const { return seq_; }
  int64_t ts() const { return ts_; }
  const std::map<std::string, int64_t>& versions() const { return versions_; }
  void ForgetVersions() { versions_.clear(); }
  std::string PathOf(const std::string& key) const;

 private:
  bool AtomicWrite(const std::string& path, const std::string& data, std::string* error);

  std::string dir_;
  int64_t seq_ = 0;
  int64_t ts_ = 0;
  std::map<std::string, int64_t> versions_;  // a deleted key keeps its delete version
};

std::string FileNameOf(const std::string& key);

}  // namespace suma::agent
