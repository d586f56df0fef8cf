// Our own declaration of the part of the Redis module ABI that sumavlib uses.
//
// Written from the public module API reference (redis.io "Modules API reference")
// and checked by the integration tests against Debian's redis-server 7.0. It is
// not a copy of redismodule.h: only the entry points and constants we call are
// declared, in namespace rm, and bound at load time by rm::Init().
//
// Contract: every function pointer in RM_API_LIST is non-null after rm::Init()
// returned true; Init returns false (and the module must refuse to load) when
// the server does not export one of them, e.g. a server older than 7.0.
#pragma once

#include <cstddef>
#include <cstdint>

struct RedisModuleCtx;
struct RedisModuleString;
struct RedisModuleKey;
struct RedisModuleCallReply;
struct RedisModuleUser;
struct RedisModuleInfoCtx;
struct RedisModuleCommand;

namespace rm {

using Ctx = RedisModuleCtx;
using Str = RedisModuleString;
using Key = RedisModuleKey;
using CallReply = RedisModuleCallReply;
using User = RedisModuleUser;
using InfoCtx = RedisModuleInfoCtx;
using Command = RedisModuleCommand;
using TimerId = uint64_t;

constexpr int kOk = 0;
constexpr int kErr = 1;
constexpr int kApiVersion1 = 1;

// OpenKey modes.
constexpr int kRead = 1 << 0;
constexpr int kWrite = 1 << 1;

// KeyType results.
constexpr int kKeyEmpty = 0;
constexpr int kKeyString = 1;
constexpr int kKeyList = 2;
constexpr int kKeyHash = 3;
constexpr int kKeySet = 4;
constexpr int kKeyZset = 5;
constexpr int kKeyModule = 6;
constexpr int kKeyStream = 7;

// CallReplyType results.
constexpr int kReplyUnknown = -1;
constexpr int kReplyString = 0;
constexpr int kReplyError = 1;
constexpr int kReplyInteger = 2;
constexpr int kReplyArray = 3;
constexpr int kReplyNull = 4;

constexpr long kPostponedLen = -1;

// ZsetAdd in/out flags.
constexpr int kZaddXx = 1 << 0;
constexpr int kZaddNx = 1 << 1;
constexpr int kZaddAdded = 1 << 2;
constexpr int kZaddUpdated = 1 << 3;

// HashSet / HashGet flags.
constexpr int kHashNone = 0;
constexpr int kHashCFields = 1 << 2;
// Passed as a HashSet value to delete the field.
inline Str* HashDelete() { return reinterpret_cast<Str*>(static_cast<intptr_t>(1)); }

// GetContextFlags bits.
constexpr int kCtxMulti = 1 << 1;
constexpr int kCtxMaster = 1 << 2;
constexpr int kCtxSlave = 1 << 3;
constexpr int kCtxCluster = 1 << 5;
constexpr int kCtxLoading = 1 << 13;

// Module config registration flags (Redis 7.0).
constexpr unsigned kConfigDefault = 0;
constexpr unsigned kConfigHidden = 1 << 4;  // left out of CONFIG GET with a pattern

// Keyspace notification classes (SubscribeToKeyspaceEvents).
constexpr int kNotifyGeneric = 1 << 2;  // del, rename_*, move_*, copy_to, restore, expire, ...
constexpr int kNotifyExpired = 1 << 8;
constexpr int kNotifyEvicted = 1 << 9;

// ACL permission flags for ACLCheckKeyPermissions (Redis 7.0).
constexpr int kKeyPermAccess = 1 << 4;  // REDISMODULE_CMD_KEY_ACCESS

// Command info (RedisModule_SetCommandInfo, Redis 7.0, info version 1).
enum ArgType : int {
  kArgString = 0,
  kArgInteger,
  kArgDouble,
  kArgKey,
  kArgPattern,
  kArgUnixTime,
  kArgPureToken,
  kArgOneOf,
  kArgBlock,
};
constexpr int kArgOptional = 1 << 0;
constexpr int kArgMultiple = 1 << 1;

constexpr uint64_t kKeyRO = 1ULL << 0;
constexpr uint64_t kKeyRW = 1ULL << 1;
constexpr uint64_t kKeyAccess = 1ULL << 4;
constexpr uint64_t kKeyUpdate = 1ULL << 5;
constexpr uint64_t kKeyInsert = 1ULL << 6;
constexpr uint64_t kKeyDelete = 1ULL << 7;
constexpr int kBeginSearchIndex = 2;
constexpr int kFindKeysRange = 2;

struct CommandArg {
  const char* name;
  ArgType type;
  int key_spec_index;  // for kArgKey, else -1
  const char* token;
  const char* summary;
  const char* since;
  int flags;
  const char* deprecated_since;
  CommandArg* subargs;  // kArgOneOf / kArgBlock, terminated by a zeroed entry
};

struct CommandHistoryEntry {
  const char* since;
  const char* changes;
};

struct CommandKeySpec {
  const char* notes;
  uint64_t flags;
  int begin_search_type;
  union {
    struct {
      int pos;
    } index;
    struct {
      const char* keyword;
      int startfrom;
    } keyword;
  } bs;
  int find_keys_type;
  union {
    struct {
      int lastkey;
      int keystep;
      int limit;
    } range;
    struct {
      int keynumidx;
      int firstkey;
      int keystep;
    } keynum;
  } fk;
};

struct CommandInfoVersion {
  int version;
  size_t sizeof_historyentry;
  size_t sizeof_keyspec;
  size_t sizeof_arg;
};
inline constexpr CommandInfoVersion kCommandInfoVersion1{1, sizeof(CommandHistoryEntry),
                                                         sizeof(CommandKeySpec),
                                                         sizeof(CommandArg)};

struct CommandInfo {
  const CommandInfoVersion* version;
  const char* summary;
  const char* complexity;
  const char* since;
  CommandHistoryEntry* history;
  const char* tips;
  int arity;
  CommandKeySpec* key_specs;  // terminated by a zeroed entry
  CommandArg* args;           // terminated by a zeroed entry
};

// Server events.
struct Event {
  uint64_t id;
  uint64_t dataver;
};
constexpr Event kEventRoleChanged{0, 1};
constexpr Event kEventLoading{3, 1};
constexpr Event kEventFlushDb{2, 1};
constexpr Event kEventSwapDb{11, 1};
constexpr uint64_t kSubFlushDbEnd = 1;
// RedisModuleFlushInfo and RedisModuleSwapDbInfo, version 1.
struct FlushInfoV1 {
  uint64_t version;
  int32_t sync;
  int32_t dbnum;  // -1: every db (FLUSHALL)
};
struct SwapDbInfoV1 {
  uint64_t version;
  int32_t dbnum_first;
  int32_t dbnum_second;
};
constexpr uint64_t kSubRoleNowMaster = 0;
constexpr uint64_t kSubLoadingEnded = 3;  // REDISMODULE_SUBEVENT_LOADING_ENDED

// RedisModuleClientInfo, version 1 of the structure.
struct ClientInfoV1 {
  uint64_t version;
  uint64_t flags;
  uint64_t id;
  char addr[46];
  uint16_t port;
  uint16_t db;
};

using CmdFunc = int (*)(Ctx*, Str**, int);
using TimerProc = void (*)(Ctx*, void*);
using EventCallback = void (*)(Ctx*, Event, uint64_t, void*);
using InfoFunc = void (*)(InfoCtx*, int);
using ConfigGetNumeric = long long (*)(const char*, void*);
using ConfigSetNumeric = int (*)(const char*, long long, void*, Str**);
using ConfigGetString = Str* (*)(const char*, void*);
using ConfigSetString = int (*)(const char*, Str*, void*, Str**);
using ConfigApply = int (*)(Ctx*, void*, Str**);
using NotificationFunc = int (*)(Ctx*, int type, const char* event, Str* key);

// X(return type, name, parameter list). The exported symbol is "RedisModule_" #name.
#define RM_API_LIST(X)                                                                      \
  X(void, SetModuleAttribs, (Ctx*, const char*, int, int))                                  \
  X(int, IsModuleNameBusy, (const char*))                                                   \
  X(int, CreateCommand, (Ctx*, const char*, CmdFunc, const char*, int, int, int))           \
  X(int, WrongArity, (Ctx*))                                                                \
  X(int, ReplyWithLongLong, (Ctx*, long long))                                              \
  X(int, ReplyWithError, (Ctx*, const char*))                                               \
  X(int, ReplyWithSimpleString, (Ctx*, const char*))                                        \
  X(int, ReplyWithArray, (Ctx*, long))                                                      \
  X(void, ReplySetArrayLength, (Ctx*, long))                                                \
  X(int, ReplyWithStringBuffer, (Ctx*, const char*, size_t))                                \
  X(int, ReplyWithString, (Ctx*, Str*))                                                     \
  X(int, ReplyWithNull, (Ctx*))                                                             \
  X(int, ReplyWithCallReply, (Ctx*, CallReply*))                                            \
  X(const char*, StringPtrLen, (const Str*, size_t*))                                       \
  X(Str*, CreateString, (Ctx*, const char*, size_t))                                        \
  X(void, FreeString, (Ctx*, Str*))                                                         \
  X(void, RetainString, (Ctx*, Str*))                                                       \
  X(Key*, OpenKey, (Ctx*, Str*, int))                                                       \
  X(void, CloseKey, (Key*))                                                                 \
  X(int, KeyType, (Key*))                                                                   \
  X(size_t, ValueLength, (Key*))                                                            \
  X(int, ZsetAdd, (Key*, double, Str*, int*))                                               \
  X(int, ZsetScore, (Key*, Str*, double*))                                                  \
  X(int, ZsetRem, (Key*, Str*, int*))                                                       \
  X(int, ZsetFirstInScoreRange, (Key*, double, double, int, int))                           \
  X(int, ZsetLastInScoreRange, (Key*, double, double, int, int))                            \
  X(Str*, ZsetRangeCurrentElement, (Key*, double*))                                         \
  X(int, ZsetRangePrev, (Key*))                                                             \
  X(int, ZsetRangeEndReached, (Key*))                                                       \
  X(void, ZsetRangeStop, (Key*))                                                            \
  X(int, HashSet, (Key*, int, ...))                                                         \
  X(int, HashGet, (Key*, int, ...))                                                         \
  X(int, Replicate, (Ctx*, const char*, const char*, ...))                                  \
  X(CallReply*, Call, (Ctx*, const char*, const char*, ...))                                \
  X(int, CallReplyType, (CallReply*))                                                       \
  X(long long, CallReplyInteger, (CallReply*))                                              \
  X(const char*, CallReplyStringPtr, (CallReply*, size_t*))                                 \
  X(size_t, CallReplyLength, (CallReply*))                                                  \
  X(CallReply*, CallReplyArrayElement, (CallReply*, size_t))                                \
  X(void, FreeCallReply, (CallReply*))                                                      \
  X(int, GetContextFlags, (Ctx*))                                                           \
  X(int, GetSelectedDb, (Ctx*))                                                             \
  X(unsigned long long, GetClientId, (Ctx*))                                                \
  X(int, GetClientInfoById, (void*, uint64_t))                                              \
  X(long long, Milliseconds, ())                                                            \
  X(TimerId, CreateTimer, (Ctx*, long long, TimerProc, void*))                              \
  X(void, Log, (Ctx*, const char*, const char*, ...))                                       \
  X(int, SubscribeToServerEvent, (Ctx*, Event, EventCallback))                              \
  X(int, RegisterNumericConfig, (Ctx*, const char*, long long, unsigned, long long,         \
                                 long long, ConfigGetNumeric, ConfigSetNumeric, ConfigApply, \
                                 void*))                                                    \
  X(int, RegisterStringConfig, (Ctx*, const char*, const char*, unsigned, ConfigGetString,  \
                                ConfigSetString, ConfigApply, void*))                       \
  X(int, LoadConfigs, (Ctx*))                                                               \
  X(int, RegisterInfoFunc, (Ctx*, InfoFunc))                                                \
  X(int, InfoAddSection, (InfoCtx*, const char*))                                           \
  X(int, InfoAddFieldLongLong, (InfoCtx*, const char*, long long))                          \
  X(Str*, GetCurrentUserName, (Ctx*))                                                       \
  X(User*, GetModuleUserFromUserName, (Str*))                                               \
  X(int, ACLCheckKeyPermissions, (User*, Str*, int))                                        \
  X(void, FreeModuleUser, (User*))                                                          \
  X(int, SubscribeToKeyspaceEvents, (Ctx*, int, NotificationFunc))                          \
  X(Ctx*, GetDetachedThreadSafeContext, (Ctx*))                                              \
  X(Command*, GetCommand, (Ctx*, const char*))                                              \
  X(int, SetCommandInfo, (Command*, const CommandInfo*))

#define RM_DECLARE(ret, name, params) extern ret(*name) params;
RM_API_LIST(RM_DECLARE)
#undef RM_DECLARE

// Binds every entry of RM_API_LIST through the server's by-name lookup (the
// function pointer the server stores first in the context it passes to
// RedisModule_OnLoad) and registers the module name. Call first in OnLoad.
bool Init(Ctx* ctx, const char* module_name, int module_version);

}  // namespace rm
