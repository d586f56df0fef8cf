#include "agent/config_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace suma::agent {
namespace {

constexpr size_t kMaxName = 200;  // below NAME_MAX (255) with room for temp suffixes
const char* kStateFile = ".suma-state";

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string FileNameOf(const std::string& key) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    bool plain = std::isalnum(c) || c == '_' || c == '-' || (c == '.' && i > 0);
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (out.size() <= kMaxName) return out;
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the whole key
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  std::ostringstream s;
  s << out.substr(0, kMaxName - 17) << '~' << std::hex << h;
  return s.str();
}

std::string ConfigDir::PathOf(const std::string& key) const { return dir_ + "/" + FileNameOf(key); }

int64_t ConfigDir::version(const std::string& key) const {
  auto it = versions_.find(key);
  return it == versions_.end() ? 0 : it->second;
}

bool ConfigDir::AtomicWrite(const std::string& path, const std::string& data, std::string* error) {
  std::string tmp = dir_ + "/.tmp." + std::to_string(getpid()) + "." +
                    path.substr(path.rfind('/') + 1).substr(0, 40);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return *error = Errno("open " + tmp), false;
  bool ok = WriteAll(fd, data) && fsync(fd) == 0;
  if (!ok) *error = Errno("write " + tmp);
  close(fd);
  if (ok && rename(tmp.c_str(), path.c_str()) != 0) {
    *error = Errno("rename " + tmp);
    ok = false;
  }
  if (!ok) {
    unlink(tmp.c_str());
    return false;
  }
  // The rename itself is durable only once the directory is synced.
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

bool ConfigDir::Load(std::string* error) {
  std::ifstream in(dir_ + "/" + kStateFile);
  if (!in) return false;
  std::string word;
  while (in >> word) {
    if (word == "seq") {
      in >> seq_;
    } else if (word == "ts") {
      in >> ts_;
    } else if (word == "key") {
      std::string key;
      int64_t v = 0;
      in >> key >> v;
      versions_[key] = v;
    }
  }
  return true;
}

bool ConfigDir::Save(int64_t seq, int64_t ts, std::string* error) {
  std::string s = "seq " + std::to_string(seq) + "\nts " + std::to_string(ts) + "\n";
  // Keys are printable ASCII without spaces, so one per line needs no escaping.
  for (auto& [k, v] : versions_) s += "key " + k + " " + std::to_string(v) + "\n";
  if (!AtomicWrite(dir_ + "/" + kStateFile, s, error)) return false;
  seq_ = seq;
  ts_ = ts;
  return true;
}

bool ConfigDir::Write(const std::string& key, const std::string& value, int64_t version,
                      std::string* error) {
  if (!AtomicWrite(PathOf(key), value, error)) return false;
  versions_[key] = version;
  return true;
}

bool ConfigDir::Remove(const std::string& key, int64_t version, std::string* error) {
  if (unlink(PathOf(key).c_str()) != 0 && errno != ENOENT) {
    *error = Errno("unlink " + PathOf(key));
    return false;
  }
  versions_[key] = version;
  return true;
}

bool ConfigDir::Holds(const std::string& key, const std::string& value) const {
  std::ifstream in(PathOf(key), std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str() == value;
}

}  // namespace suma::agent
