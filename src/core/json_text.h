// Writing JSON text: the one escaping rule (RapidJSON's writer) for the
// module's events, the console's API and the agent's /status.
#pragma once

#include <string>
#include <string_view>

namespace suma {

// Appends s to out as a JSON string literal with escapes; s must be UTF-8.
void AppendJsonString(std::string& out, std::string_view s);

// Appends any bytes as a JSON string literal that is always valid JSON:
// each byte that does not start a valid UTF-8 sequence becomes U+FFFD, and
// '<' is written \u003c so the text is also safe inside HTML. For values a
// client may have filled with binary data.
void AppendJsonStringSafe(std::string& out, std::string_view s);

// A small streaming writer: places commas and colons, escapes with
// AppendJsonStringSafe. Raw() embeds text that is already JSON.
class JsonWriter {
 public:
  JsonWriter& BeginObject() { Sep(); out_ += '{'; first_ = true; return *this; }
  JsonWriter& EndObject() { out_ += '}'; first_ = false; return *this; }
  JsonWriter& BeginArray() { Sep(); out_ += '['; first_ = true; return *this; }
  JsonWriter& EndArray() { out_ += ']'; first_ = false; return *this; }
  JsonWriter& Key(std::string_view k) {
    Sep();
    AppendJsonStringSafe(out_, k);
    out_ += ':';
    first_ = true;  // the value follows without a comma
    return *this;
  }
  JsonWriter& Str(std::string_view v) { Sep(); AppendJsonStringSafe(out_, v); return *this; }
  JsonWriter& Int(long long v) { Sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& Bool(bool v) { Sep(); out_ += v ? "true" : "false"; return *this; }
  JsonWriter& Null() { Sep(); out_ += "null"; return *this; }
  JsonWriter& Raw(std::string_view json) { Sep(); out_ += json; return *this; }
  const std::string& str() const { return out_; }

 private:
  void Sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

}  // namespace suma
