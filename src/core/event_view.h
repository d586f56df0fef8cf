// Reading one group event (format: json.h and docs/events.md) with RapidJSON,
// for the agent's catch-up and the console's feed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace suma {

class EventView {
 public:
  // The event in json: a JSON object with an integer "seq". nullopt for
  // anything else (not JSON, another publisher's message on the channel).
  // A name given twice keeps its first value.
  static std::optional<EventView> Parse(std::string_view json);

  int64_t seq() const { return Int("seq"); }
  int64_t ts() const { return Int("ts"); }
  std::string type() const { return Str("type"); }

  // A string field; "" when absent or not a string.
  std::string Str(std::string_view name) const;
  // A string field; nullopt when absent or not a string.
  std::optional<std::string> OptStr(std::string_view name) const;
  // An integer field; 0 when absent or not an integer.
  int64_t Int(std::string_view name) const;
  // Any field as JSON text (a string field with its quotes); "" when absent.
  std::string Raw(std::string_view name) const;

 private:
  struct Field {
    std::optional<std::string> str;
    std::optional<int64_t> num;
    std::string raw;
  };
  std::map<std::string, Field, std::less<>> fields_;
};

}  // namespace suma
