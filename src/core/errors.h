// Every error text sumavlib replies with. One place, so wording stays
// consistent and docs/commands.md can list them.
//
// Each returns a full Redis error reply: an upper-case code, a space, a message
// naming the argument and the problem.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace suma::err {

Status EmptyArg(std::string_view what);
Status TooLong(std::string_view what, size_t max);
Status BadChars(std::string_view what, std::string_view allowed);
Status NotInteger(std::string_view what);
Status OutOfRange(std::string_view what, long long min, long long max);
Status InvalidJson(std::string_view what, std::string_view reason);
Status PayloadTooLarge(std::string_view what, size_t max);
Status EmptyGroup();
Status ClusterNeedsTag(std::string_view group);
Status OtherTenant(std::string_view group);
Status UnknownSubcommand(std::string_view command, std::string_view sub);
Status UnknownOption(std::string_view option);
Status Syntax(std::string_view detail);
Status WrongType(std::string_view internal_key);
Status GroupFull(std::string_view group, long long max_hosts);
Status QueueFull(std::string_view group, long long max_tasks);
Status Fenced(long long given, long long current);
Status NotLeader(std::string_view vip);
Status NoSuchTask(long long id);
Status NotDbZero(int db);
Status Internal(std::string_view detail);
Status CounterExhausted(std::string_view what, long long last);
Status InternalWrite(std::string_view command, std::string_view key, std::string_view why);
Status SlotMoving(std::string_view group);

}  // namespace suma::err
