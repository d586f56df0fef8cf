// `/entrypoint health`: the image's HEALTHCHECK.
#pragma once

#include "settings.h"

namespace entry {

// 0 once redis-server answers on 127.0.0.1:resp_port (with the password) and
// MODULE LIST names sumavlib; 1 otherwise (still loading, not started,
// module missing), with one line on stdout saying which.
int HealthCheck(const Settings& s);

}  // namespace entry
