// The fencing guard of write commands: a trailing IFEPOCH <epoch>, and the
// check behind it and suma_leader_check.
#pragma once

#include "module/common.h"

namespace suma::mod {

// Ok when epoch names the group's current, unexpired leadership.
Status CheckEpochGuard(rm::Ctx* ctx, const Group& g, int64_t epoch);

// Parses [IFEPOCH <epoch>] from argv[0..argc) and checks it against the
// group's current leadership. Ok when absent or current; FENCED otherwise.
Status CheckGuards(rm::Ctx* ctx, const Group& g, rm::Str** argv, int argc);

}  // namespace suma::mod
