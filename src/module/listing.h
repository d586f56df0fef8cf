// Non-blocking listings across groups (diamond_list, vip_server_list).
//
// Items of kind K live in keys "<group>:<K>:<item>" (one key per config key or
// registered server), so a listing is a bounded SCAN of the keyspace: each call
// examines at most kScanBudget keys and returns at most COUNT items, unordered.
// Arguments: <pattern> [GROUP <group>] [CURSOR <cursor>] [COUNT <n>]
//   without CURSOR: a flat array of items (the seed's form, COUNT default 100);
//   with CURSOR:    [next_cursor, [items...]], next_cursor "0" when done.
// Keys the caller's ACL user may not read are skipped, so a tenant's user
// never sees another tenant's items.
#pragma once

#include <functional>
#include <string_view>

#include "module/common.h"

namespace suma::mod {

// Decides whether an item found under `key` is listed (e.g. skip tombstones).
using ItemFilter = std::function<bool(rm::Ctx*, const std::string& key)>;

int ReplyListing(rm::Ctx* ctx, rm::Str** argv, int argc, std::string_view kind,
                 const ItemFilter& keep);

}  // namespace suma::mod
