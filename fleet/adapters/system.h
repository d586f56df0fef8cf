// The real clock and secrets (OpenSSL's RAND_bytes and SHA-256).
#pragma once

#include "core/control.h"

namespace fleet {

class SystemClock : public Clock {
 public:
  int64_t NowMs() override;
  void SleepMs(int64_t ms) override;
};

class OpenSslSecrets : public Secrets {
 public:
  // 24 random bytes as 48 hex digits.
  std::string NewPassword() override;
  // "sha256:<16-byte salt hex>:<sha256(salt || password) hex>".
  std::string Hash(const std::string& password) override;
  std::string Sha256Hex(const std::string& data) override;
  std::string Hmac(const std::string& key, const std::string& data) override;
};

// True when password matches a Hash() result.
bool VerifyPassword(const std::string& password, const std::string& hash);

}  // namespace fleet
