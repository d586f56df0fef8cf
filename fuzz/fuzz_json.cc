// ValidateJson and IsUtf8 on arbitrary bytes. What ValidateJson accepts must be
// one JSON value in valid UTF-8 that a full DOM parse also accepts, and it must
// stay valid once embedded in an event (EventBuilder::Raw), as messages,
// register meta and tasks are. Deep nesting must not exhaust the stack.
#include <cstddef>
#include <cstdint>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "core/json.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = suma::fuzz::View(data, size);
  suma::Status s = suma::ValidateJson("payload", in);
  bool utf8 = suma::IsUtf8(in);
  if (!s.ok()) {
    FUZZ_CHECK(suma::fuzz::WellFormedError(s));
    FUZZ_CHECK(s.reply().rfind("ERR invalid payload: not valid JSON (", 0) == 0);
    return 0;
  }
  FUZZ_CHECK(utf8);
  // An independent full parse (iterative, so depth is no concern) agrees.
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(in.data(),
                                                                                    in.size());
  FUZZ_CHECK(!doc.HasParseError());
  std::string ev = suma::EventBuilder("message", 1, 2, "agent.zy_test").Raw("data", in).Build();
  FUZZ_CHECK(suma::ValidateJson("event", ev).ok());
  return 0;
}
