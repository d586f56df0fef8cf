// JSON: validating client payloads and encoding group events (RapidJSON).
//
// Event format (docs/events.md): one JSON object per change,
//   {"type":"online","seq":42,"ts":1732540000000,"group":"agent.zy_test","vip":"10.0.0.7:9001"}
// type, seq (per group, only grows), ts (ms, primary's clock) and group come
// first; the fields the change names follow. A message's payload is embedded
// verbatim under "data".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_text.h"
#include "core/status.h"

namespace suma {

// Ok when text is exactly one JSON value (surrounding whitespace allowed) in
// valid UTF-8. Parsing is iterative, so nesting depth cannot exhaust the stack.
Status ValidateJson(std::string_view what, std::string_view text);

// True when text is valid UTF-8 (so it can be embedded as a JSON string).
bool IsUtf8(std::string_view text);

class EventBuilder {
 public:
  EventBuilder(std::string_view type, int64_t seq, int64_t ts_ms, std::string_view group);
  EventBuilder& Str(std::string_view name, std::string_view value);
  EventBuilder& Int(std::string_view name, int64_t value);
  // value must already be valid JSON (see ValidateJson).
  EventBuilder& Raw(std::string_view name, std::string_view json);
  // The seq can be set after the fields: the module allocates it only once
  // every other write of the command succeeded.
  void set_seq(int64_t seq) { seq_ = seq; }
  std::string Build() const;

 private:
  void Name(std::string_view name);
  std::string type_;  // the type as a JSON string
  int64_t seq_;
  std::string out_;   // "ts", "group" and the change's fields, without braces
};

}  // namespace suma
