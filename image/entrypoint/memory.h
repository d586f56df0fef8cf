// The container's memory limit, and the maxmemory the image gives Redis under it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace entry {

// The memory limit of this process's cgroup (v2 memory.max, else v1
// memory/memory.limit_in_bytes) under cgroup_root; nullopt when there is none
// ("max", or v1's "unlimited" value near 2^63) or it cannot be read.
std::optional<uint64_t> CgroupMemoryLimit(const std::string& cgroup_root = "/sys/fs/cgroup");

// maxmemory for a container limited to limit_bytes: three quarters of it.
// Why 3/4: the limit covers the whole container, and beyond Redis's
// used_memory it must hold allocator fragmentation, client and replication
// buffers, the copy-on-write pages of a BGREWRITEAOF/BGSAVE fork and
// suma-console (a few MB). The policy is always noeviction (RedisConfig): a
// full server refuses writes with OOM instead of evicting a lease, an epoch
// or a queued task, so no coordination state ever silently disappears.
uint64_t MaxMemoryFor(uint64_t limit_bytes);

}  // namespace entry
