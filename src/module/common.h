// Shared glue for the command families: argument access, replies, the group
// a command names, internal keys, and event emission.
//
// Contract for every command: it validates all of its arguments and the types
// of the internal keys it touches before its first write, so an error reply
// means the keyspace is unchanged. Writes that depend on the clock replicate as
// their effect (explicit scores, ids and times), never as the command itself.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "abi/rm_abi.h"
#include "core/config.h"
#include "core/json.h"
#include "core/names.h"
#include "core/status.h"

namespace suma::mod {

// Module-wide state, owned by module.cc.
struct Runtime {
  Config cfg;
  int64_t grace_until = 0;  // no eviction before this (ms); set at start and promotion
  // core/series.h: TimeFloor of the last start, load or promotion, and the
  // largest seq / epoch, version or task id this process granted.
  int64_t restart_floor = 0;
  int64_t seq_high = 0;
  int64_t fenced_high = 0;
  long long fail_nth_write = 0;  // debug-fail-nth-write: fail the nth internal write from now
  bool cluster = false;     // cluster-enabled; fixed for the life of the process
  rm::Str* lease_field = nullptr;  // "lease", built once: G:meta's hot field
  long long evictions = 0;
  long long events = 0;
  long long heartbeats = 0;
  long long elections = 0;
};
Runtime& rt();

std::string_view Arg(rm::Str* s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
int64_t NowMs();
bool IsCluster();

int ReplyStatus(rm::Ctx* ctx, const Status& s);
int ReplyBuf(rm::Ctx* ctx, std::string_view s);

// Ok when the caller uses db 0. Why only db 0: the eviction sweep, start-up
// discovery and Redis Cluster all work on one keyspace; a group in another db
// would never be swept.
Status CheckDb(rm::Ctx* ctx);

// Checks the db, parses the group argument and applies the tenant lock.
Result<Group> ResolveGroup(rm::Ctx* ctx, rm::Str* arg);

// The caller's IP address, without port.
std::string CallerIp(rm::Ctx* ctx);

// An internal key opened with the low-level API; closed on destruction.
class OpenedKey {
 public:
  OpenedKey(rm::Ctx* ctx, const std::string& name, int mode);
  // Opens a key whose name the caller keeps alive.
  OpenedKey(rm::Ctx* ctx, rm::Str* name, int mode);
  ~OpenedKey();
  OpenedKey(const OpenedKey&) = delete;
  OpenedKey& operator=(const OpenedKey&) = delete;

  rm::Key* get() const { return key_; }
  rm::Str* name() const { return name_; }
  int type() const { return rm::KeyType(key_); }
  bool empty() const { return type() == rm::kKeyEmpty; }
  // Ok when the key is empty or holds `want`.
  Status Expect(int want) const;

 private:
  rm::Ctx* ctx_;
  rm::Str* name_;
  bool owns_name_;
  rm::Key* key_;
};

// Ok when each named key is empty or of its type. Checked before any write.
Status CheckTypes(rm::Ctx* ctx, std::initializer_list<std::pair<std::string, int>> keys);

// A RedisModule_Call reply, freed on destruction.
class Reply {
 public:
  explicit Reply(rm::CallReply* r) : r_(r) {}
  ~Reply() {
    if (r_) rm::FreeCallReply(r_);
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  Reply(Reply&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Reply& operator=(Reply&& o) noexcept {
    if (this != &o) {
      if (r_) rm::FreeCallReply(r_);
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  rm::CallReply* get() const { return r_; }
  int type() const { return r_ ? rm::CallReplyType(r_) : rm::kReplyUnknown; }
  bool is_error() const { return !r_ || type() == rm::kReplyError; }
  long long integer() const { return rm::CallReplyInteger(r_); }
  size_t length() const { return rm::CallReplyLength(r_); }
  rm::CallReply* at(size_t i) const { return rm::CallReplyArrayElement(r_, i); }
  std::string_view str() const { return Text(r_); }
  static std::string_view Text(rm::CallReply* r);

 private:
  rm::CallReply* r_;
};

// Runs a command through RedisModule_Call with binary-safe arguments;
// replicate adds "!" (replicated to replicas and the AOF as itself).
Reply Call(rm::Ctx* ctx, bool replicate, const char* cmd,
           std::initializer_list<std::string_view> args);
Reply Call(rm::Ctx* ctx, bool replicate, const char* cmd, const std::vector<std::string_view>& args);

// Group meta hash fields.
inline constexpr const char* kMetaSeq = "seq";

// Formats a ms timestamp or count for RedisModule_Replicate/Call "c" arguments.
struct Num {
  explicit Num(long long v);
  const char* c_str() const { return buf; }
  char buf[24];
};

}  // namespace suma::mod
