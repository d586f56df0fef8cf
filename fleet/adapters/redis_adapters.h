// hiredis adapters: the control server (records as diamond configs, events,
// registry) and the tenants' own servers (PING, INFO, CONFIG SET, register).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/control.h"

struct redisContext;
struct redisReply;

namespace fleet {

// One connection, re-made after any error; calls are serialized.
class RedisLink {
 public:
  RedisLink(std::string host, int port, std::string user, std::string password, int timeout_ms);
  ~RedisLink();
  // nullptr and *error on failure; the caller frees the reply.
  redisReply* Command(const std::vector<std::string>& argv, std::string* error);

 private:
  bool Connect(std::string* error);
  std::string host_, user_, password_;
  int port_, timeout_ms_;
  redisContext* c_ = nullptr;
  std::mutex mu_;
};

// Records live as diamond configs "tenant.<name>" in group suma.fleet_control:
// versioned, CAS-written (two fleets cannot overwrite each other), with history.
class RedisControl : public Control {
 public:
  RedisControl(const std::string& host, int port, const std::string& password);
  bool LoadAll(std::vector<Tenant>* out, std::string* error) override;
  bool Save(Tenant* t, bool* conflict, std::string* error) override;
  bool Remove(const std::string& name, std::string* error) override;
  bool Publish(const std::string& channel, const std::string& json, std::string* error) override;
  bool Register(const std::string& master_key, const std::string& vip, const std::string& meta_json,
                std::string* error) override;
  bool Unregister(const std::string& master_key, const std::string& vip, std::string* error) override;
  bool FleetSecret(const std::string& candidate, std::string* secret, std::string* error) override;
  bool Ping(std::string* error);

 private:
  RedisLink link_;
};

class RedisServers : public Servers {
 public:
  explicit RedisServers(std::string host) : host_(std::move(host)) {}
  bool Ping(int port, const std::string& admin_password) override;
  bool GetUsage(int port, const std::string& admin_password, Usage* out) override;
  bool SetMaxmemory(int port, const std::string& admin_password, int64_t bytes, std::string* error) override;
  bool Register(int port, const std::string& admin_password, const std::string& master_key,
                const std::string& vip, const std::string& meta_json, std::string* error) override;
  bool Unregister(int port, const std::string& admin_password, const std::string& master_key,
                  const std::string& vip, std::string* error) override;
  // Binds the port on bind_address with SO_REUSEADDR, as redis-server does.
  bool PortInUse(int port) override;
  std::string bind_address = "127.0.0.1";

 private:
  std::string host_;
};

inline constexpr const char* kControlGroup = "suma.fleet_control";
inline constexpr const char* kAdminUser = "suma-fleet";
inline constexpr const char* kSecretKey = "suma-fleet:secret";  // a plain string key, not a group's

}  // namespace fleet
