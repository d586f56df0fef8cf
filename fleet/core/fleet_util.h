// Small helpers shared by the Fleet's source files (internal).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/tenant.h"

namespace fleet::detail {

// A JSON string body (without quotes): quotes and backslashes escaped, control bytes dropped.
inline std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    o += c;
  }
  return o;
}

// The registry meta of a member: {role, port, memory_mb, cpus}.
inline std::string MemberMeta(const Tenant& t, const Member& m) {
  char cpus[32];
  std::snprintf(cpus, sizeof cpus, "%g", t.spec.cpus);
  return "{\"role\":\"" + m.Role() + "\",\"port\":" + std::to_string(m.port) +
         ",\"memory_mb\":" + std::to_string(t.spec.memory_mb) + ",\"cpus\":" + cpus + "}";
}

inline int64_t NanoCpus(double cpus) { return static_cast<int64_t>(std::llround(cpus * 1e9)); }
inline int64_t Bytes(int mb) { return static_cast<int64_t>(mb) * 1024 * 1024; }

}  // namespace fleet::detail
