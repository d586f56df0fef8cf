// Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its hash tag (the
// text between the first '{' and the next '}', when that is non-empty), mod 16384.
// Shared by the module (is this group's slot served here?) and the clients
// (which node to ask).
#pragma once

#include <cstdint>
#include <string_view>

namespace suma {

inline constexpr int kClusterSlots = 16384;

uint16_t Crc16(std::string_view data);
int KeySlot(std::string_view key);

}  // namespace suma
