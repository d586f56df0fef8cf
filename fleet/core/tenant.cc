#include "core/tenant.h"

#include <algorithm>
#include <cctype>

#include "core/names.h"

namespace fleet {

const char* StateName(State s) {
  switch (s) {
    case State::kCreating: return "creating";
    case State::kRunning: return "running";
    case State::kChanging: return "changing";
    case State::kDeleting: return "deleting";
    case State::kFailed: return "failed";
    case State::kDeleted: return "deleted";
  }
  return "failed";
}

std::optional<State> ParseState(const std::string& s) {
  for (State st : {State::kCreating, State::kRunning, State::kChanging, State::kDeleting,
                   State::kFailed, State::kDeleted})
    if (s == StateName(st)) return st;
  return std::nullopt;
}

namespace {
std::optional<Error> Part(const std::string& what, const std::string& v) {
  if (v.empty()) return err::InvalidName(what, v, "empty");
  if (v.size() > 60) return err::InvalidName(what, v, "longer than 60 bytes");
  for (unsigned char c : v)
    if (!std::isalnum(c) && c != '.' && c != '-')
      return err::InvalidName(what, v, "only letters, digits, '.' and '-' are allowed");
  if (!std::isalnum(static_cast<unsigned char>(v.front())))
    return err::InvalidName(what, v, "must start with a letter or digit");
  return std::nullopt;
}
}  // namespace

std::optional<Error> ValidateName(const std::string& owner, const std::string& business) {
  if (auto e = Part("owner", owner)) return e;
  if (auto e = Part("business", business)) return e;
  std::string name = owner + "_" + business;
  auto g = suma::ParseGroup(name, false);
  if (!g.ok() || g->name != name)
    return err::InvalidName("tenant", name, "not a sumavlib group name (a business may not end in "
                                            "'master' or 'channel')");
  return std::nullopt;
}

std::optional<Error> ValidateSpec(const Spec& s, int min_memory_mb) {
  if (s.memory_mb < min_memory_mb) return err::MemoryTooSmall(s.memory_mb, min_memory_mb);
  if (s.memory_mb > 1024 * 1024) return err::OutOfRange("memory_mb", std::to_string(s.memory_mb), "at most 1048576");
  if (!(s.cpus > 0) || s.cpus > 256)
    return err::OutOfRange("cpus", "", "must be above 0 and at most 256");
  if (s.replicas < 0 || s.replicas > kMaxReplicas)
    return err::OutOfRange("replicas", std::to_string(s.replicas), "must be between 0 and 3");
  if (s.persistence != "everysec" && s.persistence != "always")
    return err::OutOfRange("persistence", "'" + s.persistence + "'", "everysec or always");
  return std::nullopt;
}

std::string ContainerName(const std::string& tenant, int index) {
  return "suma-" + tenant + (index == 0 ? "-primary" : "-replica" + std::to_string(index));
}
std::string VolumeName(const std::string& tenant, int index) {
  return ContainerName(tenant, index) + "-data";
}

int64_t MaxmemoryBytes(int memory_mb) {
  int64_t reserve = std::max<int64_t>(16, memory_mb / 4);
  return (memory_mb - reserve) * 1024 * 1024;
}

}  // namespace fleet
