// The writes of one command, or of one step of background work, as a unit.
//
// Contract: every write to the keyspace goes through a Txn and is checked.
// After the first failure the Txn is failed: later writes are skipped, and
// Finish() undoes the earlier ones (the undo replicates like the writes), so a
// command that replies with Finish()'s error leaves the keyspace as it found it.
// Events are queued and written only by Finish, after every data write
// succeeded: their seqs are allocated then (core/series.h), appended to the
// group's log, and published only once all of that succeeded, so a subscriber
// never hears of a change that was undone. Destroying an unfinished Txn rolls
// it back.
//
// Undo needs what a write replaces: the low-level writes take it from the
// caller, who has just read it; the Call-based writes read it themselves.
// Trimming (event-log-len, history-len) runs after the commit and is not part
// of the unit: a trim that fails leaves a longer log, never a wrong one.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/names.h"
#include "module/common.h"

namespace suma::mod {

class Txn {
 public:
  explicit Txn(rm::Ctx* ctx);
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  bool ok() const { return failure_.ok(); }
  rm::Ctx* ctx() const { return ctx_; }

  // Low-level writes to a key the caller opened for writing and checked the
  // type of. prev: the member's score / the field's value before the write
  // (nullopt / nullptr: absent).
  void ZAdd(const OpenedKey& key, rm::Str* member, double score, std::optional<double> prev);
  void ZRem(const OpenedKey& key, rm::Str* member, double prev);
  void HSet(const OpenedKey& key, std::string_view field, rm::Str* value,
            std::optional<std::string_view> prev);
  void HSet(const OpenedKey& key, rm::Str* field, rm::Str* value,
            std::optional<std::string_view> prev);
  void HDel(const OpenedKey& key, rm::Str* field, std::string_view prev);

  // Writes through RedisModule_Call, replicated as themselves.
  void CallHSet(const std::string& key, std::string_view field, std::string_view value);
  void CallHDel(const std::string& key, std::string_view field);
  void CallZAdd(const std::string& key, std::string_view member, int64_t score);
  void CallZRem(const std::string& key, std::string_view member);
  void CallDel(const std::string& key);
  // Appends entry `id` ("<n>-0") with the field/value pairs to a stream, and
  // trims the stream to maxlen entries after the commit.
  void XAdd(const std::string& key, int64_t id, std::initializer_list<std::string_view> fields,
            int64_t maxlen);

  // Queues an event of group g; Finish gives it the group's next seq.
  void Emit(const Group& g, EventBuilder event);

  // Commits (writes and publishes the events) or rolls back. Returns the first
  // failure; ok when everything was written.
  Status Finish();

 private:
  // One write to undo. key and item are retained strings (released with the
  // Txn); prev is what the write replaced.
  struct Undo {
    enum Kind : uint8_t { kZScore, kHashField, kStreamEntry, kKeyDump };
    Kind kind = kZScore;
    rm::Str* key = nullptr;
    rm::Str* item = nullptr;  // member, field, or "<id>-0"
    bool has_prev = false;    // false: the member/field/key was absent
    double prev_score = 0;    // kZScore
    std::string prev;         // kHashField: value; kKeyDump: DUMP payload
    int64_t ttl_ms = 0;       // kKeyDump: PTTL when dumped (0: none)
  };
  struct Pending {
    Group group;
    EventBuilder event;
  };
  bool Injected(std::string_view command, std::string_view key);
  void Fail(std::string_view command, std::string_view key, std::string_view why);
  void Record(Undo::Kind kind, std::string_view key, std::string_view item, bool has_prev,
              double prev_score, std::string prev);
  void Record(Undo::Kind kind, rm::Str* key, rm::Str* item, bool has_prev, double prev_score,
              std::string prev);
  template <typename F>
  void ForEachUndoReversed(F&& f);
  void ReleaseUndo();
  void Rollback();
  Status WriteEvents();
  void AfterCommit();

  rm::Ctx* ctx_;
  Status failure_;
  bool finished_ = false;
  // The hot path (a heartbeat) makes one or two writes: keep them off the heap.
  static constexpr size_t kInlineUndo = 4;
  std::array<Undo, kInlineUndo> inline_undo_;
  size_t inline_used_ = 0;
  std::vector<Undo> undo_;  // past kInlineUndo
  std::vector<Pending> events_;
  std::vector<std::pair<std::string, int64_t>> trims_;
};

// Queues an event of type `type` for g; fill(EventBuilder&) adds the fields
// the change names.
template <typename Fill>
void Emit(Txn& txn, const Group& g, std::string_view type, int64_t now, Fill&& fill) {
  EventBuilder b(type, 0, now, g.name);
  fill(b);
  txn.Emit(g, std::move(b));
}

inline void Emit(Txn& txn, const Group& g, std::string_view type, int64_t now) {
  Emit(txn, g, type, now, [](EventBuilder&) {});
}

}  // namespace suma::mod
