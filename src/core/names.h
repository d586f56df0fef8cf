// Group names, internal key names and argument validation.
//
// A group is one tenant's business, "<owner>_<business>" (e.g. agent.zy_test),
// optionally wrapped whole in braces ({agent.zy_test}) to act as its own Redis
// Cluster hash tag. Commands may name it by its master key, its channel or bare:
//   agent.zy_test_master   agent.zy_test_channel   agent.zy_test   -> agent.zy_test
//   {agent.zy_test}_master {agent.zy_test}.channel                 -> {agent.zy_test}
// Rule: strip a trailing "master" or "channel", then one separator (_ . : -)
// if one precedes it. The braced and the bare spelling are two different groups.
#pragma once

#include <string>
#include <string_view>

#include "core/limits.h"
#include "core/status.h"

namespace suma {

struct Group {
  std::string name;  // including the braces when tagged
  bool tagged = false;

  // "<name>:<kind>": every internal key of the group. A tagged group's keys all
  // hash to the slot of its tag; the group's master key and channel too.
  std::string Key(std::string_view kind) const;
  std::string Channel() const { return name + "_channel"; }
  // The group without braces, "<owner>_<business>".
  std::string_view Bare() const;
};

// Resolves a master key, channel or bare group name to its group. Group
// characters are letters, digits and . _ -; braces only around the whole name.
// In cluster mode only the tagged form is accepted.
Result<Group> ParseGroup(std::string_view arg, bool cluster_mode);

// A vip is printable ASCII without spaces, e.g. 10.0.0.7:9001 or [fd00::7]:9001,
// at most kMaxVipLen bytes.
Status ValidateVip(std::string_view vip);
// A config key: printable ASCII without spaces, at most kMaxConfigKeyLen bytes.
Status ValidateConfigKey(std::string_view key);
// A glob pattern (see glob.h), at most kMaxPatternLen bytes.
Status ValidatePattern(std::string_view pattern);

}  // namespace suma
