#include "module/epoch_guard.h"

#include "core/errors.h"
#include "core/numbers.h"
#include "module/group_state.h"

namespace suma::mod {

Status CheckEpochGuard(rm::Ctx* ctx, const Group& g, int64_t epoch) {
  int64_t now = NowMs();
  LeaderState st = LoadLeader(ctx, g);
  if (!EpochIsCurrent(st, epoch, now))
    return err::Fenced(epoch, st.Current(now).empty() ? 0 : st.epoch);
  return Status::Ok();
}

Status CheckGuards(rm::Ctx* ctx, const Group& g, rm::Str** argv, int argc) {
  if (argc == 0) return Status::Ok();
  if (argc != 2) return err::Syntax("expected IFEPOCH <epoch>");
  if (!EqualsIgnoreCase(Arg(argv[0]), "IFEPOCH")) return err::UnknownOption(Arg(argv[0]));
  auto epoch = ParseInt("epoch", Arg(argv[1]), 1, INT64_MAX);
  if (!epoch.ok()) return epoch.status();
  return CheckEpochGuard(ctx, g, *epoch);
}

}  // namespace suma::mod
