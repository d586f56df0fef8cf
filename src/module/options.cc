#include "module/options.h"

#include "core/errors.h"
#include "core/numbers.h"
#include "module/group_state.h"

namespace suma::mod {

Status CheckGuards(rm::Ctx* ctx, const Group& g, rm::Str** argv, int argc) {
  if (argc == 0) return Status::Ok();
  if (argc != 2) return err::Syntax("expected IFEPOCH <epoch>");
  if (!EqualsIgnoreCase(Arg(argv[0]), "IFEPOCH")) return err::UnknownOption(Arg(argv[0]));
  auto epoch = ParseInt("epoch", Arg(argv[1]), 1, INT64_MAX);
  if (!epoch.ok()) return epoch.status();
  return CheckEpochGuard(ctx, g, *epoch);
}

}  // namespace suma::mod
