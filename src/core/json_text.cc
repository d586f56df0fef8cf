#include "core/json_text.h"

#include <rapidjson/encodings.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace suma {
namespace {

// Length of the valid UTF-8 sequence at the start of s, 0 when there is none.
size_t Utf8SequenceLen(std::string_view s) {
  rapidjson::MemoryStream ms(s.data(), s.size());
  unsigned cp;
  return rapidjson::UTF8<>::Decode(ms, &cp) ? ms.Tell() : 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  out.append(buf.GetString(), buf.GetSize());
}

void AppendJsonStringSafe(std::string& out, std::string_view s) {
  std::string clean;
  clean.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLen(s.substr(i));
    if (n == 0) {
      clean += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      clean.append(s.substr(i, n));
      i += n;
    }
  }
  std::string literal;
  AppendJsonString(literal, clean);
  // Inside a string literal '<' is only ever the character itself.
  for (char c : literal) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
}

}  // namespace suma
