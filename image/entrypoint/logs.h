// Log files under a mounted log directory (the seed's /home/admin/logs).
#pragma once

#include <cstdint>
#include <string>

namespace entry {

// Appends to path, rotating by size like logrotate's "size" + "rotate keep":
// when a write would take the file past max_bytes, path.(keep-1) .. path.1
// move up one, path becomes path.1 and a new path starts. At most keep + 1
// files (path, path.1 .. path.keep), each at most max_bytes unless one write
// alone is larger. Errors are remembered (ok() false) and never thrown: a full
// log disk must not stop the server.
class RotatingFile {
 public:
  RotatingFile(std::string path, uint64_t max_bytes, int keep);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  void Write(const char* data, size_t n);
  bool ok() const { return ok_; }

 private:
  void Open();
  void Rotate();

  std::string path_;
  uint64_t max_bytes_;
  int keep_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool ok_ = true;
};

}  // namespace entry
