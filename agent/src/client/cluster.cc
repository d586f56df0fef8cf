#include "suma/cluster.h"

#include "core/keyslot.h"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace suma {
namespace {

constexpr int kSlots = kClusterSlots;


bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 [::1]:6381"
bool ParseTarget(const std::string& text, Redirect* r) {
  size_t a = text.find(' ');
  size_t b = a == std::string::npos ? a : text.find(' ', a + 1);
  if (b == std::string::npos) return false;
  std::string slot = text.substr(a + 1, b - a - 1);
  std::string addr = text.substr(b + 1);
  size_t colon = addr.rfind(':');
  if (slot.empty() || colon == std::string::npos || colon + 1 >= addr.size()) return false;
  char* end = nullptr;
  long s = std::strtol(slot.c_str(), &end, 10);
  if (*end || s < 0 || s >= kSlots) return false;
  long port = std::strtol(addr.c_str() + colon + 1, &end, 10);
  if (*end || port < 1 || port > 65535) return false;
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  r->slot = static_cast<int>(s);
  r->host = host;
  r->port = static_cast<int>(port);
  return true;
}

}  // namespace

Redirect ParseRedirect(const Reply& r) {
  Redirect out;
  if (!r.is_error()) return out;
  if (StartsWith(r.str, "MOVED ")) {
    if (ParseTarget(r.str, &out)) out.kind = Redirect::Kind::Moved;
  } else if (StartsWith(r.str, "ASK ")) {
    if (ParseTarget(r.str, &out)) out.kind = Redirect::Kind::Ask;
  } else if (StartsWith(r.str, "TRYAGAIN")) {
    out.kind = Redirect::Kind::TryAgain;
  } else if (StartsWith(r.str, "CLUSTERDOWN")) {
    out.kind = Redirect::Kind::ClusterDown;
  }
  return out;
}

bool SlotMap::Load(const Reply& reply, const std::string& asked_host) {
  if (!reply.is_array()) return false;
  std::vector<Range> next;
  for (const Reply& e : reply.elements) {
    if (!e.is_array() || e.elements.size() < 3 || !e.elements[0].is_int() ||
        !e.elements[1].is_int() || !e.elements[2].is_array() ||
        e.elements[2].elements.size() < 2 || !e.elements[2].elements[1].is_int())
      return false;
    long long first = e.elements[0].integer, last = e.elements[1].integer;
    long long port = e.elements[2].elements[1].integer;
    if (first < 0 || last >= kSlots || first > last || port < 1 || port > 65535) return false;
    std::string host = e.elements[2].elements[0].str;
    if (host.empty() || host == "?") host = asked_host;
    next.push_back({static_cast<int>(first), static_cast<int>(last), host, static_cast<int>(port)});
  }
  std::sort(next.begin(), next.end(), [](const Range& a, const Range& b) { return a.first < b.first; });
  for (size_t i = 1; i < next.size(); ++i)
    if (next[i].first <= next[i - 1].last) return false;
  if (next.empty()) return false;
  ranges_ = std::move(next);
  return true;
}

std::optional<std::pair<std::string, int>> SlotMap::Owner(int slot) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), slot,
                             [](int s, const Range& r) { return s < r.first; });
  if (it == ranges_.begin()) return std::nullopt;
  --it;
  if (slot > it->last) return std::nullopt;
  return std::make_pair(it->host, it->port);
}

std::vector<std::pair<std::string, int>> SlotMap::Primaries() const {
  std::vector<std::pair<std::string, int>> out;
  for (const Range& r : ranges_) {
    auto p = std::make_pair(r.host, r.port);
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

// Splits the range holding slot so that slot alone points at the new owner.
void SlotMap::Move(int slot, const std::string& host, int port) {
  std::vector<Range> next;
  for (const Range& r : ranges_) {
    if (slot < r.first || slot > r.last) {
      next.push_back(r);
      continue;
    }
    if (r.first < slot) next.push_back({r.first, slot - 1, r.host, r.port});
    if (slot < r.last) next.push_back({slot + 1, r.last, r.host, r.port});
  }
  next.push_back({slot, slot, host, port});
  std::sort(next.begin(), next.end(), [](const Range& a, const Range& b) { return a.first < b.first; });
  ranges_ = std::move(next);
}

}  // namespace suma
