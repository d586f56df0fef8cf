// Redis Cluster: is a group's slot served by this node right now?
//
// A command names its group (e.g. "{g}_master") as its key, and no key of that
// name exists. So while a slot is MIGRATING, Redis answers every command on
// its groups with ASK before our code runs, and the target runs them (with
// ASKING) on whatever part of the group's keys has arrived. The rule that
// keeps state whole: a group is served only by the node that owns its slot
// outright. The target answers TRYAGAIN until the migration is over, and the
// sweep leaves a slot alone while it migrates in either direction.
//
// How: a probe runs EXISTS of a key of the slot that never exists through a
// context of our own (no ASKING): Redis's own routing then fails it when the
// slot is importing here (MOVED) or migrating away (ASK). A probe that passed
// is trusted for the rest of a 100 ms generation; keys of the slot being
// deleted or restored (MIGRATE does both) end that trust at once.
#pragma once

#include "core/names.h"
#include "module/common.h"

namespace suma::mod {

// Call once from OnLoad.
void InitSlots(rm::Ctx* ctx);

// For commands: Ok when the group may run here, TRYAGAIN while its slot moves.
// Always Ok outside cluster mode and on replicas (they serve reads only).
Status CheckGroupServed(rm::Ctx* ctx, const Group& g);

// For the sweep: true when this primary owns g's slot and it is not migrating.
bool GroupServedForSweep(const Group& g);

// Ends the trust in a slot's last probe (keys of it were deleted or restored).
void SlotTouched(std::string_view key);

// Starts a new generation every 100 ms; the sweep timer calls it.
void SlotsTick(int64_t now_ms);

}  // namespace suma::mod
