// Reading the group's event JSON (format: src/core/json.h of the module).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>

namespace suma::agent {

// Events read per suma_events call.
inline constexpr int kEventBatch = 1000;

// The event's seq, or -1 when json is not an event.
inline int64_t EventSeq(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("seq") || !d["seq"].IsInt64()) return -1;
  return d["seq"].GetInt64();
}

// The event's ts (ms), or 0.
inline int64_t EventTs(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("ts") || !d["ts"].IsInt64()) return 0;
  return d["ts"].GetInt64();
}

}  // namespace suma::agent
