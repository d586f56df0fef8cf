#include "core/json.h"

#include <rapidjson/encodings.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include "core/errors.h"

namespace suma {

Status ValidateJson(std::string_view what, std::string_view text) {
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> sink;
  rapidjson::MemoryStream ms(text.data(), text.size());
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult r = reader.Parse<kFlags>(ms, sink);
  if (!r) return err::InvalidJson(what, rapidjson::GetParseError_En(r.Code()));
  // kParseStopWhenDoneFlag stops after the first value; anything but trailing
  // whitespace after it makes the payload more than one value.
  for (size_t i = ms.Tell(); i < text.size(); ++i) {
    char c = text[i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return err::InvalidJson(what, "unexpected data after the value");
  }
  return Status::Ok();
}

bool IsUtf8(std::string_view text) {
  rapidjson::MemoryStream ms(text.data(), text.size());
  while (ms.Tell() < text.size()) {
    unsigned cp;
    if (!rapidjson::UTF8<>::Decode(ms, &cp)) return false;
  }
  return true;
}

EventBuilder::EventBuilder(std::string_view type, int64_t seq, int64_t ts_ms,
                           std::string_view group)
    : seq_(seq) {
  AppendJsonString(type_, type);
  out_.reserve(128);
  Int("ts", ts_ms);
  Str("group", group);
}

void EventBuilder::Name(std::string_view name) {
  if (!out_.empty()) out_.push_back(',');
  AppendJsonString(out_, name);
  out_.push_back(':');
}

EventBuilder& EventBuilder::Str(std::string_view name, std::string_view value) {
  Name(name);
  AppendJsonString(out_, value);
  return *this;
}

EventBuilder& EventBuilder::Int(std::string_view name, int64_t value) {
  Name(name);
  out_.append(std::to_string(value));
  return *this;
}

EventBuilder& EventBuilder::Raw(std::string_view name, std::string_view json) {
  Name(name);
  out_.append(json);
  return *this;
}

std::string EventBuilder::Build() const {
  std::string e;
  e.reserve(out_.size() + type_.size() + 40);
  e.append("{\"type\":").append(type_).append(",\"seq\":").append(std::to_string(seq_));
  e.append(",").append(out_).push_back('}');
  return e;
}

}  // namespace suma
