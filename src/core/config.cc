#include "core/config.h"

#include "core/errors.h"
#include "core/limits.h"
#include "core/numbers.h"

namespace suma {

const std::vector<NumericSpec>& NumericSpecs() {
  static const std::vector<NumericSpec> kSpecs = {
      {"host-ttl-ms", &Config::host_ttl_ms, 10000, kMinLeaseMs, kMaxLeaseMs},
      {"lease-ms", &Config::lease_ms, 10000, kMinLeaseMs, kMaxLeaseMs},
      {"max-hosts", &Config::max_hosts, 100000, 1, 100000000},
      {"event-log-len", &Config::event_log_len, 1000, 1, 10000000},
      {"max-payload", &Config::max_payload, 65536, 16, 64 << 20},
      {"max-tasks", &Config::max_tasks, 100000, 1, 100000000},
      {"task-lease-ms", &Config::task_lease_ms, 30000, kMinLeaseMs, kMaxLeaseMs},
      {"history-len", &Config::history_len, 10, 1, 1000},
      {"sweep-budget-us", &Config::sweep_budget_us, 1000, 50, 100000},
  };
  return kSpecs;
}

Status Config::CheckTenant(const Group& g) const {
  if (tenant.empty() || g.Bare() == tenant) return Status::Ok();
  return err::OtherTenant(g.name);
}

Status SetTenant(std::string_view v, Config* cfg) {
  if (v.empty()) {
    cfg->tenant.clear();
    return Status::Ok();
  }
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos || v.find(' ', sp + 1) != std::string_view::npos)
    return err::Syntax("tenant takes two values: <owner> <business>");
  if (sp == 0 || sp + 1 == v.size())
    return err::Syntax("tenant owner and business must be non-empty");
  std::string group = std::string(v.substr(0, sp)) + "_" + std::string(v.substr(sp + 1));
  auto parsed = ParseGroup(group, false);
  // Name the argument: "invalid group" alone would not say which one is wrong.
  if (!parsed.ok()) return err::Syntax("tenant: " + parsed.status().message());
  // The tenant must be the group itself: not braced, and not a name that
  // ParseGroup would shorten ("x mastermaster" is group x_master).
  if (parsed->tagged || parsed->name != group)
    return err::Syntax("tenant must be <owner> <business> of letters, digits and . _ -, not "
                       "ending in master or channel");
  cfg->tenant = parsed->name;
  return Status::Ok();
}

Status ApplyModuleArgs(const std::vector<std::string>& args, Config* cfg) {
  Config next = *cfg;
  for (size_t i = 0; i < args.size();) {
    const std::string& name = args[i];
    if (name == "tenant") {
      if (i + 2 >= args.size())
        return err::Syntax("tenant takes two values: <owner> <business>");
      Status s = SetTenant(args[i + 1] + " " + args[i + 2], &next);
      if (!s.ok()) return s;
      i += 3;
      continue;
    }
    const NumericSpec* spec = nullptr;
    for (const auto& sp : NumericSpecs())
      if (name == sp.name) spec = &sp;
    if (spec == nullptr) return err::UnknownOption(name);
    if (i + 1 >= args.size()) return err::Syntax(name + " needs a value");
    auto v = ParseInt(name, args[i + 1], spec->min, spec->max);
    if (!v.ok()) return v.status();
    next.*(spec->field) = *v;
    i += 2;
  }
  *cfg = next;
  return Status::Ok();
}

}  // namespace suma
