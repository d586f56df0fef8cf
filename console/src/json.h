// Minimal JSON output for the console's API (the browser's side parses it).
//
// Contract: Str() always produces a valid JSON string literal, whatever bytes
// it is given: invalid UTF-8 becomes U+FFFD, so a config value holding binary
// data cannot break the page. Raw() embeds text that is already JSON (event
// objects as the module wrote them).
#pragma once

#include <string>
#include <string_view>

namespace console {

void AppendJsonString(std::string& out, std::string_view s);

class Json {
 public:
  Json& BeginObject() { Sep(); out_ += '{'; first_ = true; return *this; }
  Json& EndObject() { out_ += '}'; first_ = false; return *this; }
  Json& BeginArray() { Sep(); out_ += '['; first_ = true; return *this; }
  Json& EndArray() { out_ += ']'; first_ = false; return *this; }
  Json& Key(std::string_view k) {
    Sep();
    AppendJsonString(out_, k);
    out_ += ':';
    first_ = true;  // the value follows without a comma
    return *this;
  }
  Json& Str(std::string_view v) { Sep(); AppendJsonString(out_, v); return *this; }
  Json& Int(long long v) { Sep(); out_ += std::to_string(v); return *this; }
  Json& Bool(bool v) { Sep(); out_ += v ? "true" : "false"; return *this; }
  Json& Null() { Sep(); out_ += "null"; return *this; }
  Json& Raw(std::string_view json) { Sep(); out_ += json; return *this; }
  const std::string& str() const { return out_; }

 private:
  void Sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

}  // namespace console
