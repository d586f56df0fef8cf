// Full resynchronisation of the config directory, used instead of catch-up
// when the event log cannot bridge the gap (see event_pump.h): find the log's
// head, then read every config of the group and delete the files of keys
// that are gone. Any failed read, write or delete ends the attempt without
// moving the position; the next attempt starts over (it is idempotent: keys
// already synced are skipped by version, or by content after a data loss).
#include <set>

#include "agent/event_pump.h"
#include "agent/log.h"
#include "core/event_view.h"

namespace suma::agent {

// Finds the head first, then reads every config: values read after the head
// include every change up to it, and later events are skipped by version.
void EventPump::Resync() {
  bool lost = state_ == State::kResyncDueLost;
  state_ = lost ? State::kResyncingLost : State::kResyncing;
  Log(Level::Info, "config.resync")
      .Kv("reason", files_.saved_seq() == 0 && applied_seq_ == 0 && !lost ? "first start"
                    : lost                                                 ? "last event gone"
                                                                           : "log trimmed");
  SkipToHead(applied_seq_, 0, [this, lost](bool ok, int64_t head, int64_t head_ts) {
    if (!ok) return ResyncFailed();
    client_.DiamondListAll(cfg_.group, [this, head, head_ts, lost](
                                           const Result<std::vector<std::string>>& r) {
      if (!r.ok()) {
        Log(Level::Warn, "config.list_failed").Kv("error", r.error());
        return ResyncFailed();
      }
      std::set<std::string> listed(r->begin(), r->end());
      std::map<std::string, int64_t> known =
          lost && versions_before_loss_ ? *versions_before_loss_ : files_.versions();
      if (lost) files_.ForgetVersions();
      // Keys we hold that the server no longer lists were deleted meanwhile.
      std::vector<std::string> gone;
      for (auto& [key, version] : known)
        if (!listed.count(key) && files_.Exists(key)) gone.push_back(key);
      auto keys = std::vector<std::string>(listed.begin(), listed.end());
      DeleteGone(gone, 0, [this, head, head_ts, keys, lost] {
        SyncKeys(keys, 0, lost, [this, head, head_ts] {
          if (head > applied_seq_) MarkApplied(head, head_ts);
          versions_before_loss_.reset();
          state_ = State::kIdle;
          Save();
          Log(Level::Info, "config.resynced").Kv("applied_seq", static_cast<long long>(applied_seq_));
          Pump();
        });
      });
    });
  });
}

void EventPump::ResyncFailed() {
  state_ = state_ == State::kResyncingLost ? State::kResyncDueLost : State::kResyncDue;
  Log(Level::Warn, "config.resync_failed").Kv("retry_ms", kRetryMs);
  ScheduleRetry();
}

void EventPump::SkipToHead(int64_t from, int64_t from_ts,
                           std::function<void(bool ok, int64_t head, int64_t ts)> done) {
  client_.Events(cfg_.group, from, kEventBatch,
                 [this, from, from_ts, done](const Result<std::vector<std::string>>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "events.read_failed").Kv("error", r.error());
      return done(false, from, from_ts);
    }
    // Skipped events need no replay: drain state comes from vip_info, tasks
    // from polling, configs from the full read that follows.
    int64_t head = from, ts = from_ts;
    if (!r->empty()) {
      auto last = EventView::Parse(r->back());
      head = last ? last->seq() : -1;
      ts = last ? last->ts() : 0;
    }
    if (r->size() < static_cast<size_t>(kEventBatch)) return done(true, head, ts);
    SkipToHead(head, ts, done);
  });
}

// The delete's version comes from the key's history (newest first; a nil
// value marks a delete), so the reload hook sees the same version as live.
void EventPump::DeleteGone(std::vector<std::string> keys, size_t i, std::function<void()> done) {
  if (i == keys.size()) return done();
  std::string key = keys[i];
  client_.Command({"sumavlib.suma_diamond_history", cfg_.group, key, "1"},
                  [this, keys, i, key, done](const Reply& r) {
    int64_t version = files_.version(key);
    if (r.is_array() && !r.elements.empty() && r.elements[0].is_array() &&
        !r.elements[0].elements.empty() && r.elements[0].elements[0].is_int())
      version = std::max<int64_t>(version, r.elements[0].elements[0].integer);
    if (!files_.Delete(key, version)) return ResyncFailed();
    DeleteGone(keys, i + 1, done);
  });
}

void EventPump::SyncKeys(std::vector<std::string> keys, size_t i, bool by_content,
                         std::function<void()> done) {
  if (i == keys.size()) return done();
  std::string key = keys[i];
  client_.DiamondGet(cfg_.group, key, [this, keys, i, key, by_content, done](
                                          const Result<std::optional<DiamondValue>>& r) {
    if (!r.ok()) {
      Log(Level::Warn, "config.read_failed").Kv("key", key).Kv("error", r.error());
      return ResyncFailed();
    }
    if (*r && (*r)->version > files_.version(key)) {
      // When our last event was gone the new version says nothing about the
      // content: an unchanged file only needs it recorded, not a reload.
      bool quiet = by_content && files_.Holds(key, (*r)->value);
      if (!files_.Apply(key, (*r)->value, (*r)->version, quiet)) return ResyncFailed();
    }
    SyncKeys(keys, i + 1, by_content, done);
  });
}

}  // namespace suma::agent
