// Command tables: each family declares its commands as rows.
//
// A row holds what Redis needs to route and check a call (flags, arity, where
// the key is), what COMMAND DOCS / COMMAND INFO and redis-cli's hints show
// (summary, complexity, since, arguments), and the handler. One loop registers
// every row (RedisModule_CreateCommand + RedisModule_SetCommandInfo), so Redis
// itself refuses a wrong arity before our code runs, and the docs test
// (tests/integration/test_command_docs.py) checks the rows against
// docs/commands.md.
#pragma once

#include <cstdint>
#include <span>

#include "abi/rm_abi.h"

namespace suma::mod {

struct ArgRow {
  const char* name;
  rm::ArgType type;
  int flags = 0;                // rm::kArgOptional, rm::kArgMultiple
  const char* token = nullptr;  // a keyword before the value, e.g. "IFEPOCH"
};

struct CommandRow {
  const char* name;  // without the "sumavlib." prefix
  rm::CmdFunc handler;
  const char* flags;  // RedisModule_CreateCommand flags
  int arity;          // as Redis counts it (name included): N exactly, -N at least N
  uint64_t key_flags;  // rm::kKey*: how the group key (argv[1]) is used; 0: no key
  const char* summary;
  const char* complexity;
  std::span<const ArgRow> args;  // after the command name
};

// What a read-only and a writing command do with the group key.
inline constexpr uint64_t kReadsGroup = rm::kKeyRO | rm::kKeyAccess;
inline constexpr uint64_t kWritesGroup = rm::kKeyRW | rm::kKeyAccess | rm::kKeyUpdate;

// Registers every row as "sumavlib.<name>". False when Redis refused one.
bool RegisterCommands(rm::Ctx* ctx, std::span<const CommandRow> rows, const char* since);

// Each family's table, defined in its *_family.cc.
std::span<const CommandRow> LeaderCommands();
std::span<const CommandRow> MembershipCommands();
std::span<const CommandRow> TrafficCommands();
std::span<const CommandRow> MessagesCommands();
std::span<const CommandRow> DiamondCommands();
std::span<const CommandRow> RegistryCommands();
std::span<const CommandRow> TasksCommands();

}  // namespace suma::mod
