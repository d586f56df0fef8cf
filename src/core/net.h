// Address rules shared by the console and the image's entrypoint.
#pragma once

#include <string_view>

namespace suma {

// True when host names this machine's loopback only: "localhost", an IPv4
// address in 127.0.0.0/8, ::1, or ::ffff:127.x.y.z (brackets allowed around
// IPv6). Anything else, including host names that merely start with "127.",
// is not loopback.
bool IsLoopbackHost(std::string_view host);

}  // namespace suma
