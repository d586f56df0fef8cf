// Fencing values: leader epochs, event seqs, config versions and task ids.
//
// None of these may ever be granted twice: not across restarts, failovers,
// slot migrations, nor after an operator deleted, rewrote or restored the key
// that holds the last one. The keyspace cannot be trusted to remember, so the
// clock backs it up: TimeFloor(t) = t * 1024 is above every value granted
// before t, provided (1) a series grants fewer than 1024 values per ms on
// average over its life (every grant is a command or an eviction; a Redis
// server runs a few hundred of those per ms at most), and (2) the clocks of a
// primary and the replica that replaces it agree to within the failover time.
// At today's clock TimeFloor is about 1.8e15, below 2^53, so the values stay
// exact in JSON and JavaScript until the year 2248.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace suma {

int64_t TimeFloor(int64_t now_ms);

// Epochs, config versions and task ids: max(last + 1, TimeFloor(now),
// granted_high + 1), where granted_high is the largest such value this process
// granted lately in any series (one far above the clock, which only a
// hand-written counter can cause, is ignored, so it stays in its own group).
// They only grow, and they jump whenever time has passed, so a deleted,
// rewritten or restored counter can never make them repeat; granted_high
// covers several grants within one ms. Error when last is at or above 2^53
// (written by hand): no larger value would be exact in JSON.
Result<int64_t> NextFenced(std::string_view what, int64_t last, int64_t now_ms,
                           int64_t granted_high);

// Event seqs are contiguous while a series lasts, because consumers detect a
// trimmed log by a gap. `last` is the group's seq counter, absent when the
// group is new or its counter was lost (deleted, evicted, unreadable).
// restart_floor is TimeFloor of the moment this server started, loaded its data
// or was promoted: events granted by a previous incarnation (whose tail may
// never have been persisted or replicated) are all below it, so the first event
// of every group after a restart jumps above them, and consumers resync.
// A series that starts again begins above anything this process granted
// (granted_high, any group) and above TimeFloor(now).
Result<int64_t> NextSeq(std::optional<int64_t> last, int64_t now_ms, int64_t restart_floor,
                        int64_t granted_high);

}  // namespace suma
