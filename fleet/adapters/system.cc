#include "adapters/system.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace fleet {
namespace {

std::string Hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string RandomHex(size_t bytes) {
  unsigned char b[64];
  if (bytes > sizeof b || RAND_bytes(b, static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return Hex(b, bytes);
}

std::string Sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return Hex(md, n);
}

}  // namespace

int64_t SystemClock::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SystemClock::SleepMs(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

std::string OpenSslSecrets::NewPassword() { return RandomHex(24); }

std::string OpenSslSecrets::Hash(const std::string& password) {
  std::string salt = RandomHex(16);
  return "sha256:" + salt + ":" + Sha256(salt + password);
}

std::string OpenSslSecrets::Sha256Hex(const std::string& data) { return Sha256(data); }

std::string OpenSslSecrets::Hmac(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &n);
  return Hex(md, n);
}

bool VerifyPassword(const std::string& password, const std::string& hash) {
  auto a = hash.find(':'), b = hash.rfind(':');
  if (a == std::string::npos || a == b || hash.substr(0, a) != "sha256") return false;
  std::string salt = hash.substr(a + 1, b - a - 1);
  return Sha256(salt + password) == hash.substr(b + 1);
}

}  // namespace fleet
