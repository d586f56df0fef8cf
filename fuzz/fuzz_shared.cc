// The rules the agent and the console share with the module, on arbitrary
// bytes: AppendJsonStringSafe always yields one valid JSON string with no '<'
// (and gives back valid UTF-8 input unchanged), EventView::Parse agrees with
// a DOM parse on every event it accepts, and the name and loopback checks
// never crash and agree with ParseGroup.
#include <cstddef>
#include <cstdint>
#include <string>

#include <rapidjson/document.h>

#include "core/event_view.h"
#include "core/group_name.h"
#include "core/json.h"
#include "core/json_text.h"
#include "core/names.h"
#include "core/net.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = suma::fuzz::View(data, size);

  std::string lit;
  suma::AppendJsonStringSafe(lit, in);
  FUZZ_CHECK(suma::ValidateJson("literal", lit).ok());
  FUZZ_CHECK(lit.find('<') == std::string::npos);
  rapidjson::Document s;
  s.Parse(lit.data(), lit.size());
  FUZZ_CHECK(!s.HasParseError() && s.IsString());
  if (suma::IsUtf8(in))
    FUZZ_CHECK(std::string_view(s.GetString(), s.GetStringLength()) == in);

  if (auto ev = suma::EventView::Parse(in)) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseIterativeFlag>(in.data(), in.size());
    FUZZ_CHECK(!d.HasParseError() && d.IsObject() && d.HasMember("seq") && d["seq"].IsInt64());
    FUZZ_CHECK(ev->seq() == d["seq"].GetInt64());
    if (d.HasMember("type") && d["type"].IsString())
      FUZZ_CHECK(ev->type() == std::string(d["type"].GetString(), d["type"].GetStringLength()));
  }

  // A name the shared check accepts is a group ParseGroup accepts (it may
  // shorten a trailing master/channel); a rejected one is rejected by both.
  auto parsed = suma::ParseGroup(in, false);
  if (suma::IsGroupName(in)) {
    bool strips = in.size() >= 6 && (in.substr(in.size() - 6) == "master" ||
                                      (in.size() >= 7 && in.substr(in.size() - 7) == "channel"));
    FUZZ_CHECK(parsed.ok() || strips);
  }
  (void)suma::IsLoopbackHost(in);
  (void)suma::IsVip(in);
  return 0;
}
