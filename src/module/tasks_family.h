// What the tasks family offers the other families and the sweep: requeueing
// the claims of a host that left, and of claims whose lease ran out.
#pragma once

#include <string_view>

#include "core/names.h"
#include "module/txn.h"

namespace suma::mod {

// Requeues every task claimed by vip (tasks family). Does nothing when a task
// key holds the wrong type (see CheckTaskKeyTypes).
void RequeueClaimsOf(Txn& txn, const Group& g, std::string_view vip, int64_t now);

// Requeues claims whose lease has run out (the sweep, and every CLAIM), with a
// "task" event action "requeue" reason "lease". Cheap when nothing is claimed.
void RequeueLapsedClaims(Txn& txn, const Group& g, int64_t now);

// Ok when the group's task keys are empty or of their types (tasks family);
// commands that may requeue claims check it before their first write.
Status CheckTaskKeyTypes(rm::Ctx* ctx, const Group& g);

}  // namespace suma::mod
