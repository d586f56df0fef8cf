// Validation limits shared by the module, the agent and the console. One copy:
// docs/commands.md documents these numbers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace suma {

inline constexpr size_t kMaxGroupLen = 128;
inline constexpr size_t kMaxVipLen = 256;
inline constexpr size_t kMaxConfigKeyLen = 512;
inline constexpr size_t kMaxPatternLen = 256;

// Leases (leader, task claims) and the host TTL, in ms.
inline constexpr int64_t kMinLeaseMs = 100;
inline constexpr int64_t kMaxLeaseMs = 86400000;
// The latest absolute lease end a stored lease may name (2^53 ms: exact as a
// double, and far beyond any clock).
inline constexpr int64_t kMaxLeaseUntilMs = int64_t{1} << 53;

}  // namespace suma
