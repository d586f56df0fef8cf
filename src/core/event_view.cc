#include "core/event_view.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace suma {

std::optional<EventView> EventView::Parse(std::string_view json) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  auto seq = d.FindMember("seq");
  if (seq == d.MemberEnd() || !seq->value.IsInt64()) return std::nullopt;
  EventView ev;
  for (auto& m : d.GetObject()) {
    Field f;
    if (m.value.IsString()) f.str.emplace(m.value.GetString(), m.value.GetStringLength());
    if (m.value.IsInt64()) f.num = m.value.GetInt64();
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    m.value.Accept(w);
    f.raw.assign(buf.GetString(), buf.GetSize());
    // A repeated name keeps its first value, as RapidJSON's FindMember does.
    ev.fields_.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), std::move(f));
  }
  return ev;
}

std::string EventView::Str(std::string_view name) const {
  return OptStr(name).value_or(std::string());
}

std::optional<std::string> EventView::OptStr(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? std::nullopt : it->second.str;
}

int64_t EventView::Int(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? 0 : it->second.num.value_or(0);
}

std::string EventView::Raw(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? std::string() : it->second.raw;
}

}  // namespace suma
