// EventBuilder: arbitrary type, group, string fields, integers and raw JSON
// (fields split at NUL bytes). When every string is valid UTF-8 and every raw
// value passed ValidateJson, the event must be valid JSON per ValidateJson and
// a DOM parse must give back type, seq, ts, group and each string verbatim.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "core/json.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int64_t seq = 0, ts = 0;
  if (size >= 16) {
    std::memcpy(&seq, data, 8);
    std::memcpy(&ts, data + 8, 8);
    data += 16;
    size -= 16;
  }
  auto f = suma::fuzz::SplitNul(suma::fuzz::View(data, size), 17);
  while (f.size() < 2) f.emplace_back();
  bool valid = true;
  for (const auto& s : f) valid = valid && suma::IsUtf8(s);
  suma::EventBuilder b(f[0], seq, ts, f[1]);
  // Remaining fields in pairs: name, value. A value starting with '=' is added
  // as raw JSON when it validates, with '#' as an integer, else as a string.
  struct Added {
    std::string name, value;
  };
  std::vector<Added> strs;
  for (size_t i = 2; i + 1 < f.size(); i += 2) {
    const std::string& name = f[i];
    const std::string& value = f[i + 1];
    if (!value.empty() && value[0] == '=') {
      std::string_view raw = std::string_view(value).substr(1);
      if (suma::ValidateJson("raw", raw).ok()) b.Raw(name, raw);
    } else if (!value.empty() && value[0] == '#') {
      b.Int(name, value.size() % 2 ? seq : ts);
    } else {
      b.Str(name, value);
      strs.push_back({name, value});
    }
  }
  std::string ev = b.Build();
  FUZZ_CHECK(!ev.empty() && ev.front() == '{' && ev.back() == '}');
  if (!valid) return 0;
  FUZZ_CHECK(suma::ValidateJson("event", ev).ok());
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(ev.data(), ev.size());
  FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  // Duplicate names are legal JSON; FindMember returns the first, which is
  // the header's field for the four header names.
  auto str_is = [&](const char* name, const std::string& want) {
    if (!doc.HasMember(name) || !doc[name].IsString()) return false;
    const auto& v = doc[name];
    return std::string(v.GetString(), v.GetStringLength()) == want;
  };
  FUZZ_CHECK(str_is("type", f[0]));
  FUZZ_CHECK(str_is("group", f[1]));
  FUZZ_CHECK(doc.HasMember("seq") && doc["seq"].IsInt64() && doc["seq"].GetInt64() == seq);
  FUZZ_CHECK(doc.HasMember("ts") && doc["ts"].IsInt64() && doc["ts"].GetInt64() == ts);
  // Each string field appears with its exact value (search all members,
  // since names may repeat).
  for (const auto& a : strs) {
    bool found = false;
    for (const auto& m : doc.GetObject())
      found = found ||
              (std::string(m.name.GetString(), m.name.GetStringLength()) == a.name &&
               m.value.IsString() &&
               std::string(m.value.GetString(), m.value.GetStringLength()) == a.value);
    FUZZ_CHECK(found);
  }
  return 0;
}
