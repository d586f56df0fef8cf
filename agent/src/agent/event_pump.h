// The group's event log, applied in seq order, each event exactly once.
//
// The pubsub channel only says "something happened"; the pump then reads
// suma_events after its last applied seq, so an event is never skipped when
// a push is lost and never applied twice when it also arrives by catch-up.
// The position and each config key's version live in .suma-state, saved
// after every applied change; a diamond event whose version is not above the
// recorded one is skipped, which makes replays after a crash harmless.
//
// Seqs are contiguous within one server run but jump upwards when the server
// restarts, loads its data or is promoted. A gap (first seq > applied + 1)
// while our last event is still in the log is such a jump: catch-up goes on.
//
// Resync (a full read of the group's configs) replaces catch-up when:
// - there is no state (first start): start from the head, do not replay old
//   broadcasts;
// - the log was trimmed past our position (a gap, and our last event is gone);
// - after a reconnect the server no longer has our last event (it lost its
//   data, or trimmed past it while we were away): versions never repeat, so
//   they cannot tell an unchanged file, and files are compared by content.
//
// Contract: an event (or a resync) counts as applied only after every file
// it changes was written or removed. A failure stops there, is logged, and
// is retried after kRetryMs (or at the next push or reconnect).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "agent/config_files.h"
#include "suma/client.h"

struct event_base;
struct event;

namespace suma {
class EventView;
}

namespace suma::agent {

// What the pump hands on: events other than config changes.
struct EventHandlers {
  std::function<void(bool drained)> drain;  // kill / reset of this host
  std::function<void(int64_t seq, const std::string& data_json)> message;
  std::function<void()> task;  // a task was pushed or requeued
  std::function<void(const std::string& vip, int64_t epoch)> leader, resign;
};

class EventPump {
 public:
  static constexpr int kEventBatch = 1000;  // events read per suma_events call
  static constexpr long kRetryMs = 1000;

  // The one state of catch-up. Transitions:
  //   Idle --push--> Reading --batch done--> Idle (or Reading again)
  //   Reading --push--> ReadingAgain --batch done--> Reading
  //   (re)connect --> Checking --same log--> Reading | --our last event gone--> ResyncDueLost
  //   Reading --gap, our last event still logged (seq jump)--> Reading
  //   Reading --log trimmed--> ResyncDue
  //   ResyncDue(Lost) --next pump--> Resyncing(Lost) --done--> Reading | --failed--> ResyncDue(Lost)
  enum class State {
    kIdle,           // caught up as far as known
    kChecking,       // after a (re)connect: is our last event still in the log?
    kReading,        // a catch-up round is in flight
    kReadingAgain,   // ... and a push came in meanwhile: read again when it ends
    kResyncDue,      // no state, or the log cannot bridge the gap
    kResyncDueLost,  // our last event is gone (data loss, or trimmed while away): by content
    kResyncing,      // a resync is in flight
    kResyncingLost,
  };

  EventPump(event_base* base, const Config& cfg, Client& client, ConfigFiles& files,
            EventHandlers handlers);
  ~EventPump();
  EventPump(const EventPump&) = delete;
  EventPump& operator=(const EventPump&) = delete;

  // Takes the saved position, or plans a resync when there is none.
  void Load();
  void OnConnected();
  void OnPush();  // something happened in the group
  void Stop();

  int64_t applied_seq() const { return applied_seq_; }
  State state() const { return state_; }

 private:
  void Pump();
  void Check();
  void CheckGap(std::shared_ptr<std::vector<std::string>> batch, int64_t first_seq);
  bool HoldsApplied(const EventView& front) const;  // front is our last applied event
  void ReadBatch(std::shared_ptr<std::vector<std::string>> events, size_t i);
  void FinishBatch(bool more);
  void AbortRound();
  void HandleEvent(const std::string& json, std::function<void()> next);
  void MarkApplied(int64_t seq, int64_t ts) {
    applied_seq_ = seq;
    applied_ts_ = ts;
  }
  void Save() { files_.Save(applied_seq_, applied_ts_); }
  void ScheduleRetry();
  static void OnRetry(int, short, void* arg);

  // resync.cc
  void Resync();
  void ResyncFailed();
  void SkipToHead(int64_t from, int64_t from_ts,
                  std::function<void(bool ok, int64_t head, int64_t ts)> done);
  void DeleteGone(std::vector<std::string> keys, size_t i, std::function<void()> done);
  void SyncKeys(std::vector<std::string> keys, size_t i, bool by_content,
                std::function<void()> done);

  const Config& cfg_;
  Client& client_;
  ConfigFiles& files_;
  EventHandlers on_;
  event* retry_;
  bool stopping_ = false;
  State state_ = State::kResyncDue;
  int64_t applied_seq_ = 0;
  int64_t applied_ts_ = 0;  // ts of that event: tells a restarted log apart
  // Versions held before the server lost its data, kept until a resync by
  // content succeeds (a failed attempt has already forgotten them).
  std::optional<std::map<std::string, int64_t>> versions_before_loss_;
};

}  // namespace suma::agent
