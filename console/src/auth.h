// Console login: one operator account, in-memory sessions behind a cookie.
//
// Contract: Login() checks user/password (constant time) and returns a fresh
// random session token, or "" on mismatch. After kMaxFailures failed logins
// within a minute every login is refused for the rest of that minute
// (Throttled() tells the caller), which bounds password guessing. Valid() says whether a token names
// a live session. Sessions die on Logout(), after ttl, or at restart. With no
// password configured (only allowed on loopback) every request is "logged in".
// The cookie is HttpOnly and SameSite=Strict, so page scripts cannot read it
// and other sites cannot ride on it; the Redis credentials never leave the
// console process.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace console {

inline constexpr const char* kSessionCookie = "suma_session";

class Sessions {
 public:
  Sessions(std::string user, std::string password, long long ttl_s, bool secure_cookie);

  bool enabled() const { return !password_.empty(); }
  const std::string& user() const { return user_; }
  static constexpr size_t kMaxFailures = 10;
  [[nodiscard]] std::string Login(const std::string& user, const std::string& password);
  bool Throttled();
  bool Valid(const std::string& token);
  void Logout(const std::string& token);
  // Set-Cookie header values.
  std::string Cookie(const std::string& token) const;
  std::string ClearCookie() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string user_, password_;
  std::chrono::seconds ttl_;
  bool secure_;
  std::mutex mu_;
  std::map<std::string, Clock::time_point> sessions_;  // token -> expiry
  std::deque<Clock::time_point> failures_;             // failed logins, last minute
};

// Value of cookie `name` in a Cookie header, or "".
std::string CookieValue(const std::string& header, const std::string& name);

// Compares in time independent of where the strings differ.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace console
