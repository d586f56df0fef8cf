#include "logs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace entry {

RotatingFile::RotatingFile(std::string path, uint64_t max_bytes, int keep)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep < 1 ? 1 : keep) {
  Open();
}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) close(fd_);
}

void RotatingFile::Open() {
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  struct stat st {};
  size_ = fd_ >= 0 && fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  if (fd_ < 0) ok_ = false;
}

void RotatingFile::Rotate() {
  if (fd_ >= 0) close(fd_);
  for (int i = keep_ - 1; i >= 1; --i)
    std::rename((path_ + "." + std::to_string(i)).c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
  std::rename(path_.c_str(), (path_ + ".1").c_str());
  Open();
}

void RotatingFile::Write(const char* data, size_t n) {
  if (size_ > 0 && size_ + n > max_bytes_) Rotate();
  if (fd_ < 0) return;
  while (n > 0) {
    ssize_t w = write(fd_, data, n);
    if (w <= 0) {
      ok_ = false;
      return;
    }
    data += w;
    n -= static_cast<size_t>(w);
    size_ += static_cast<uint64_t>(w);
  }
}

}  // namespace entry
