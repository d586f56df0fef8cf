// ParseGroup, ValidateVip, ValidateConfigKey, ValidatePattern on arbitrary bytes.
// Checks each against an independent statement of the naming rules
// (docs/commands.md "Naming a group") and the shape of every error.
#include <cstddef>
#include <cstdint>

#include "core/errors.h"
#include "core/names.h"
#include "fuzz_util.h"

namespace {

using suma::fuzz::WellFormedError;

bool GroupChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}
bool Sep(char c) { return c == '_' || c == '.' || c == ':' || c == '-'; }

// The documented rule: strip a trailing "master" or "channel", then one
// separator if it precedes it. The rest is the group, braces around the whole.
std::string ExpectedGroup(std::string_view a) {
  std::string g(a);
  for (const char* suffix : {"master", "channel"}) {
    std::string_view s(suffix);
    if (g.size() >= s.size() && g.compare(g.size() - s.size(), s.size(), s) == 0) {
      g.resize(g.size() - s.size());
      if (!g.empty() && Sep(g.back())) g.pop_back();
      break;
    }
  }
  return g;
}

bool ValidInner(std::string_view s) {
  if (s.empty() || s.size() > suma::kMaxGroupLen) return false;
  for (char c : s)
    if (!GroupChar(c)) return false;
  return true;
}

bool ValidToken(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (c <= ' ' || c >= 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = suma::fuzz::View(data, size);
  for (bool cluster : {false, true}) {
    auto r = suma::ParseGroup(in, cluster);
    std::string want = ExpectedGroup(in);
    bool tagged = want.size() >= 2 && want.front() == '{' && want.back() == '}';
    std::string_view inner = tagged ? std::string_view(want).substr(1, want.size() - 2)
                                    : std::string_view(want);
    bool expect_ok = ValidInner(inner) && (!cluster || tagged);
    FUZZ_CHECK(r.ok() == expect_ok);
    if (r.ok()) {
      const suma::Group& g = *r;
      FUZZ_CHECK(g.name == want);
      FUZZ_CHECK(g.tagged == tagged);
      FUZZ_CHECK(g.Bare() == inner);
      // Internal keys and the channel keep the group as their prefix, and the
      // group cannot contain ':' so "<group>:" never belongs to another group.
      FUZZ_CHECK(g.Key("hosts") == want + ":hosts");
      FUZZ_CHECK(g.Channel() == want + "_channel");
      FUZZ_CHECK(want.find(':') == std::string::npos);
      // Resolving the group's own channel or master key gives the same group.
      auto again = suma::ParseGroup(g.Channel(), cluster);
      FUZZ_CHECK(again.ok() && again->name == g.name);
      again = suma::ParseGroup(g.name + "_master", cluster);
      FUZZ_CHECK(again.ok() && again->name == g.name);
    } else {
      FUZZ_CHECK(WellFormedError(r.status()));
      FUZZ_CHECK(r.status().reply().rfind("ERR invalid group", 0) == 0);
    }
  }
  auto vip = suma::ValidateVip(in);
  FUZZ_CHECK(vip.ok() == ValidToken(in, suma::kMaxVipLen));
  FUZZ_CHECK(vip.ok() || WellFormedError(vip));
  auto key = suma::ValidateConfigKey(in);
  FUZZ_CHECK(key.ok() == ValidToken(in, suma::kMaxConfigKeyLen));
  FUZZ_CHECK(key.ok() || WellFormedError(key));
  auto pat = suma::ValidatePattern(in);
  FUZZ_CHECK(pat.ok() == (!in.empty() && in.size() <= suma::kMaxPatternLen));
  FUZZ_CHECK(pat.ok() || WellFormedError(pat));
  // Errors that quote a client's token stay one short printable line: no NUL
  // (RedisModule_ReplyWithError takes a C string), no CR/LF.
  for (const suma::Status& e : {suma::err::UnknownOption(in),
                                suma::err::UnknownSubcommand("suma_ci_task", in)}) {
    FUZZ_CHECK(WellFormedError(e));
    FUZZ_CHECK(e.reply().find('\0') == std::string::npos);
    FUZZ_CHECK(e.reply().size() < 400);  // 64 bytes quoted, 4 per byte at most
    for (char c : e.reply()) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  }
  return 0;
}
