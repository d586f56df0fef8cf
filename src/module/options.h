// Trailing guard options shared by write commands: IFEPOCH <epoch>.
#pragma once

#include "module/common.h"

namespace suma::mod {

// Parses [IFEPOCH <epoch>] from argv[0..argc) and checks it against the
// group's current leadership. Ok when absent or current; FENCED otherwise.
Status CheckGuards(rm::Ctx* ctx, const Group& g, rm::Str** argv, int argc);

}  // namespace suma::mod
