// Where the fleet keeps its records and announces what it does: a sumavlib
// control server (adapters/control_redis.cc), or memory in the unit tests.
//
// Contract: Save is compare-and-set on Tenant::version (0: must not exist) and
// sets the new version; a mismatch returns false with *conflict set. Errors
// (server unreachable) return false with *error.
#pragma once

#include <string>
#include <vector>

#include "core/tenant.h"

namespace fleet {

class Control {
 public:
  virtual ~Control() = default;
  virtual bool LoadAll(std::vector<Tenant>* out, std::string* error) = 0;
  virtual bool Save(Tenant* t, bool* conflict, std::string* error) = 0;
  virtual bool Remove(const std::string& name, std::string* error) = 0;
  // An event on the tenant's channel (suma_message_publish).
  virtual bool Publish(const std::string& channel, const std::string& json, std::string* error) = 0;
  // The tenant's servers in the control server's registry (suma_vip_register).
  virtual bool Register(const std::string& master_key, const std::string& vip, const std::string& meta_json,
                        std::string* error) = 0;
  virtual bool Unregister(const std::string& master_key, const std::string& vip, std::string* error) = 0;
  // The fleet's secret, made once (random) and kept on the control server,
  // outside the records: it never appears in a record, its history or an event.
  virtual bool FleetSecret(const std::string& candidate, std::string* secret, std::string* error) = 0;
};

// The tenant's own servers, reached on their host port as the fleet's ACL user.
class Servers {
 public:
  virtual ~Servers() = default;
  virtual bool Ping(int port, const std::string& admin_password) = 0;
  virtual bool GetUsage(int port, const std::string& admin_password, Usage* out) = 0;
  virtual bool SetMaxmemory(int port, const std::string& admin_password, int64_t bytes, std::string* error) = 0;
  // suma_vip_register on the tenant's own server, so its applications find it.
  virtual bool Register(int port, const std::string& admin_password, const std::string& master_key,
                        const std::string& vip, const std::string& meta_json, std::string* error) = 0;
  virtual bool Unregister(int port, const std::string& admin_password, const std::string& master_key,
                          const std::string& vip, std::string* error) = 0;
  // True when another socket on this host holds the port (a listener, or an
  // outgoing connection that the kernel gave it as its ephemeral port), so a
  // tenant's server started there could not bind it.
  virtual bool PortInUse(int port) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() = 0;
  virtual void SleepMs(int64_t ms) = 0;
};

// Secrets: random passwords and their salted hashes (adapters/crypto.cc).
class Secrets {
 public:
  virtual ~Secrets() = default;
  virtual std::string NewPassword() = 0;
  virtual std::string Hash(const std::string& password) = 0;  // salted, for the record
  virtual std::string Sha256Hex(const std::string& password) = 0;  // Redis ACL's #<hash>
  virtual std::string Hmac(const std::string& key, const std::string& data) = 0;  // HMAC-SHA256, hex
};

}  // namespace fleet
