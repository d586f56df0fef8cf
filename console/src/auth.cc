#include "auth.h"

#include <cstdio>
#include <fstream>
#include <random>

namespace console {
namespace {

std::string RandomToken() {
  unsigned char buf[32];
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(buf), sizeof(buf))) {
    std::random_device rd;  // getrandom(2) on glibc; used when /dev is absent
    for (auto& b : buf) b = static_cast<unsigned char>(rd());
  }
  std::string out;
  char hex[3];
  for (unsigned char b : buf) {
    std::snprintf(hex, sizeof(hex), "%02x", b);
    out += hex;
  }
  return out;
}

}  // namespace

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

std::string CookieValue(const std::string& header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    size_t s = part.find_first_not_of(' ');
    if (s != std::string::npos) part = part.substr(s);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

Sessions::Sessions(std::string user, std::string password, long long ttl_s, bool secure_cookie)
    : user_(std::move(user)), password_(std::move(password)), ttl_(ttl_s), secure_(secure_cookie) {}

bool Sessions::Throttled() {
  std::lock_guard<std::mutex> lock(mu_);
  auto cutoff = Clock::now() - std::chrono::minutes(1);
  while (!failures_.empty() && failures_.front() < cutoff) failures_.pop_front();
  return failures_.size() >= kMaxFailures;
}

std::string Sessions::Login(const std::string& user, const std::string& password) {
  if (!enabled() || Throttled()) return "";
  // Both comparisons always run, so timing does not tell which one failed.
  bool ok = ConstantTimeEquals(user, user_);
  ok = ConstantTimeEquals(password, password_) && ok;
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  if (!ok) {
    failures_.push_back(now);
    return "";
  }
  std::string token = RandomToken();
  for (auto it = sessions_.begin(); it != sessions_.end();)
    it = it->second < now ? sessions_.erase(it) : std::next(it);
  sessions_[token] = now + ttl_;
  return token;
}

bool Sessions::Valid(const std::string& token) {
  if (!enabled()) return true;
  if (token.empty()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return false;
  if (it->second < Clock::now()) {
    sessions_.erase(it);
    return false;
  }
  return true;
}

void Sessions::Logout(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(token);
}

std::string Sessions::Cookie(const std::string& token) const {
  return std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(ttl_.count()) + (secure_ ? "; Secure" : "");
}

std::string Sessions::ClearCookie() const {
  return std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
         (secure_ ? "; Secure" : "");
}

}  // namespace console
