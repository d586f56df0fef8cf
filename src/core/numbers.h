// Strict integer parsing for command arguments: optional '-', decimal digits,
// nothing else (no spaces, no '+', no trailing bytes), within [min, max].
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace suma {

Result<int64_t> ParseInt(std::string_view what, std::string_view text, int64_t min, int64_t max);

// A sorted-set score as an integer, for scores anyone may have written with
// ZADD (inf, 1e308): truncated toward zero, saturated at INT64_MIN and
// INT64_MAX (nan, which ZADD refuses, as INT64_MIN). Casting such a double
// directly is undefined behaviour.
int64_t ScoreToInt(double score);

// True, with *out set, when score is an integer that int64_t holds exactly.
bool ScoreIsInt(double score, int64_t* out);

}  // namespace suma
