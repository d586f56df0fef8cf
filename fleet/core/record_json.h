// Tenant <-> JSON: the stored record (everything, secrets hashed) and the API
// view of docs/fleet.md (no secrets at all).
#pragma once

#include <string>

#include "core/tenant.h"

namespace fleet {

std::string RecordJson(const Tenant& t);
bool ParseRecord(const std::string& json, Tenant* t, std::string* error);

// The API's Tenant object; `advertise` is the host in the connection string.
std::string ApiJson(const Tenant& t, const std::string& advertise);
std::string ConnectionString(const Tenant& t, const std::string& advertise);

}  // namespace fleet
