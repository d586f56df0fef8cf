// Strict integer parsing for command arguments: optional '-', decimal digits,
// nothing else (no spaces, no '+', no trailing bytes), within [min, max].
#pragma once

#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace suma {

Result<int64_t> ParseInt(std::string_view what, std::string_view text, int64_t min, int64_t max);

}  // namespace suma
