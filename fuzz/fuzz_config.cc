// ApplyModuleArgs and SetTenant on arbitrary argument lists (split at NUL
// bytes). On error the config is untouched and the error is well formed; on
// success every numeric option is inside its documented range and the tenant,
// when set, is a valid unbraced group.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/names.h"
#include "fuzz_util.h"

namespace {

bool Same(const suma::Config& a, const suma::Config& b) {
  for (const auto& sp : suma::NumericSpecs())
    if (a.*(sp.field) != b.*(sp.field)) return false;
  return a.tenant == b.tenant;
}

void CheckRanges(const suma::Config& c) {
  for (const auto& sp : suma::NumericSpecs()) {
    FUZZ_CHECK(c.*(sp.field) >= sp.min && c.*(sp.field) <= sp.max);
    FUZZ_CHECK(sp.def >= sp.min && sp.def <= sp.max);
  }
  if (!c.tenant.empty()) {
    auto g = suma::ParseGroup(c.tenant, false);
    FUZZ_CHECK(g.ok() && !g->tagged && g->name == c.tenant);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = suma::fuzz::View(data, size);
  std::vector<std::string> args = suma::fuzz::SplitNul(in, 32);
  if (in.empty()) args.clear();

  suma::Config cfg;
  const suma::Config before = cfg;
  suma::Status s = suma::ApplyModuleArgs(args, &cfg);
  if (s.ok()) {
    CheckRanges(cfg);
    // Applying the same arguments again is idempotent.
    suma::Config again = cfg;
    FUZZ_CHECK(suma::ApplyModuleArgs(args, &again).ok() && Same(again, cfg));
  } else {
    // Load errors go to the log; they may quote the offending argument.
    FUZZ_CHECK(s.reply().rfind("ERR ", 0) == 0);
    FUZZ_CHECK(Same(cfg, before));
  }

  suma::Config t;
  t.tenant = "agent.zy_test";
  suma::Status ts = suma::SetTenant(in, &t);
  if (ts.ok()) {
    CheckRanges(t);
    FUZZ_CHECK(in.empty() ? t.tenant.empty() : !t.tenant.empty());
    // The tenant's own groups (plain and braced) pass the lock, others do not.
    if (!t.tenant.empty()) {
      auto own = suma::ParseGroup(t.tenant, false);
      auto braced = suma::ParseGroup("{" + t.tenant + "}_master", false);
      FUZZ_CHECK(own.ok() && t.CheckTenant(*own).ok());
      FUZZ_CHECK(braced.ok() && t.CheckTenant(*braced).ok());
      auto other = suma::ParseGroup(t.tenant.substr(0, suma::kMaxGroupLen - 1) + "x", false);
      if (other.ok() && other->name != t.tenant) FUZZ_CHECK(!t.CheckTenant(*other).ok());
    }
  } else {
    FUZZ_CHECK(t.tenant == "agent.zy_test");
  }
  return 0;
}
