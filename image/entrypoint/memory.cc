#include "memory.h"

#include <fstream>

namespace entry {
namespace {

std::optional<uint64_t> ReadNumber(const std::string& path) {
  std::ifstream f(path);
  std::string v;
  if (!(f >> v) || v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(v);
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<uint64_t> CgroupMemoryLimit(const std::string& root) {
  // cgroup v1 reports "no limit" as LONG_MAX rounded down to a page.
  constexpr uint64_t kUnlimited = uint64_t{1} << 62;
  for (const char* file : {"/memory.max", "/memory/memory.limit_in_bytes"}) {
    auto v = ReadNumber(root + file);
    if (v) return *v >= kUnlimited || *v == 0 ? std::nullopt : v;
  }
  return std::nullopt;
}

uint64_t MaxMemoryFor(uint64_t limit_bytes) { return limit_bytes / 4 * 3; }

}  // namespace entry
